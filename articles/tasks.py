"""Background work for articles: fetching URLs, polling feeds, sweeping stuck articles."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.db.models import F, Q
from django.utils import timezone

from articles.choices import ArticleStatus
from articles.exceptions import IngestError
from articles.feeds import source_poll
from articles.fetching import HTML_TYPES, FetchError, fetch
from articles.models import Article, Source
from articles.services import announce, article_fill_from_page, article_set_status

logger = logging.getLogger(__name__)

# After this many attempts an article is marked failed instead of being retried forever.
MAX_ATTEMPTS = 5


@shared_task(
    name="articles.article_fetch",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=2,
    max_retries=5,
)
def article_fetch(article_id: int, sync: bool = False) -> str | None:
    """Fetch a URL-only article's page and store its text; failures keep a readable reason."""
    article = Article.objects.filter(pk=article_id, content_hash__isnull=True).first()
    if article is None or article.status not in (ArticleStatus.PENDING, ArticleStatus.PROCESSING):
        return None
    Article.objects.filter(pk=article_id).update(
        attempts=F("attempts") + 1, status_changed_at=timezone.now()
    )
    try:
        page = fetch(article.url, HTML_TYPES)
        article_fill_from_page(article_id, page.content, page.url, sync=sync)
    except (FetchError, IngestError) as error:
        message = getattr(error, "message", None) or str(error)
        article_set_status(article_id, ArticleStatus.FAILED, message)
        return ArticleStatus.FAILED
    return ArticleStatus.PENDING


@shared_task(name="articles.sources_poll_due", acks_late=True)
def sources_poll_due() -> int:
    """Queue a poll for every feed not polled within FEED_POLL_INTERVAL; return how many."""
    due = timezone.now() - timedelta(seconds=settings.FEED_POLL_INTERVAL)
    sources = Source.objects.exclude(feed_url="").filter(
        Q(last_polled_at__isnull=True) | Q(last_polled_at__lt=due)
    )
    ids = list(sources.values_list("pk", flat=True))
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
    """Re-enqueue articles left pending or processing too long; return how many.

    A lost message, a broker outage at submission or a killed worker all leave an article
    unfinished; this brings it back. Stamping the time first keeps two sweeps from doubling up.
    """
    stale = timezone.now() - timedelta(seconds=settings.INGEST_STALE_AFTER)
    stuck = Article.objects.unfinished().filter(status_changed_at__lt=stale)
    Article.objects.filter(pk__in=stuck.filter(attempts__gte=MAX_ATTEMPTS)).update(
        status=ArticleStatus.FAILED,
        error=f"Gave up after {MAX_ATTEMPTS} attempts.",
        status_changed_at=timezone.now(),
        processed_at=timezone.now(),
    )
    count = 0
    for article in stuck.filter(attempts__lt=MAX_ATTEMPTS).order_by("id")[:5000]:
        changed = Article.objects.filter(
            pk=article.pk, status=article.status, status_changed_at=article.status_changed_at
        ).update(status=ArticleStatus.PENDING, status_changed_at=timezone.now())
        if changed:
            announce(article)
            count += 1
    if count:
        logger.info("Re-enqueued %s unfinished articles", count)
    return count
