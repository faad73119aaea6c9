"""Background work for articles: fetching URLs, polling feeds, sweeping stuck articles."""

from celery import shared_task
from django.db import OperationalError

from articles.feeds import source_poll
from articles.models import Source
from articles.services import MAX_ATTEMPTS, article_fetch_page, articles_requeue_stale, sources_due

__all__ = [
    "MAX_ATTEMPTS",
    "article_fetch",
    "articles_sweep",
    "source_poll_task",
    "sources_poll_due",
]


@shared_task(
    name="articles.article_fetch",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=2,
    max_retries=5,
)
def article_fetch(article_id: int) -> str | None:
    """Fetch a URL-only article's page and store its text; failures keep a readable reason."""
    return article_fetch_page(article_id)


@shared_task(name="articles.sources_poll_due", acks_late=True)
def sources_poll_due() -> int:
    """Queue a poll for every feed not polled within FEED_POLL_INTERVAL; return how many."""
    ids = sources_due()
    for source_id in ids:
        source_poll_task.delay(source_id)
    return len(ids)


@shared_task(name="articles.source_poll", acks_late=True)
def source_poll_task(source_id: int) -> int:
    """Poll one feed; return the number of new articles."""
    source = Source.objects.filter(pk=source_id).first()
    return source_poll(source) if source is not None else 0


@shared_task(name="articles.articles_sweep", acks_late=True)
def articles_sweep() -> int:
    """Re-enqueue articles left pending or processing too long; return how many."""
    return articles_requeue_stale()
