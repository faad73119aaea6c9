"""Processing a stored article: claim it, extract from it, apply the extraction, finish it."""

from __future__ import annotations

import contextlib
import logging
from datetime import date

from django.db import OperationalError, transaction
from django.utils import timezone

from articles.choices import ArticleStatus, PublishedSource
from articles.models import Article
from articles.services import (
    article_announce,
    article_claim,
    article_fetch_page,
    article_requeue,
    article_set_status,
)
from diplomacy.extraction import extract
from diplomacy.gazetteer import gazetteer_current
from diplomacy.revision import revision_bump
from diplomacy.services.article_topics import article_topics_refresh
from diplomacy.services.evidence import article_apply_extraction, known_publication_date

logger = logging.getLogger(__name__)

# Errors worth retrying: the database went away or a deadlock was broken.
TRANSIENT_ERRORS = (OperationalError,)


def article_process(article_id: int) -> str | None:
    """Extract meetings from a stored article and merge them into the timeline.

    Only one worker processes an article (articles' claim); returns the final status, or None
    when there was nothing to do.
    """
    article = article_claim(article_id)
    if article is None:
        return None
    try:
        extraction = extract(article.body, known_publication_date(article), gazetteer_current())
        with transaction.atomic():
            article_apply_extraction(article, extraction)
            done = {"extractor_version": extraction.version}
            if article.published_at is None and extraction.published is not None:
                done["published_at"] = _noon(extraction.published)
                done["published_source"] = PublishedSource.INFERRED
            article_set_status(article.pk, ArticleStatus.DONE, **done)
            article_topics_refresh([article.pk])
            revision_bump()
        return ArticleStatus.DONE
    except TRANSIENT_ERRORS:
        # Leave it for a retry (or the sweeper); the transaction rolled back cleanly.
        _set_status_quietly(article.pk, ArticleStatus.PENDING, "Database unavailable; will retry.")
        raise
    except Exception as error:
        logger.exception("Extraction failed for article %s", article.pk)
        article_set_status(article.pk, ArticleStatus.FAILED, f"{type(error).__name__}: {error}")
        return ArticleStatus.FAILED


def article_process_now(article_id: int) -> str | None:
    """Process a stored article in this process, fetching its page first when it has only a
    URL; return its final status. What `ingest --sync` and the other waiting callers use."""
    article = Article.objects.filter(pk=article_id).only("content_hash").first()
    if article is None:
        return None
    if article.content_hash is None and article_fetch_page(article_id, announce=False) is None:
        return None
    return article_process(article_id)


def article_reprocess(article_id: int, now: bool = False) -> bool:
    """Run extraction on an article again: queued, or here and now with `now`.

    Return False when it has no text yet or is being processed right now.
    """
    article = article_requeue(article_id)
    if article is None:
        return False
    if now:
        article_process(article_id)
    else:
        transaction.on_commit(lambda: article_announce(article))
    return True


def _set_status_quietly(article_id: int, status: str, error: str) -> None:
    # If even this fails, the sweeper finds the article still processing and re-enqueues it.
    with contextlib.suppress(TRANSIENT_ERRORS):
        article_set_status(article_id, status, error)


def _noon(day: date):
    return timezone.make_aware(timezone.datetime(day.year, day.month, day.day, 12), timezone.UTC)
