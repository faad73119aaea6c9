"""Writes for articles: every channel (API, form, command, URL, feed) stores text through here."""

from __future__ import annotations

import logging
import re
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import slugify

from articles.choices import ArticleStatus, PublishedSource, SourceKind, SourceSide
from articles.exceptions import IngestError, TextTooLarge
from articles.fetching import without_credentials
from articles.models import Article, Source
from articles.signals import article_stored
from articles.text import content_hash, control_share, normalise_body

logger = logging.getLogger(__name__)

MAX_TITLE_CHARS = 500
EARLIEST_PUBLICATION = date(1900, 1, 1)


@dataclass(frozen=True)
class IngestOutcome:
    article: Article
    created: bool


def source_get_or_create(
    name: str, kind: str = SourceKind.NEWS, side: str = SourceSide.MEDIA
) -> Source:
    """Return the source with this name (matched by slug), creating it when new."""
    name = " ".join(name.split())[:200]
    slug = slugify(name)[:200]
    if not slug:
        raise IngestError(f"The source name {name!r} has no letters or digits.")
    source = Source.objects.filter(slug=slug).first()
    if source is not None:
        return source
    try:
        with transaction.atomic():
            return Source.objects.create(name=name, slug=slug, kind=kind, side=side)
    except IntegrityError:  # created by a concurrent submission
        return Source.objects.get(slug=slug)


def _clean_body(body: str) -> str:
    if len(body) > settings.ARTICLE_MAX_CHARS * 2:
        raise TextTooLarge(_too_large_message(len(body)))
    if control_share(body) > 0.01:
        raise IngestError("The text contains binary data (control characters); send plain text.")
    cleaned = normalise_body(body)
    if not cleaned:
        raise IngestError("The text is empty.")
    if not re.search(r"\w", cleaned):  # the hash keeps only words: all such texts would match
        raise IngestError("The text has no words.")
    if len(cleaned) > settings.ARTICLE_MAX_CHARS:
        raise TextTooLarge(_too_large_message(len(cleaned)))
    return cleaned


def _too_large_message(length: int) -> str:
    return (
        f"The text has {length:,} characters; the limit is {settings.ARTICLE_MAX_CHARS:,}. "
        "Split it into several articles."
    )


def _clean_url(url: str) -> str:
    url = url.strip()
    if len(url) > 2000:  # checked first: the validator refuses long URLs as malformed
        raise IngestError("The URL is longer than 2,000 characters.")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise IngestError(f"{url[:200]!r} is not an http or https URL.") from None
    # A user name and password in the address would be shown as source_url and sent on fetching.
    return without_credentials(url)


def _clean_published(published_at: date | datetime | None) -> datetime | None:
    if published_at is None:
        return None
    if not isinstance(published_at, datetime):
        published_at = datetime.combine(published_at, time(12, 0))
    if timezone.is_naive(published_at):
        published_at = timezone.make_aware(published_at, timezone.UTC)
    if published_at.date() < EARLIEST_PUBLICATION:
        raise IngestError("The publication date is before 1900.")
    if published_at > timezone.now() + timedelta(days=2):
        raise IngestError("The publication date is in the future.")
    # Stored in UTC: the database cannot hold every offset Python accepts (beyond ±15:59).
    return published_at.astimezone(UTC)


def article_ingest(
    *,
    body: str | None = None,
    url: str | None = None,
    title: str = "",
    published_at: date | datetime | None = None,
    source: str | Source | None = None,
    published_source: str | None = None,
    announce: bool = True,
) -> IngestOutcome:
    """Store a new article, or return the existing one with the same text or URL.

    With a body the article is ready for extraction; with only a URL it waits for its fetch.
    After the transaction commits it is announced (queued for a worker), unless `announce` is
    false: then the caller processes it itself.
    """
    if not (body and body.strip()) and not (url and url.strip()):
        raise IngestError("Send the article's text (body) or its address (url).")
    cleaned_url = _clean_url(url) if url and url.strip() else None
    cleaned_body = _clean_body(body) if body is not None and body.strip() else None
    published = _clean_published(published_at)
    if published_source is None:
        published_source = PublishedSource.GIVEN if published else PublishedSource.UNKNOWN
    title = " ".join((title or "").split())[:MAX_TITLE_CHARS]
    source_row = source_get_or_create(source) if isinstance(source, str) and source else source

    digest = content_hash(cleaned_body) if cleaned_body else None
    existing = _find_existing(digest, cleaned_url)
    if existing is not None:
        return IngestOutcome(existing, created=False)
    try:
        # Alone, the insert is one statement that commits itself: no BEGIN and COMMIT round
        # trips, and one revision bump after it (revision_bump). Inside a caller's
        # transaction, a savepoint keeps a duplicate's error from breaking that transaction.
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            article = Article.objects.create(
                body=cleaned_body or "",
                content_hash=digest,
                url=cleaned_url,
                title=title,
                published_at=published,
                published_source=published_source,
                source=source_row or None,
            )
            if announce:
                transaction.on_commit(lambda: article_announce(article))
    except IntegrityError:
        # A concurrent submission stored the same text or URL first: that one is the article.
        existing = _find_existing(digest, cleaned_url)
        if existing is None:
            raise
        return IngestOutcome(existing, created=False)
    return IngestOutcome(article, created=True)


