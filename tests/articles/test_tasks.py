"""Article tasks: fetching URL-only articles, polling due feeds, sweeping stuck articles."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from articles.models import Article
from articles.services import article_ingest, page_text
from articles.tasks import (
    MAX_ATTEMPTS,
    article_fetch,
    articles_sweep,
    source_poll_task,
    sources_poll_due,
)
from tests.articles.conftest import ARTICLE_HTML, ARTICLE_TITLE, PLAIN_TEXT
from tests.factories import ArticleFactory, SourceFactory

# Announcements are recorded, not extracted: see the `pipeline` fixture.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pipeline")]


def url_only(site, path: str, **values) -> Article:
    """Return a URL-only article, as stored by a channel that had only an address."""
    return article_ingest(url=site.url(path), **values).article


def test_it_fills_a_url_only_article_from_its_page(
    site, pipeline, django_capture_on_commit_callbacks
):
    """The page's main text, title and metadata date are stored, then extraction is queued."""
    article = url_only(site, "/article.html")

    with django_capture_on_commit_callbacks(execute=True):
        assert article_fetch(article.pk) == "pending"

    article.refresh_from_db()
    assert "National Security Adviser Jake Sullivan met" in article.body
    assert "Copyright Harbour Daily" not in article.body
    assert article.content_hash
    assert article.title == ARTICLE_TITLE
    assert article.published_at == datetime(2024, 1, 27, 12, tzinfo=UTC)
    assert article.published_source == "metadata"
    assert (article.status, article.attempts, article.error) == ("pending", 1, "")
    assert pipeline.extracted == [article.pk]


def test_it_keeps_a_title_and_date_given_at_submission(site, django_capture_on_commit_callbacks):
    """What the analyst gave wins over what the page says."""
    article = url_only(site, "/article.html", title="Bangkok talks", published_at=date(2024, 1, 28))

    with django_capture_on_commit_callbacks(execute=True):
        article_fetch(article.pk)

    article.refresh_from_db()
    assert article.title == "Bangkok talks"
    assert article.published_at == datetime(2024, 1, 28, 12, tzinfo=UTC)
    assert article.published_source == "given"


def test_it_stores_a_plain_text_page_as_is(site, pipeline, django_capture_on_commit_callbacks):
    """A text/plain page is the article's text."""
    article = url_only(site, "/plain.txt")

    with django_capture_on_commit_callbacks(execute=True):
        article_fetch(article.pk)

    article.refresh_from_db()
    assert article.body == PLAIN_TEXT
    assert pipeline.extracted == [article.pk]


def test_it_reads_a_page_in_a_legacy_encoding(site, django_capture_on_commit_callbacks):
    """A Windows-1252 page is decoded as such: its curly apostrophes survive."""
    article = url_only(site, "/legacy.html")

    with django_capture_on_commit_callbacks(execute=True):
        article_fetch(article.pk)

    article.refresh_from_db()
    assert "agreed at the leaders\u2019 summit in November" in article.body
    assert "\ufffd" not in article.body


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/hang", "did not answer within 0.5 seconds"),
        ("/stall", "did not answer within 0.5 seconds"),
        ("/loop", "More than 5 redirects from http://127.0.0.1:"),
        ("/huge", "The page is larger than the 50,000-byte limit."),
        ("/report.pdf", "Unsupported content type 'application/pdf' at http://127.0.0.1:"),
        ("/download", "Unsupported content type 'application/octet-stream'"),
        ("/missing", "The server answered 404 for http://127.0.0.1:"),
        ("/empty.html", "No article text was found on the page."),
    ],
)
def test_it_marks_an_unfetchable_article_failed_with_the_reason(
    site, pipeline, django_capture_on_commit_callbacks, path, error
):
    """A hostile or useless page fails the article with a reason an analyst can read."""
    article = url_only(site, path)

    with django_capture_on_commit_callbacks(execute=True):
        assert article_fetch(article.pk) == "failed"

    article.refresh_from_db()
    assert article.status == "failed"
    assert error in article.error
    assert "Error" not in article.error  # a sentence, not an exception's class name
    assert (article.body, article.content_hash, article.attempts) == ("", None, 1)
    assert article.processed_at is not None
    assert pipeline.extracted == []


def test_it_fails_a_page_that_repeats_an_existing_article(
    site, pipeline, django_capture_on_commit_callbacks
):
    """A page with the text of a stored article points to it and stores nothing new."""
    original = article_ingest(body=page_text(ARTICLE_HTML.decode()).text).article
    copy = url_only(site, "/copy.html")

    with django_capture_on_commit_callbacks(execute=True):
        article_fetch(copy.pk)

    copy.refresh_from_db()
    assert copy.status == "failed"
    assert copy.error == f"Same text as article {original.pk}."
    assert (copy.body, copy.content_hash) == ("", None)
    assert pipeline.extracted == []


