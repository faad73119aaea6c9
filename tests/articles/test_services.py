"""article_ingest: the one door every channel stores text through."""

import threading
from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from articles.exceptions import IngestError, TextTooLarge
from articles.models import Article, Source
from articles.services import (
    article_announce,
    article_ingest,
    article_set_status,
    page_text,
    source_get_or_create,
)
from articles.tasks import article_fetch
from articles.text import content_hash
from tests.articles.conftest import ARTICLE_HTML, ARTICLE_TITLE

# Announcements are recorded, not extracted: see the `pipeline` fixture.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pipeline")]

READOUT = (
    "Secretary of State Antony Blinken met Foreign Minister Wang Yi in Munich on Friday.\n\n"
    "The two discussed Ukraine, the Middle East and counternarcotics cooperation."
)


def test_it_stores_the_body_normalised():
    """The stored body has folded spaces, unified line ends and no controls; hash matches."""
    outcome = article_ingest(body="  Blinken  met\tWang Yi.\r\n\r\n\r\n\r\n" + READOUT + "\x00  ")

    article = Article.objects.get()
    assert outcome.created is True
    assert outcome.article == article
    assert article.body == "Blinken met Wang Yi.\n\n" + READOUT
    assert article.content_hash == content_hash(article.body)
    assert article.status == "pending"
    assert article.url is None


def test_it_returns_the_existing_article_for_the_same_text():
    """The same words again, spaced and cased differently, give the same article."""
    first = article_ingest(body=READOUT)
    again = article_ingest(body="  " + READOUT.upper().replace(" ", "  \n") + "\n")

    assert again.created is False
    assert again.article.pk == first.article.pk
    assert Article.objects.count() == 1


def test_it_returns_the_existing_article_for_the_same_url():
    """A second submission of an address already known is that article."""
    first = article_ingest(url="https://news.example.org/2024/talks")
    again = article_ingest(url="  https://news.example.org/2024/talks ", title="Another title")

    assert again.created is False
    assert again.article.pk == first.article.pk
    assert Article.objects.count() == 1


def test_it_returns_the_article_with_the_same_text_before_the_one_at_the_same_url():
    """Text known as one article and address known as another: the text decides."""
    by_text = article_ingest(body=READOUT).article
    article_ingest(url="https://news.example.org/2024/talks")

    again = article_ingest(body=READOUT, url="https://news.example.org/2024/talks")

    assert (again.article.pk, again.created) == (by_text.pk, False)
    assert Article.objects.count() == 2


def test_it_stores_a_url_only_article_waiting_for_its_fetch():
    """An address without text is stored with no body and no hash, pending its fetch."""
    article = article_ingest(url="https://news.example.org/a").article

    assert (article.body, article.content_hash, article.status) == ("", None, "pending")


def test_it_keeps_different_texts_apart():
    """Different words are different articles."""
    article_ingest(body=READOUT)
    article_ingest(body=READOUT.replace("Munich", "Davos"))

    assert Article.objects.count() == 2


@pytest.mark.parametrize("body", ["", "   ", "\n\t\u00a0\r\n"])
def test_it_refuses_empty_text(body):
    """Nothing, or only whitespace, is no article."""
    with pytest.raises(IngestError, match=r"empty|text \(body\) or its address"):
        article_ingest(body=body)
    assert not Article.objects.exists()


def test_it_refuses_text_without_words():
    """Punctuation alone is not an article (all such texts would share one hash)."""
    with pytest.raises(IngestError, match="no words"):
        article_ingest(body="... --- !!! ???")
    assert not Article.objects.exists()


def test_it_refuses_binary_data_with_a_clear_message():
    """NUL-heavy data sent as text is refused, saying it looks binary."""
    png_like = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + "text" * 20

    with pytest.raises(IngestError, match="binary data"):
        article_ingest(body=png_like)
    assert not Article.objects.exists()


def test_it_accepts_text_with_a_few_stray_controls():
    """An odd control character in real prose is dropped, not a reason to refuse the text."""
    article = article_ingest(body=READOUT + "\x0c").article

    assert article.body == READOUT


def test_it_refuses_text_over_the_size_limit(settings):
    """More than ARTICLE_MAX_CHARS is TextTooLarge, naming the length and the limit."""
    settings.ARTICLE_MAX_CHARS = 1000

    with pytest.raises(TextTooLarge, match="1,001 characters; the limit is 1,000"):
        article_ingest(body="x" * 1001)
    with pytest.raises(TextTooLarge):
        article_ingest(body="word " * 10_000)
    assert TextTooLarge("x").status_code == 413
    assert not Article.objects.exists()


