"""The replica router and its middleware (accounts/replicas.py), without servers: which alias
each request reads from, and when a client is marked as having just written."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from accounts.replicas import (
    RECENT_WRITE_COOKIE,
    ReplicaReadMiddleware,
    ReplicaRouter,
    read_alias,
)
from diplomacy.models import Meeting


@pytest.fixture
def replicas(settings):
    settings.DATABASE_REPLICAS = ["replica_0"]
    settings.DATABASE_PRIMARY_AFTER_WRITE = 5
    return settings


def serve(request, *, status=200, write=False):
    """Run the middleware around a view that records where it read (and may write)."""
    seen = {}

    def view(request):
        seen["before"] = read_alias()
        if write:
            ReplicaRouter().db_for_write(Meeting)
        seen["after"] = read_alias()
        return HttpResponse(status=status)

    response = ReplicaReadMiddleware(view)(request)
    return response, seen


def test_it_changes_nothing_without_replicas(settings):
    """With DATABASE_REPLICAS empty every read goes to the primary and no cookie is set."""
    settings.DATABASE_REPLICAS = []
    response, seen = serve(RequestFactory().post("/api/v1/articles/"), write=True)
    assert seen["before"] == "default"
    assert RECENT_WRITE_COOKIE not in response.cookies


def test_it_reads_safe_requests_from_a_replica(replicas):
    """A GET reads from a replica, sets no cookie, and leaves the primary as the default after."""
    response, seen = serve(RequestFactory().get("/api/v1/meetings/"))
    assert seen == {"before": "replica_0", "after": "replica_0"}
    assert RECENT_WRITE_COOKIE not in response.cookies
    assert read_alias() == "default"


def test_it_marks_a_client_after_a_successful_unsafe_request(replicas):
    """A POST reads from the primary and, when it succeeds, marks the client for the window."""
    response, seen = serve(RequestFactory().post("/api/v1/articles/"), status=202)
    assert seen["before"] == "default"
    cookie = response.cookies[RECENT_WRITE_COOKIE]
    assert cookie["max-age"] == 5
    assert cookie["httponly"]

    failed, _ = serve(RequestFactory().post("/api/v1/articles/"), status=400)
    assert RECENT_WRITE_COOKIE not in failed.cookies


def test_it_reads_from_the_primary_while_the_mark_is_fresh(replicas):
    """A client with a fresh signed mark reads from the primary; a forged one is ignored."""
    marked, _ = serve(RequestFactory().post("/api/v1/articles/"), status=202)
    request = RequestFactory().get("/api/v1/meetings/")
    request.COOKIES[RECENT_WRITE_COOKIE] = marked.cookies[RECENT_WRITE_COOKIE].value
    _, seen = serve(request)
    assert seen["before"] == "default"

    forged = RequestFactory().get("/api/v1/meetings/")
    forged.COOKIES[RECENT_WRITE_COOKIE] = "1"
    _, seen = serve(forged)
    assert seen["before"] == "replica_0"


def test_it_moves_a_request_to_the_primary_at_its_first_write(replicas):
    """A write during a GET (a token's last use, a session) sends the rest of the request's
    reads to the primary and marks the client."""
    response, seen = serve(RequestFactory().get("/api/v1/meetings/"), write=True)
    assert seen == {"before": "replica_0", "after": "default"}
    assert RECENT_WRITE_COOKIE in response.cookies


def test_it_migrates_and_writes_only_on_the_primary():
    """Writes go to the primary; migrations skip replicas; rows relate across aliases."""
    router = ReplicaRouter()
    assert router.db_for_write(Meeting) == "default"
    assert router.allow_migrate("default", "diplomacy") is True
    assert router.allow_migrate("replica_0", "diplomacy") is False
    assert router.allow_relation(Meeting(), Meeting()) is True