def _find_existing(digest: str | None, url: str | None) -> Article | None:
    if digest:
        found = Article.objects.filter(content_hash=digest).first()
        if found is not None:
            return found
    if url:
        return Article.objects.filter(url=url).first()
    return None


def article_announce(article: Article) -> None:
    """Queue the next step for a stored article: its fetch when it has only a URL, otherwise
    tell the receivers of `article_stored` (which queue extraction).

    A broker outage leaves the article pending for the sweeper.
    """
    from articles.tasks import article_fetch

    try:
        if article.content_hash:
            article_stored.send(sender=Article, article_id=article.pk)
        else:
            article_fetch.delay(article.pk)
    except Exception:  # the sweeper re-enqueues it once the broker is back
        logger.exception("Could not enqueue article %s; the sweeper will retry", article.pk)


def article_claim(article_id: int) -> Article | None:
    """Claim a stored article for processing; return it, or None when another worker has it.

    A conditional update claims it, so only one worker processes an article at a time; an
    article left processing longer than INGEST_STALE_AFTER (its worker died) can be claimed
    again.
    """
    stale = timezone.now() - timedelta(seconds=settings.INGEST_STALE_AFTER)
    claimed = (
        Article.objects.filter(pk=article_id, content_hash__isnull=False)
        .filter(
            Q(status=ArticleStatus.PENDING)
            | Q(status=ArticleStatus.PROCESSING, status_changed_at__lt=stale)
        )
        .update(
            status=ArticleStatus.PROCESSING,
            attempts=F("attempts") + 1,
            status_changed_at=timezone.now(),
            error="",
        )
    )
    return Article.objects.get(pk=article_id) if claimed else None


def articles_claim_waiting(limit: int) -> list[Article]:
    """Claim up to `limit` pending articles that have their text, oldest first; return them.

    Rows another worker is claiming are skipped rather than waited for, so two workers
    draining a backlog at once take different articles. One statement: it commits by itself.
    """
    if limit <= 0:
        return []
    table = Article._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            # Materialized: a subquery in the WHERE clause may run again and claim more.
            f"WITH picked AS MATERIALIZED (SELECT id FROM {table}"
            " WHERE status = %s AND content_hash IS NOT NULL"
            " ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED)"
            f" UPDATE {table} AS a SET status = %s, attempts = a.attempts + 1,"
            " status_changed_at = %s, error = ''"
            " FROM picked WHERE a.id = picked.id RETURNING a.id",
            [ArticleStatus.PENDING, limit, ArticleStatus.PROCESSING, timezone.now()],
        )
        ids = [row[0] for row in cursor.fetchall()]
    return list(Article.objects.filter(pk__in=ids).order_by("id")) if ids else []


def article_requeue(article_id: int) -> Article | None:
    """Put a stored article back to pending, to be processed again; return it.

    Return None when it has no text yet or is being processed right now.
    """
    updated = (
        Article.objects.filter(pk=article_id, content_hash__isnull=False)
        .exclude(status=ArticleStatus.PROCESSING)
        .update(status=ArticleStatus.PENDING, status_changed_at=timezone.now(), error="")
    )
    return Article.objects.get(pk=article_id) if updated else None


def article_count_attempt(article_id: int) -> None:
    """Count one more attempt at an article, stamping when (the sweeper reads both)."""
    Article.objects.filter(pk=article_id).update(
        attempts=F("attempts") + 1, status_changed_at=timezone.now()
    )


def article_set_status(article_id: int, status: str, error: str = "", **extra) -> int:
    """Move an article to a status, stamping when; return the number of rows changed."""
    return articles_set_status([article_id], status, error, **extra)


def articles_set_status(article_ids: list[int], status: str, error: str = "", **extra) -> int:
    """Move articles to a status, stamping when; return the number of rows changed."""
    values = {"status": status, "error": error[:5000], "status_changed_at": timezone.now()}
    if status in (ArticleStatus.DONE, ArticleStatus.FAILED):
        values["processed_at"] = timezone.now()
    values.update(extra)
    return Article.objects.filter(pk__in=article_ids).update(**values)


@dataclass(frozen=True)
class PageText:
    text: str
    title: str
    published: date | None