def test_it_measures_the_limit_after_normalising(settings):
    """Padding that normalising removes does not count against the limit."""
    settings.ARTICLE_MAX_CHARS = 1000

    article = article_ingest(body="w" * 900 + " " * 900).article

    assert len(article.body) == 900


def test_it_accepts_right_to_left_and_mixed_scripts_intact():
    """Arabic, Hebrew and Chinese with direction marks are stored exactly as sent."""
    body = (
        "التقى وزير الخارجية الأمريكي بنظيره الصيني في بكين.\n\n"
        "\u200fשר החוץ וואנג יי\u200e met Blinken 布林肯 and 王毅 in 北京."
    )

    article = article_ingest(body=body, title="لقاء في بكين").article
    article.refresh_from_db()

    assert article.body == body
    assert article.title == "لقاء في بكين"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://files.example.org/readout.txt",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "news.example.org/no-scheme",
        "http://",
    ],
)
def test_it_refuses_addresses_that_are_not_http(url):
    """Only http and https addresses are accepted, with the address named in the message."""
    with pytest.raises(IngestError, match="is not an http or https URL"):
        article_ingest(body=READOUT, url=url)
    assert not Article.objects.exists()


@pytest.mark.parametrize("length", [2001, 5000])
def test_it_refuses_an_overlong_url_saying_so(length):
    """A URL over 2,000 characters is refused as too long, whatever its length."""
    url = "https://news.example.org/" + "a" * (length - 25)

    with pytest.raises(IngestError, match="longer than 2,000 characters"):
        article_ingest(url=url)


def test_it_stores_a_given_date_with_where_it_came_from():
    """A date becomes noon UTC that day, marked as given."""
    article = article_ingest(body=READOUT, published_at=date(2024, 2, 16)).article

    assert article.published_at == datetime(2024, 2, 16, 12, tzinfo=timezone.UTC)
    assert article.published_source == "given"


def test_it_marks_an_article_without_date_as_unknown():
    """No date given: the date is null and its source unknown."""
    article = article_ingest(body=READOUT).article

    assert (article.published_at, article.published_source) == (None, "unknown")


@pytest.mark.parametrize(
    "published",
    [date(1899, 12, 31), datetime(1850, 1, 1, 9, 0)],
)
def test_it_refuses_dates_before_1900(published):
    """A publication date before 1900 is a mistake, refused with a message."""
    with pytest.raises(IngestError, match="before 1900"):
        article_ingest(body=READOUT, published_at=published)


def test_it_refuses_dates_in_the_future():
    """A publication date days ahead is refused; today is fine."""
    with pytest.raises(IngestError, match="in the future"):
        article_ingest(body=READOUT, published_at=timezone.now() + timedelta(days=10))

    assert article_ingest(body=READOUT, published_at=timezone.localdate()).created


def test_it_creates_a_source_once_by_name():
    """Sources are matched by slug: spacing and case do not create another."""
    first = article_ingest(body=READOUT, source="Harbour Daily").article
    second = article_ingest(body=READOUT + " More.", source="  harbour   DAILY ").article

    assert Source.objects.count() == 1
    assert first.source == second.source
    assert first.source.name == "Harbour Daily"
    assert first.source.slug == "harbour-daily"


def test_it_refuses_a_source_name_without_letters():
    """A source name that makes no slug is refused."""
    with pytest.raises(IngestError, match="no letters or digits"):
        source_get_or_create("!!!")


