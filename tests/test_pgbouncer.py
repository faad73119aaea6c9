"""The project behind PgBouncer in transaction mode: the worker and API tests pass through a
real PgBouncer, and nothing in the code keeps session state across transactions."""

import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connections

from tests.pooler import pgbouncer

BASE_DIR = Path(__file__).resolve().parent.parent
# Real Celery workers (filesystem and Redis brokers) and the API: reads, writes, curation.
THROUGH_THE_POOLER = [
    "tests/pooler_checks.py",
    "tests/diplomacy/test_worker.py",
    "tests/articles/test_api.py",
    "tests/diplomacy/test_curation_api.py",
    "tests/diplomacy/test_api.py",
]
SESSION_LOCKS = re.compile(r"pg_(try_)?advisory_(un)?lock(_shared)?\s*\(")


@pytest.mark.faults
@pytest.mark.slow
@pytest.mark.worker
def test_it_passes_the_worker_and_api_tests_through_pgbouncer():
    """The worker and API tests, and the checks of session state in pooler_checks.py, pass
    with DATABASE_URL pointing at PgBouncer (pool_mode=transaction, consecutive transactions
    on different server connections) and DATABASE_POOLER=transaction."""
    primary = connections["default"].settings_dict
    user, host, port = primary["USER"], primary["HOST"], primary["PORT"] or 5432
    with pgbouncer(host, port, user) as pooler:
        env = {
            **os.environ,
            "DATABASE_URL": pooler.url(user, primary["NAME"]),
            "DATABASE_POOLER": "transaction",
            "PGBOUNCER_TEST": "1",
        }
        env.pop("DATABASE_REPLICA_URLS", None)
        child = subprocess.Popen(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", *THROUGH_THE_POOLER],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            output, _ = child.communicate(timeout=900)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        log = (pooler.folder / "pgbouncer.log").read_text(errors="replace")
    drop_test_database(primary, f"test_backchannel_{child.pid}")
    assert child.returncode == 0, output[-6000:]
    assert re.search(r"\d+ passed", output), output[-2000:]
    summary = output.strip().splitlines()[-1]
    assert "failed" not in summary and "skipped" not in summary, output[-2000:]
    # The clients really went through the pooler.
    assert "login attempt" in log or "new connection" in log, log[-2000:]


def drop_test_database(primary: dict, name: str) -> None:
    """Drop the child's test database directly on the server, should the pooler have kept it."""
    with psycopg.connect(
        host=primary["HOST"],
        port=primary["PORT"] or 5432,
        user=primary["USER"],
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_it_takes_only_transaction_scoped_advisory_locks():
    """Session-level advisory locks would stay on a pooled server connection after the
    transaction: the code takes only pg_advisory_xact_lock."""
    offenders = []
    for package in ("accounts", "articles", "diplomacy", "config", "devserver"):
        for path in (BASE_DIR / package).rglob("*.py"):
            if SESSION_LOCKS.search(path.read_text()):
                offenders.append(str(path.relative_to(BASE_DIR)))
    assert offenders == []