def test_it_fetches_a_page_only_once(site, django_capture_on_commit_callbacks):
    """Running the fetch again (a duplicate message) fetches nothing more."""
    article = url_only(site, "/article.html")
    with django_capture_on_commit_callbacks(execute=True):
        article_fetch(article.pk)

    assert article_fetch(article.pk) is None

    article.refresh_from_db()
    assert article.attempts == 1
    assert len(site.requests_to("/article.html")) == 1


def test_it_does_not_retry_a_failed_fetch(site):
    """A failed article stays failed when its message comes again."""
    article = url_only(site, "/missing")
    article_fetch(article.pk)

    assert article_fetch(article.pk) is None
    assert len(site.requests_to("/missing")) == 1


def test_it_ignores_an_article_that_is_gone(site):
    """A fetch for a deleted article returns quietly."""
    article = url_only(site, "/article.html")
    article.delete()

    assert article_fetch(article.pk) is None
    assert site.seen == []


def stale(article: Article, settings, seconds_over: int = 60) -> Article:
    """Make the article's last status change older than INGEST_STALE_AFTER."""
    when = timezone.now() - timedelta(seconds=settings.INGEST_STALE_AFTER + seconds_over)
    Article.objects.filter(pk=article.pk).update(status_changed_at=when)
    article.refresh_from_db()
    return article


@pytest.mark.parametrize("status", ["pending", "processing"])
def test_it_re_announces_articles_stuck_too_long_once(settings, pipeline, status):
    """A stuck article is queued again, stamped, and a sweep right after leaves it alone."""
    settings.INGEST_STALE_AFTER = 300
    article = stale(ArticleFactory(status=status, attempts=1), settings)
    before = article.status_changed_at

    assert articles_sweep() == 1
    assert articles_sweep() == 0

    article.refresh_from_db()
    assert article.status == "pending"
    assert article.status_changed_at > before + timedelta(seconds=300)
    assert pipeline.extracted == [article.pk]


def test_it_re_queues_the_fetch_of_a_stuck_url_only_article(site, settings, pipeline):
    """A URL-only article stuck before its fetch is fetched again, not extracted."""
    article = stale(url_only(site, "/article.html"), settings)

    assert articles_sweep() == 1

    assert pipeline.fetch_queued == [article.pk]
    assert pipeline.extracted == []


def test_it_leaves_fresh_and_finished_articles_alone(settings, pipeline):
    """Recent pending articles, and old done or failed ones, are not swept."""
    settings.INGEST_STALE_AFTER = 300
    fresh = ArticleFactory(status="pending")
    done = stale(ArticleFactory(status="done"), settings)
    failed = stale(ArticleFactory(status="failed", error="Broken."), settings)
    just_in_time = stale(ArticleFactory(status="processing"), settings, seconds_over=-60)

    assert articles_sweep() == 0

    assert pipeline.extracted == []
    for article, status in [(fresh, "pending"), (done, "done"), (failed, "failed")]:
        changed_at = article.status_changed_at
        article.refresh_from_db()
        assert (article.status, article.status_changed_at) == (status, changed_at)
    just_in_time.refresh_from_db()
    assert just_in_time.status == "processing"


def test_it_gives_up_after_the_last_attempt(settings, pipeline):
    """An article that used all its attempts is failed with a reason, not queued again."""
    settings.INGEST_STALE_AFTER = 300
    spent = stale(ArticleFactory(status="processing", attempts=MAX_ATTEMPTS), settings)
    last_try = stale(ArticleFactory(status="processing", attempts=MAX_ATTEMPTS - 1), settings)

    assert articles_sweep() == 1

    spent.refresh_from_db()
    assert spent.status == "failed"
    assert spent.error == f"Gave up after {MAX_ATTEMPTS} attempts."
    assert spent.processed_at is not None
    assert pipeline.extracted == [last_try.pk]


def test_it_polls_only_the_feeds_that_are_due(settings, pipeline):
    """Feeds never polled or polled longer ago than FEED_POLL_INTERVAL are queued; others not."""
    settings.FEED_POLL_INTERVAL = 900
    now = timezone.now()
    never = SourceFactory(feed_url="https://a.example.org/feed")
    long_ago = SourceFactory(
        feed_url="https://b.example.org/feed", last_polled_at=now - timedelta(seconds=1000)
    )
    SourceFactory(feed_url="https://c.example.org/feed", last_polled_at=now - timedelta(seconds=60))
    SourceFactory(feed_url="")  # no feed at all

    assert sources_poll_due() == 2

    assert sorted(pipeline.polls_queued) == sorted([never.pk, long_ago.pk])


def test_it_polls_one_source_by_id(site, django_capture_on_commit_callbacks):
    """The poll task ingests the source's feed; a missing source is nothing to do."""
    source = SourceFactory(feed_url=site.url("/feed.xml"))

    with django_capture_on_commit_callbacks(execute=True):
        assert source_poll_task(source.pk) == 2
    assert source_poll_task(source.pk + 1000) == 0
    assert Article.objects.filter(source=source).count() == 2