def test_it_announces_only_after_the_commit(pipeline, django_capture_on_commit_callbacks):
    """Extraction is queued once the transaction commits, never before, and once."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        article = article_ingest(body=READOUT).article
        assert pipeline.extracted == []

    for callback in callbacks:  # the announcement, and whatever else waited for the commit
        callback()
    assert pipeline.extracted == [article.pk]


def test_it_does_not_announce_a_duplicate(pipeline, django_capture_on_commit_callbacks):
    """Submitting the same text again queues nothing more."""
    with django_capture_on_commit_callbacks(execute=True):
        article = article_ingest(body=READOUT).article
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        article_ingest(body=READOUT)

    assert callbacks == []
    assert pipeline.extracted == [article.pk]


def test_it_queues_a_fetch_for_a_url_only_article(pipeline, django_capture_on_commit_callbacks):
    """An address without text is fetched first, not extracted."""
    with django_capture_on_commit_callbacks(execute=True):
        article = article_ingest(url="https://news.example.org/a").article

    assert pipeline.fetch_queued == [article.pk]
    assert pipeline.extracted == []


def test_it_leaves_processing_to_the_caller_when_not_announcing(
    pipeline, django_capture_on_commit_callbacks
):
    """With announce=False nothing is queued or sent: the caller processes the article."""
    with django_capture_on_commit_callbacks(execute=True):
        article = article_ingest(body=READOUT, announce=False).article

    assert pipeline.extracted == []
    assert article.status == "pending"


def test_it_leaves_the_article_pending_when_the_broker_is_down(pipeline):
    """A failing enqueue is logged, not raised: the sweeper picks the article up later."""
    article = article_ingest(url="https://news.example.org/a").article
    article_fetch.delay.side_effect = ConnectionError("broker down")

    article_announce(article)

    article.refresh_from_db()
    assert article.status == "pending"


def test_it_stamps_status_changes():
    """Setting a final status records when, and the error text."""
    article = article_ingest(body=READOUT).article
    before = article.status_changed_at

    assert article_set_status(article.pk, "failed", "Broken.") == 1

    article.refresh_from_db()
    assert (article.status, article.error) == ("failed", "Broken.")
    assert article.status_changed_at > before
    assert article.processed_at is not None


def test_it_reads_the_text_title_and_date_of_a_page():
    """The main text of an HTML page is found without its navigation, with title and date."""
    page = page_text(ARTICLE_HTML.decode())

    assert "twelve hours of talks" in page.text
    assert "Home" not in page.text
    assert page.title == ARTICLE_TITLE
    assert page.published == date(2024, 1, 27)


def test_it_refuses_a_page_without_article_text():
    """A page with nothing in its body has no article in it."""
    with pytest.raises(IngestError, match="No article text"):
        page_text("<html><head><title>Nothing</title></head><body></body></html>")


def run_at_once(count: int, work) -> list:
    """Run `work` in `count` threads released together; return results (or exceptions)."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(index):
        try:
            barrier.wait()
            results[index] = work()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
def test_it_stores_one_article_when_the_same_text_arrives_ten_times_at_once(pipeline):
    """Ten concurrent submissions of one text make one article, announced once."""
    outcomes = run_at_once(10, lambda: article_ingest(body=READOUT, source="Harbour Daily"))

    assert all(not isinstance(outcome, Exception) for outcome in outcomes), outcomes
    article = Article.objects.get()
    assert {outcome.article.pk for outcome in outcomes} == {article.pk}
    assert sum(outcome.created for outcome in outcomes) == 1
    assert pipeline.extracted == [article.pk]
    assert Source.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_stores_one_article_when_the_same_url_arrives_ten_times_at_once(pipeline):
    """Ten concurrent submissions of one address make one article, fetched once."""
    url = "https://news.example.org/2024/01/27/talks"
    outcomes = run_at_once(10, lambda: article_ingest(url=url))

    assert all(not isinstance(outcome, Exception) for outcome in outcomes), outcomes
    article = Article.objects.get()
    assert {outcome.article.pk for outcome in outcomes} == {article.pk}
    assert sum(outcome.created for outcome in outcomes) == 1
    assert pipeline.fetch_queued == [article.pk]


@pytest.mark.django_db(transaction=True)
def test_it_stores_an_article_outside_a_transaction_with_one_statement_and_one_bump(pipeline):
    """Alone, the insert commits itself: the revision moves on once, after the row is in."""
    from diplomacy.revision import data_revision

    before = data_revision()

    outcome = article_ingest(body=READOUT)

    assert not connection.in_atomic_block
    assert data_revision() == before + 1
    assert pipeline.extracted == [outcome.article.pk]


def test_it_leaves_a_callers_transaction_usable_when_a_duplicate_wins_the_race(monkeypatch):
    """Inside a transaction, a duplicate's unique violation is rolled back to a savepoint: the
    existing article is returned and the caller's transaction goes on."""
    import articles.services as services

    first = article_ingest(body=READOUT).article
    real_find = services._find_existing
    looks = []

    def find_late(*args):  # the first look finds nothing, as when another submission is faster
        looks.append(args)
        return None if len(looks) == 1 else real_find(*args)

    monkeypatch.setattr(services, "_find_existing", find_late)

    outcome = article_ingest(body=READOUT)

    assert connection.in_atomic_block
    assert (outcome.article.pk, outcome.created) == (first.pk, False)
    assert len(looks) == 2
    assert Article.objects.count() == 1


def test_it_stores_any_offset_python_accepts_as_the_same_instant_in_utc():
    """A date-time at +16:00 (beyond what PostgreSQL stores) is kept as its UTC instant."""
    published = datetime.fromisoformat("2024-01-02T06:00:00+16:00")

    article = article_ingest(body=READOUT, published_at=published).article

    article.refresh_from_db()
    assert article.published_at == published
    assert article.published_at.isoformat() == "2024-01-01T14:00:00+00:00"
