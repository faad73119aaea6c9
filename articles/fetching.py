"""Fetch a web page or feed safely: bounded time, size, redirects and content types."""

from __future__ import annotations

import time
from dataclasses import dataclass

import requests
import urllib3
from django.conf import settings

HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
FEED_TYPES = ("xml", "rss", "atom")
MAX_REDIRECTS = 5
USER_AGENT = "Backchannel/1.0 (+analyst ingestion)"


class FetchError(Exception):
    """The resource could not be fetched; the message is readable by an analyst."""


@dataclass(frozen=True)
class Fetched:
    url: str
    status: int
    content_type: str
    content: bytes
    etag: str = ""
    last_modified: str = ""


def fetch(url: str, accept: tuple[str, ...], headers: dict | None = None) -> Fetched:
    """GET a URL, refusing slow, huge, looping or wrongly typed responses."""
    session = requests.Session()
    session.max_redirects = MAX_REDIRECTS
    limit = settings.FETCH_MAX_BYTES
    try:
        with session.get(
            url,
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            timeout=(5, settings.FETCH_TIMEOUT),
            stream=True,
        ) as response:
            if response.status_code == 304:
                return Fetched(response.url, 304, "", b"")
            if response.status_code >= 400:
                raise FetchError(f"The server answered {response.status_code} for {url}.")
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if content_type and not any(kind in content_type for kind in accept):
                raise FetchError(f"Unsupported content type {content_type!r} at {url}.")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > limit:
                raise FetchError(f"The page is larger than the {limit:,}-byte limit.")
            chunks, size = [], 0
            # The read timeout applies per chunk; a server trickling bytes meets this deadline.
            deadline = time.monotonic() + settings.FETCH_TIMEOUT * 2
            for chunk in _arriving(response):
                size += len(chunk)
                if time.monotonic() > deadline:
                    raise FetchError(f"{url} took too long to send the page.")
                if size > limit:
                    raise FetchError(f"The page is larger than the {limit:,}-byte limit.")
                chunks.append(chunk)
            return Fetched(
                url=response.url,
                status=response.status_code,
                content_type=content_type,
                content=b"".join(chunks),
                etag=response.headers.get("ETag", ""),
                last_modified=response.headers.get("Last-Modified", ""),
            )
    except requests.TooManyRedirects:
        raise FetchError(f"More than {MAX_REDIRECTS} redirects from {url}.") from None
    except (requests.Timeout, urllib3.exceptions.TimeoutError):
        raise FetchError(f"{url} did not answer within {settings.FETCH_TIMEOUT} seconds.") from None
    except (requests.RequestException, urllib3.exceptions.HTTPError) as error:
        raise FetchError(f"Could not fetch {url}: {type(error).__name__}.") from None


def _arriving(response: requests.Response):
    """Yield the body in pieces as they arrive.

    iter_content() waits until a whole chunk is in, so a server sending a byte at a time would
    never reach the deadline check; read1() returns whatever one read brought.
    """
    while chunk := response.raw.read1(65536, decode_content=True):
        yield chunk
