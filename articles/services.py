"""Writes for articles: every channel (API, form, command, URL, feed) stores text through here."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from articles.choices import ArticleStatus, PublishedSource, SourceKind
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


def source_get_or_create(name: str, kind: str = SourceKind.NEWS) -> Source:
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
            return Source.objects.create(name=name, slug=slug, kind=kind)
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
    if published_at > timezone.now() + timezone.timedelta(days=2):
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
    sync: bool = False,
) -> IngestOutcome:
    """Store a new article, or return the existing one with the same text or URL.

    With a body the article is ready for extraction; with only a URL it waits for its fetch.
    Processing starts after the transaction commits: queued for a worker, or right here in
    this process when `sync` is true.
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
        with transaction.atomic():
            article = Article.objects.create(
                body=cleaned_body or "",
                content_hash=digest,
                url=cleaned_url,
                title=title,
                published_at=published,
                published_source=published_source,
                source=source_row or None,
            )
            transaction.on_commit(lambda: announce(article, sync=sync))
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


def announce(article: Article, sync: bool = False) -> None:
    """Start processing a stored article: fetch its page first when it has only a URL.

    With `sync` the work runs in this process; otherwise it is queued, and a broker outage
    leaves the article pending for the sweeper.
    """
    from articles.tasks import article_fetch

    if sync:
        if article.content_hash:
            article_stored.send(sender=Article, article_id=article.pk, sync=True)
        else:
            article_fetch(article.pk, sync=True)
        return
    try:
        if article.content_hash:
            article_stored.send(sender=Article, article_id=article.pk, sync=False)
        else:
            article_fetch.delay(article.pk)
    except Exception:  # the sweeper re-enqueues it once the broker is back
        logger.exception("Could not enqueue article %s; the sweeper will retry", article.pk)


def article_set_status(article_id: int, status: str, error: str = "", **extra) -> int:
    """Move an article to a status, stamping when; return the number of rows changed."""
    values = {"status": status, "error": error[:5000], "status_changed_at": timezone.now()}
    if status in (ArticleStatus.DONE, ArticleStatus.FAILED):
        values["processed_at"] = timezone.now()
    values.update(extra)
    return Article.objects.filter(pk=article_id).update(**values)


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
    article_id: int, page: bytes, final_url: str, sync: bool = False
) -> Article | None:
    """Give a URL-only article the main text, title and date found in its HTML.

    Returns the article, or None when the text duplicates another article (then this one is
    marked failed with a pointer to the original, and nothing else changes).
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
            transaction.on_commit(lambda: announce(article, sync=sync))
    except IntegrityError:  # a concurrent ingest stored the same text a moment ago
        article_set_status(article_id, ArticleStatus.FAILED, "Same text as another article.")
        return None
    return article
