"""The reprocess and load_samples commands."""

import io
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from articles.models import Article
from articles.services import article_ingest
from diplomacy.models import Evidence, Meeting
from diplomacy.services import article_process_now

pytestmark = pytest.mark.django_db

READOUT = (
    "National Security Adviser Jake Sullivan met Foreign Minister Wang Yi in Vienna on "
    "Thursday, officials said after the talks."
)


@pytest.fixture
def processed(django_capture_on_commit_callbacks):
    """One readout ingested and extracted in-process, with the gazetteer loaded."""
    call_command("load_reference", gazetteer_only=True, verbosity=0)
    outcome = article_ingest(
        body=READOUT, published_at=datetime(2023, 5, 12, tzinfo=UTC), announce=False
    )
    article_process_now(outcome.article.pk)
    return Article.objects.get(pk=outcome.article.pk)


def snapshot():
    return (
        sorted(Meeting.objects.values_list("slug", "start_date", "location__slug")),
        sorted(Evidence.objects.values_list("meeting__slug", "start", "end")),
    )


def test_it_reprocesses_named_articles_to_the_same_result(
    processed, django_capture_on_commit_callbacks
):
    """Re-running extraction on an article leaves the same meetings and evidence."""
    before = snapshot()
    assert before[0], "the readout should report a meeting"
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("reprocess", str(processed.pk), "--sync", stdout=out)
    assert "Reprocessed 1 articles." in out.getvalue()
    assert snapshot() == before
    processed.refresh_from_db()
    assert processed.status == "done" and processed.attempts == 2


def test_it_reprocesses_everything_or_since_a_date(processed):
    """--all takes every article with text; --since only those published from that day."""
    out = io.StringIO()
    call_command("reprocess", "--since", "2023-06-01", "--sync", stdout=out)
    assert "Reprocessed 0 articles." in out.getvalue()
    call_command("reprocess", "--all", "--sync", stdout=out)
    assert "Reprocessed 1 articles." in out.getvalue()


def test_it_queues_instead_of_processing_without_sync(
    processed, django_capture_on_commit_callbacks
):
    """Without --sync the article goes back to pending for the worker."""
    with django_capture_on_commit_callbacks(execute=False):
        call_command("reprocess", str(processed.pk), stdout=io.StringIO())
    processed.refresh_from_db()
    assert processed.status == "pending"


def test_it_refuses_a_call_without_articles_or_with_unknown_ids(db):
    """No selection, or an id that does not exist, is a clear error."""
    with pytest.raises(CommandError, match="Give article ids"):
        call_command("reprocess")
    with pytest.raises(CommandError, match="No article with text has id"):
        call_command("reprocess", "999999")


def test_it_loads_the_bundled_samples_once(db, django_capture_on_commit_callbacks):
    """load_samples stores every sample text once; a second run adds nothing."""
    call_command("load_reference", gazetteer_only=True, verbosity=0)
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=False):
        call_command("load_samples", stdout=out)
        count = Article.objects.count()
        call_command("load_samples", stdout=out)
    assert count >= 15
    assert Article.objects.count() == count
    assert f"0 new (queued for the worker), {count} already stored." in out.getvalue()
