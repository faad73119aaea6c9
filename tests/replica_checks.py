"""Read replicas, checked against a real streaming standby: pages and the API read from it;
writes, and a client's reads just after its own write, go to the primary.

tests/test_replicas.py runs this module in a fresh pytest process, with DATABASE_URL naming a
throwaway primary it started, DATABASE_REPLICA_URLS its standby and REPLICA_TEST_STANDBY_PORT
the standby's port; the test database created on the primary reaches the standby by streaming.

The proof that a read came from the standby: replay there is paused, a row is written on the
primary, and the read does not see it (the primary would). The same trick proves that a client
reads its own write from the primary at once.
"""

import os
import time
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import OperationalError, connections, router
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.replicas import RECENT_WRITE_COOKIE, ReplicaRouter
from diplomacy.models import Meeting
from diplomacy.roles import CURATORS
from tests.factories import MeetingFactory, UserFactory

ALIAS = "replica_0"
STANDBY_PORT = os.environ.get("REPLICA_TEST_STANDBY_PORT", "")

pytestmark = [
    pytest.mark.skipif(
        not STANDBY_PORT or ALIAS not in settings.DATABASES,
        reason="run by tests/test_replicas.py, which starts a primary and its standby",
    ),
    pytest.mark.django_db(transaction=True, databases=["default", ALIAS]),
]


@pytest.fixture
def replica(transactional_db):
    """The replica alias as production has it: the test database, on the standby.

    In tests a replica mirrors the test database (so that the rest of the suite runs with
    DATABASE_REPLICA_URLS set); here it is pointed back at the standby, which has streamed
    the test database from the primary.
    """
    standby = connections[ALIAS]
    standby.close()
    standby.settings_dict = {
        **connections["default"].settings_dict,
        "HOST": "127.0.0.1",
        "PORT": STANDBY_PORT,
        "CONN_MAX_AGE": 0,
    }
    wait_for_replay(standby)
    try:
        yield standby
    finally:
        set_replay(standby, paused=False)
        standby.close()


def set_replay(standby, *, paused: bool) -> None:
    """Pause or resume WAL replay on the standby, waiting until a pause has taken effect."""
    with standby.cursor() as cursor:
        cursor.execute(
            "SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()"
        )
        deadline = time.monotonic() + 30
        while paused and time.monotonic() < deadline:
            cursor.execute("SELECT pg_get_wal_replay_pause_state()")
            if cursor.fetchone()[0] == "paused":
                return
            time.sleep(0.05)


@contextmanager
def replay_paused(standby):
    set_replay(standby, paused=True)
    try:
        yield
    finally:
        set_replay(standby, paused=False)


def wait_for_replay(standby) -> None:
    """Wait until the standby has replayed everything the primary has written so far."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        target = cursor.fetchone()[0]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with standby.cursor() as cursor:
                cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
                if cursor.fetchone()[0]:
                    return
        except OperationalError:  # the test database has not reached the standby yet
            standby.close()
        time.sleep(0.1)
    raise AssertionError("the standby did not replay the primary's writes within 60 s")


def meeting_titles(client) -> set[str]:
    response = client.get(reverse("api:meeting-list"))
    assert response.status_code == 200, response.content
    return {row["title"] for row in response.json()["results"]}


def test_it_serves_pages_and_the_api_from_the_replica(replica):
    """With replay paused, a meeting written on the primary is missing from what pages and the
    API show: they read the standby, and queries ran on its connection."""
    MeetingFactory(title="Talks replayed everywhere")
    wait_for_replay(replica)
    with replica.cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is True
    client = APIClient()

    with replay_paused(replica):
        MeetingFactory(title="Talks on the primary only")
        with CaptureQueriesContext(replica) as on_replica:
            titles = meeting_titles(client)
            page = client.get(reverse("diplomacy:search"), {"q": "talks"})

    assert titles == {"Talks replayed everywhere"}
    assert page.status_code == 200
    assert "Talks replayed everywhere" in page.text
    assert "Talks on the primary only" not in page.text
    assert len(on_replica.captured_queries) >= 2
    assert Meeting.objects.count() == 2  # outside a request: the primary, which has both
    assert RECENT_WRITE_COOKIE not in client.cookies


def test_it_writes_to_the_primary_and_shows_a_client_its_own_write_at_once(replica):
    """A curator's PATCH lands on the primary; the curator reads it back at once (from the
    primary, nothing on the standby), while other clients still read the lagging standby until
    it replays; after the window the curator reads the standby again."""
    meeting = MeetingFactory(title="Talks before the edit")
    curator = APIClient()
    curator.force_authenticate(UserFactory(username="curator", roles=[CURATORS]))
    url = reverse("api:meeting-detail", args=[meeting.pk])
    wait_for_replay(replica)

    with replay_paused(replica):
        with CaptureQueriesContext(connections["default"]) as on_primary:
            response = curator.patch(url, {"title": "Talks after the edit"}, format="json")
        assert response.status_code == 200, response.content
        assert any(q["sql"].startswith("UPDATE") for q in on_primary.captured_queries)
        assert RECENT_WRITE_COOKIE in response.cookies

        with CaptureQueriesContext(replica) as on_replica:
            own = curator.get(url)
        assert own.json()["title"] == "Talks after the edit"
        assert on_replica.captured_queries == []
        assert APIClient().get(url).json()["title"] == "Talks before the edit"

    wait_for_replay(replica)
    assert APIClient().get(url).json()["title"] == "Talks after the edit"
    with CaptureQueriesContext(replica) as on_replica:
        curator.cookies.pop(RECENT_WRITE_COOKIE)  # the window is over
        curator.get(url)
    assert on_replica.captured_queries


def test_it_shows_a_submitted_article_to_its_author_at_once(replica, pipeline):
    """POST an article, then GET it: the author's read goes to the primary and finds it;
    another client, reading the paused standby, does not."""
    author = APIClient()
    author.force_authenticate(UserFactory(username="author"))
    with replay_paused(replica):
        response = author.post(
            reverse("api:article-list"),
            {"body": "Envoys of both sides met in Geneva on Tuesday.", "title": "Geneva"},
            format="json",
        )
        assert response.status_code == 202, response.content
        url = reverse("api:article-detail", args=[response.json()["id"]])
        assert author.get(url).status_code == 200
        assert APIClient().get(url).status_code == 404


def test_it_reads_from_the_primary_outside_requests_and_migrates_only_there(replica):
    """The worker and management commands read their own writes: outside a request every
    read goes to the primary; migrations run on the primary only."""
    with replay_paused(replica):
        MeetingFactory(title="Talks the worker just wrote")
        assert router.db_for_read(Meeting) == "default"
        assert Meeting.objects.filter(title="Talks the worker just wrote").exists()
    routing = ReplicaRouter()
    assert routing.allow_migrate("default", "diplomacy") is True
    assert routing.allow_migrate(ALIAS, "diplomacy") is False