def page_text(html: str, url: str | None = None) -> PageText:
    """Return the main text, title and publication date of an HTML page."""
    import trafilatura

    document = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    text = getattr(document, "text", None) if document is not None else None
    if not text or not text.strip():
        if "<" in html[:2000]:
            raise IngestError("No article text was found on the page.")
        text = html  # plain text served as a page
    found = getattr(document, "date", None) or ""
    try:
        published = date.fromisoformat(found[:10]) if found else None
    except ValueError:
        published = None  # an unusable date in metadata is no date
    title = " ".join((getattr(document, "title", None) or "").split())[:MAX_TITLE_CHARS]
    return PageText(text=text, title=title, published=published)


def article_fill_from_page(
    article_id: int, page: bytes, final_url: str, announce: bool = True
) -> Article | None:
    """Give a URL-only article the main text, title and date found in its HTML.

    Returns the article, or None when the text duplicates another article (then this one is
    marked failed with a pointer to the original, and nothing else changes). The article is
    announced after the commit unless `announce` is false.
    """
    from trafilatura.utils import decode_file

    # UTF-8 when it is; otherwise the encoding is guessed rather than the bytes replaced.
    found = page_text(decode_file(page), final_url)
    body = _clean_body(found.text)
    digest = content_hash(body)
    duplicate = Article.objects.filter(content_hash=digest).exclude(pk=article_id).first()
    if duplicate is not None:
        article_set_status(
            article_id, ArticleStatus.FAILED, f"Same text as article {duplicate.pk}."
        )
        return None
    article = Article.objects.get(pk=article_id)
    article.body, article.content_hash = body, digest
    fields = ["body", "content_hash"]
    if not article.title and found.title:
        article.title = found.title
        fields.append("title")
    if article.published_at is None and found.published:
        try:
            article.published_at = _clean_published(found.published)
            article.published_source = PublishedSource.METADATA
            fields += ["published_at", "published_source"]
        except IngestError:
            pass  # an impossible date in metadata is no date
    try:
        with transaction.atomic():
            article.save(update_fields=fields)
            if announce:
                transaction.on_commit(lambda: article_announce(article))
    except IntegrityError:  # a concurrent ingest stored the same text a moment ago
        article_set_status(article_id, ArticleStatus.FAILED, "Same text as another article.")
        return None
    return article


def article_fetch_page(article_id: int, announce: bool = True) -> str | None:
    """Fetch a URL-only article's page and store its text; return the article's status then.

    Return None when there is nothing to fetch (the article is gone, has its text, or has
    finished). A failed fetch marks the article failed with a readable reason.
    """
    from articles.fetching import HTML_TYPES, FetchError, fetch

    article = Article.objects.filter(pk=article_id, content_hash__isnull=True).first()
    if article is None or article.status not in (ArticleStatus.PENDING, ArticleStatus.PROCESSING):
        return None
    article_count_attempt(article_id)
    try:
        page = fetch(article.url, HTML_TYPES)
        article_fill_from_page(article_id, page.content, page.url, announce=announce)
    except (FetchError, IngestError) as error:
        message = getattr(error, "message", None) or str(error)
        article_set_status(article_id, ArticleStatus.FAILED, message)
        return ArticleStatus.FAILED
    return ArticleStatus.PENDING


# After this many attempts an article is marked failed instead of being retried forever.
MAX_ATTEMPTS = 5


def articles_requeue_stale() -> int:
    """Announce again the articles left pending or processing too long; return how many.

    A lost message, a broker outage at submission or a killed worker all leave an article
    unfinished; this brings it back, and gives up on one after MAX_ATTEMPTS. Stamping the time
    first keeps two sweeps from doubling up.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.INGEST_STALE_AFTER)
    stuck = Article.objects.unfinished().filter(status_changed_at__lt=stale)
    Article.objects.filter(pk__in=stuck.filter(attempts__gte=MAX_ATTEMPTS)).update(
        status=ArticleStatus.FAILED,
        error=f"Gave up after {MAX_ATTEMPTS} attempts.",
        status_changed_at=now,
        processed_at=now,
    )
    count = 0
    for article in stuck.filter(attempts__lt=MAX_ATTEMPTS).order_by("id")[:5000]:
        changed = Article.objects.filter(
            pk=article.pk, status=article.status, status_changed_at=article.status_changed_at
        ).update(status=ArticleStatus.PENDING, status_changed_at=timezone.now())
        if changed:
            article_announce(article)
            count += 1
    if count:
        logger.info("Re-enqueued %s unfinished articles", count)
    return count


def sources_due() -> list[int]:
    """Return the ids of the feeds not polled within FEED_POLL_INTERVAL."""
    due = timezone.now() - timedelta(seconds=settings.FEED_POLL_INTERVAL)
    sources = Source.objects.exclude(feed_url="").filter(
        Q(last_polled_at__isnull=True) | Q(last_polled_at__lt=due)
    )
    return list(sources.values_list("pk", flat=True))
