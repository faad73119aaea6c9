"""Read replicas: reads of pages and the API go to a replica, writes to the primary.

With DATABASE_REPLICAS empty (the default) nothing here runs: the router is not installed and
the middleware passes requests straight through.

A request may read from a replica only when it is safe (GET, HEAD, OPTIONS) and its client has
not written anything in the last DATABASE_PRIMARY_AFTER_WRITE seconds: a successful unsafe
request, or any write during a request, leaves a signed cookie with that lifetime, and while it
is fresh the client reads from the primary, so it sees its own write at once however far a
replica lags. A request picks one replica and keeps it, so that its reads agree with each
other; its first write moves the rest of its reads to the primary.

Outside requests (the Celery worker, management commands, the shell) every read goes to the
primary: the pipeline must read what it has just written. So does a streamed response (a CSV
export), whose rows are read after the middleware has returned.
"""

from __future__ import annotations

import random
from contextvars import ContextVar

from django.conf import settings

PRIMARY = "default"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RECENT_WRITE_COOKIE = "bc_recent_write"
RECENT_WRITE_SALT = "accounts.replicas.recent-write"

# The alias this request reads from, and whether it has written; the primary outside requests.
_read_alias: ContextVar[str] = ContextVar("read_alias", default=PRIMARY)
_wrote: ContextVar[bool] = ContextVar("wrote", default=False)


def read_alias() -> str:
    """Return the database alias reads go to now."""
    return _read_alias.get()


def reading_from_replica() -> bool:
    return _read_alias.get() != PRIMARY


class ReplicaRouter:
    """Send reads where the current request reads, and every write (and migration) to the
    primary; a write also moves the request's later reads to the primary."""

    def db_for_read(self, model, **hints):
        return _read_alias.get()

    def db_for_write(self, model, **hints):
        _wrote.set(True)
        _read_alias.set(PRIMARY)
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # Every alias holds the same data: rows read on a replica may relate to rows written.
        return True

    def allow_migrate(self, db, app_label, **hints):
        return db == PRIMARY


def wrote_recently(request) -> bool:
    """Return True while the client's recent-write cookie is valid and younger than the window."""
    window = settings.DATABASE_PRIMARY_AFTER_WRITE
    if not window:
        return False
    stamp = request.get_signed_cookie(
        RECENT_WRITE_COOKIE, default=None, salt=RECENT_WRITE_SALT, max_age=window
    )
    return stamp is not None


def mark_recent_write(response) -> None:
    window = settings.DATABASE_PRIMARY_AFTER_WRITE
    if not window:
        return
    response.set_signed_cookie(
        RECENT_WRITE_COOKIE,
        "1",
        salt=RECENT_WRITE_SALT,
        max_age=window,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def choose_read_alias(request) -> str:
    if request.method not in SAFE_METHODS or wrote_recently(request):
        return PRIMARY
    return random.choice(settings.DATABASE_REPLICAS)


class ReplicaReadMiddleware:
    """Choose the alias each request reads from, and mark the clients that wrote."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.DATABASE_REPLICAS:
            return self.get_response(request)
        alias_token = _read_alias.set(choose_read_alias(request))
        wrote_token = _wrote.set(False)
        try:
            response = self.get_response(request)
            succeeded_unsafe = request.method not in SAFE_METHODS and response.status_code < 400
            if _wrote.get() or succeeded_unsafe:
                mark_recent_write(response)
            return response
        finally:
            _read_alias.reset(alias_token)
            _wrote.reset(wrote_token)
