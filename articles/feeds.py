"""Poll RSS and Atom feeds: each entry becomes an article, once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from xml.sax import SAXParseException

import feedparser
from django.utils import timezone

from articles.exceptions import IngestError
from articles.fetching import FEED_TYPES, FetchError, fetch
from articles.models import Source
from articles.services import article_ingest
from articles.text import html_to_text

logger = logging.getLogger(__name__)

# An entry whose own content is at least this long is stored as is; shorter ones are fetched.
FULL_TEXT_CHARS = 800


def source_poll(source: Source) -> int:
    """Fetch a source's feed (conditionally) and ingest new entries; return how many were new."""
    headers = {}
    if source.feed_etag:
        headers["If-None-Match"] = source.feed_etag
    if source.feed_modified:
        headers["If-Modified-Since"] = source.feed_modified
    try:
        response = fetch(source.feed_url, (*FEED_TYPES, "text/html", "text/plain"), headers)
    except FetchError as error:
        _record(source, str(error))
        return 0
    if response.status == 304:
        _record(source, "")
        return 0
    parsed = feedparser.parse(response.content)
    # A web page (well-formed or not) or nothing at all: say so rather than quote a parser.
    if not parsed.get("version") and not parsed.entries:
        _record(source, "The address did not return an RSS or Atom feed.")
        return 0
    if parsed.bozo and not parsed.entries:
        reason = _parse_problem(getattr(parsed, "bozo_exception", None))
        _record(source, f"The feed could not be read: {reason}.")
        return 0
    created = 0
    for entry in parsed.entries:
        try:
            created += _ingest_entry(source, entry)
        except IngestError as error:
            logger.info("Skipped a feed entry of %s: %s", source, error.message)
    source.feed_etag = response.etag[:500]
    source.feed_modified = response.last_modified[:100]
    _record(source, "", extra=["feed_etag", "feed_modified"])
    return created


def _parse_problem(error: Exception | None) -> str:
    """Describe why the feed's XML could not be parsed, with where, for whoever fixes it."""
    if isinstance(error, SAXParseException):
        return (
            f"it is not well-formed XML ({error.getMessage()} at line {error.getLineNumber()}, "
            f"column {error.getColumnNumber()})"
        )
    return str(error) if error else "it is not well-formed XML"


def _ingest_entry(source: Source, entry) -> int:
    link = entry.get("link") or None
    content = " ".join(part.get("value", "") for part in entry.get("content", []))
    text = html_to_text(content or entry.get("summary", ""))
    published = _entry_date(entry)
    if len(text) >= FULL_TEXT_CHARS:
        outcome = article_ingest(
            body=text, url=link, title=entry.get("title", ""), published_at=published, source=source
        )
    elif link:
        outcome = article_ingest(
            url=link, title=entry.get("title", ""), published_at=published, source=source
        )
    else:
        return 0
    return int(outcome.created)


def _entry_date(entry) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    try:
        value = datetime(*parsed[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None
    return value if value <= timezone.now() else None


def _record(source: Source, error: str, extra: list[str] | None = None) -> None:
    source.last_polled_at = timezone.now()
    source.last_poll_error = error
    source.save(update_fields=["last_polled_at", "last_poll_error", *(extra or [])])
