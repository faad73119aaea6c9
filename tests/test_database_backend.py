"""The health check of a reused connection reads the socket, and asks the server only when the
server has said something (config/postgresql/base.py)."""

import time

import pytest
from django.db import connections

pytestmark = pytest.mark.django_db


@pytest.fixture
def reused():
    """A connection of its own to the test database, outside the test's transaction, as a
    request finds it: open, at rest, its health not yet checked."""
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


@pytest.fixture
def observer():
    wrapper = connections.create_connection("default")
    yield wrapper
    wrapper.close()


def last_statement(observer, pid: int) -> str | None:
    with observer.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row[0] if row else None


def health_check(wrapper) -> None:
    wrapper.health_check_done = False  # as at the start of a request
    wrapper.close_if_health_check_failed()


def test_it_checks_a_quiet_connection_without_a_round_trip(reused, observer):
    assert reused.settings_dict["CONN_HEALTH_CHECKS"]
    with reused.cursor() as cursor:
        cursor.execute("SELECT 'the last statement before the check'")
    pid = reused.connection.info.backend_pid

    health_check(reused)

    assert reused.connection is not None
    assert reused.connection.info.backend_pid == pid
    assert last_statement(observer, pid) == "SELECT 'the last statement before the check'"


def test_it_replaces_a_connection_the_server_ended(reused, observer):
    pid = reused.connection.info.backend_pid
    with observer.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 10
    while last_statement(observer, pid) is not None and time.monotonic() < deadline:
        time.sleep(0.05)

    health_check(reused)

    with reused.cursor() as cursor:  # no error: the check found the end and reconnected
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


def test_it_asks_the_server_inside_a_transaction(reused, observer):
    pid = reused.connection.info.backend_pid
    reused.set_autocommit(False)
    with reused.cursor() as cursor:
        cursor.execute("SELECT 'in a transaction'")

    health_check(reused)

    assert last_statement(observer, pid) == "SELECT 1"
    reused.rollback()
    reused.set_autocommit(True)
