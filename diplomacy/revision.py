"""The data revision: a number that grows whenever what pages and the API show may change.

Caches of aggregates (filter choices, topic activity) and the ETags of lists are keyed by it,
so they are correct across every web process without being told what changed. It is a
PostgreSQL sequence: reading it costs one tiny query and never waits for a writer's lock.

A request reads it once (RequestRevisionMiddleware): the view's caches, its ETag and the nav's
then agree on one number, and the request reads it again only after a write of its own.
Outside requests (the worker, commands) every call reads it.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction

from accounts.replicas import reading_from_replica

SEQUENCE = "diplomacy_data_revision"
# Set while a batch of writes defers its bumps to one at the end (revision_bumps_deferred).
_deferred: ContextVar[bool] = ContextVar("revision_bumps_deferred", default=False)
# The revision this request has read ("value"), forgotten when it writes; None outside requests.
# A dict the request holds, not the value itself: what is stored reaches the rest of the request
# even from code that runs in a copy of its context (a sync view under ASGI).
_request_reading: ContextVar[dict | None] = ContextVar("request_revision", default=None)
# Cached aggregates live at most this long even when nothing changed (memory, not correctness).
CACHE_SECONDS = 600


def data_revision() -> int:
    """Return the current revision (one query, always on the primary: a replica's copy of a
    sequence runs ahead of the rows it has replayed). Within a request, the one it first read."""
    reading = _request_reading.get()
    if reading is not None and "value" in reading:
        return reading["value"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT last_value FROM {SEQUENCE}")
        value = cursor.fetchone()[0]
    if reading is not None:
        reading["value"] = value
    return value


class RequestRevisionMiddleware:
    """Let each request read the revision once, however many caches it keys by it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_reading.set({})
        try:
            return self.get_response(request)
        finally:
            _request_reading.reset(token)


def revision_bump() -> None:
    """Move the revision on now, and again once the current transaction commits.

    Sequences ignore transactions, so a reader may see the first bump before the new rows
    are committed and cache old rows under the new number; the bump after the commit moves
    past that. Outside a transaction the second bump runs at once, which is harmless.
    Inside `revision_bumps_deferred()` it does nothing: that block's caller bumps once.
    """
    if _deferred.get():
        return
    _bump()
    if connection.in_atomic_block:
        transaction.on_commit(_bump)


@contextlib.contextmanager
def revision_bumps_deferred():
    """Skip the bumps of the writes made inside (one per saved meeting, say); the caller
    bumps once for all of them before its transaction commits."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)


def _bump() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT nextval('{SEQUENCE}')")
    reading = _request_reading.get()
    if reading is not None:
        reading.clear()  # what this request reads next may include its own write


def cached_by_revision(key: str, compute, revision: int | None = None, *, latest_only=False):
    """Return `compute()` cached under `key` for the current data revision.

    With `latest_only`, the key holds one value, replaced when the revision moves on, instead
    of one per revision left to expire: for large values (an article's highlighted text),
    whose older copies would fill the cache's memory while the data changes often.
    """
    revision = data_revision() if revision is None else revision
    prefix, timeout = cache_scope()
    if latest_only:
        full_key = f"{prefix}:latest:{key}"
        stored = cache.get(full_key)
        if stored is not None and stored[0] == revision:
            return stored[1]
        value = compute()
        cache.set(full_key, (revision, value), timeout)
        return value
    full_key = f"{prefix}:{revision}:{key}"
    value = cache.get(full_key)
    if value is None:
        value = compute()
        cache.set(full_key, value, timeout)
    return value


def cache_scope() -> tuple[str, int]:
    """Return the key prefix and lifetime of cached values computed by this request.

    The revision comes from the primary, but a replica may not have replayed the rows behind
    it yet: what was computed from a replica is kept apart, so that readers of the primary (a
    client that has just written) never get it, and only for the read-after-write window, so
    that a value computed during a replica's lag does not outlive it.
    """
    if reading_from_replica():
        return "rev:replica", max(1, settings.DATABASE_PRIMARY_AFTER_WRITE)
    return "rev", CACHE_SECONDS
