"""Processing a stored article: claim it, extract from it, apply the extraction, finish it."""

from __future__ import annotations

import contextlib
import logging
from collections import defaultdict
from datetime import date

from django.conf import settings
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
    articles_claim_waiting,
    articles_set_status,
)
from diplomacy.extraction import extract
from diplomacy.extraction.types import Extraction
from diplomacy.gazetteer import gazetteer_current
from diplomacy.models import ResettleRequest
from diplomacy.revision import revision_bump, revision_bumps_deferred
from diplomacy.services.article_topics import article_topics_refresh
from diplomacy.services.evidence import articles_apply_extractions, known_publication_date
from diplomacy.services.reference import reference_current
from diplomacy.services.resettling import PlacingElsewhere, requests_resettle

logger = logging.getLogger(__name__)

# Errors worth retrying: the database went away or a deadlock was broken.
TRANSIENT_ERRORS = (OperationalError,)
# A merge the database chose as a deadlock's victim is run again this many times at most.
DEADLOCK_ATTEMPTS = 3


def article_process(article_id: int) -> str | None:
    """Extract meetings from a stored article and merge them into the timeline.

    Only one worker processes an article (articles' claim); returns the final status, or None
    when there was nothing to do.
    """
    article = article_claim(article_id)
    if article is None:
        return None
    return articles_process_claimed([article])[article.pk]


def articles_process_batch(article_id: int, size: int | None = None) -> dict[str, list[int]] | None:
    """Process the article, and with it up to `size` - 1 articles waiting (INGEST_BATCH_SIZE).

    A lone article is processed at once, alone; a backlog is drained in batches whichever
    article's message comes first (the messages of the others then find nothing to do).
    Return the ids of the articles that ended in each status, or None when there was nothing
    to do.
    """
    size = size or settings.INGEST_BATCH_SIZE
    article = article_claim(article_id)
    claimed = [article] if article is not None else []
    claimed += articles_claim_waiting(size - len(claimed))
    if not claimed:
        return None
    ended: dict[str, list[int]] = defaultdict(list)
    # The vague reports they moved are placed again by a task of their own (reports_resettle),
    # for every batch that committed meanwhile at once: a batch is not held up by it.
    for article_id, status in sorted(articles_process_claimed(claimed, resettle=False).items()):
        ended[str(status)].append(article_id)
    return dict(ended)


def articles_process_claimed(articles: list[Article], resettle: bool = True) -> dict[int, str]:
    """Extract from claimed articles and merge them in one transaction; return each status.
    Without `resettle`, the vague reports they move are placed again later (see
    reports_resettle_waiting), and a task for it is queued once they commit.

    Extraction, a pure function, runs first and outside the transaction; an article it fails
    on ends failed alone. Should the merge fail, each article is merged again on its own, so
    that one bad article does not take the others with it. A transient error puts them all
    back to pending and is raised for a retry.
    """
    statuses: dict[int, str] = {}
    extracted: list[tuple[Article, Extraction]] = []
    try:
        gazetteer = gazetteer_current()  # one look at its revision for the batch
        for article in articles:
            try:
                extraction = extract(article.body, known_publication_date(article), gazetteer)
            except TRANSIENT_ERRORS:
                raise
            except Exception as error:
                statuses[article.pk] = _fail(article, error)
                continue
            extracted.append((article, extraction))
        if len(extracted) > 1:
            try:
                _merge(extracted, resettle)
            except TRANSIENT_ERRORS:
                raise
            except Exception:
                logger.exception(
                    "A batch of %s articles failed; merging one by one", len(extracted)
                )
            else:
                return statuses | dict.fromkeys((a.pk for a, _ in extracted), ArticleStatus.DONE)
        for article, extraction in extracted:
            try:
                _merge([(article, extraction)], resettle)
                statuses[article.pk] = ArticleStatus.DONE
            except TRANSIENT_ERRORS:
                raise
            except Exception as error:
                statuses[article.pk] = _fail(article, error)
    except TRANSIENT_ERRORS:
        # Leave them for a retry (or the sweeper); the transaction rolled back cleanly.
        for article in articles:
            if article.pk not in statuses:
                _set_status_quietly(
                    article.pk, ArticleStatus.PENDING, "Database unavailable; will retry."
                )
        raise
    return statuses


def _merge(extracted: list[tuple[Article, Extraction]], resettle: bool = True) -> None:
    """Apply the extractions and finish the articles in one transaction, with one revision
    bump; a deadlock broken by the database is tried again, the articles still claimed."""

    def merge() -> None:
        with revision_bumps_deferred():
            articles_apply_extractions(extracted, resettle=resettle)
            _finish(extracted)
        revision_bump()
        if not resettle:
            transaction.on_commit(reports_resettle_announce)

    _atomic_retrying_deadlocks(merge, f"merging {len(extracted)} articles")


def _atomic_retrying_deadlocks(work, what: str):
    """Return `work()` run in a transaction, run again (DEADLOCK_ATTEMPTS in all) when the
    database broke a deadlock by cancelling it."""
    for _ in range(DEADLOCK_ATTEMPTS - 1):
        try:
            with transaction.atomic():
                return work()
        except OperationalError as error:
            if not _deadlock(error):
                raise
            logger.warning("Deadlock %s; trying again", what)
    with transaction.atomic():
        return work()


def reports_resettle_announce() -> None:
    """Queue the placing of the vague reports batches asked for, when a request waits.

    A broker outage leaves them waiting for the periodic task (beat's resettle-waiting).
    """
    from diplomacy.tasks import reports_resettle

    try:
        if ResettleRequest.objects.exists():
            reports_resettle.delay()
    except Exception:
        logger.exception("Could not queue the placing of vague reports; beat will")


def reports_resettle_waiting() -> int:
    """Place the vague reports every waiting request asks for, round after round until none
    waits (requests that came during a round are the next round's); return how many meetings
    changed.

    Another caller holding the turn makes this one return at once, leaving the requests to
    it: a holder looks for requests again after each round, and once more after letting go
    of the turn, so it also takes those made by batches that found the turn held just as it
    found nothing left.
    """

    def place() -> set[int] | None:
        with revision_bumps_deferred():
            moved = requests_resettle(reference_current())
        if moved:
            revision_bump()
        return moved

    changed = 0
    while True:
        try:
            moved = _atomic_retrying_deadlocks(place, "placing vague reports")
        except PlacingElsewhere:
            return changed
        if moved is not None:
            changed += len(moved)
        elif not ResettleRequest.objects.exists():  # looked at again, the turn let go
            return changed


def _finish(extracted: list[tuple[Article, Extraction]]) -> None:
    """Mark the articles done, one update for all that end with the same values."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for article, extraction in extracted:
        done = {"extractor_version": extraction.version}
        if article.published_at is None and extraction.published is not None:
            done["published_at"] = _noon(extraction.published)
            done["published_source"] = PublishedSource.INFERRED
        groups[tuple(done.items())].append(article.pk)
    for done, ids in groups.items():
        articles_set_status(ids, ArticleStatus.DONE, **dict(done))
    # After the status: an inferred publication date is the one the topic rows carry.
    article_topics_refresh([article.pk for article, _ in extracted])


def _deadlock(error: OperationalError) -> bool:
    return getattr(error.__cause__, "sqlstate", None) in ("40P01", "40001")


def _fail(article: Article, error: Exception) -> str:
    logger.error("Extraction failed for article %s", article.pk, exc_info=error)
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
