"""Read replicas on real servers: a throwaway primary streams to a hot standby made with
pg_basebackup, and the checks in tests/replica_checks.py run against the pair in a fresh
pytest process (its settings read DATABASE_URL and DATABASE_REPLICA_URLS at start-up)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.replica import primary_with_standby

BASE_DIR = Path(__file__).resolve().parent.parent
CHECKS = "tests/replica_checks.py"

pytestmark = pytest.mark.slow


def test_it_reads_from_a_streaming_replica_and_writes_to_the_primary():
    """Every check of replica_checks.py passes against a primary and its streaming standby;
    both servers are stopped and deleted afterwards."""
    with primary_with_standby() as (primary, standby):
        env = {
            **os.environ,
            "DATABASE_URL": primary.url(),
            "DATABASE_REPLICA_URLS": standby.url(),
            "REPLICA_TEST_STANDBY_PORT": str(standby.port),
        }
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", CHECKS],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        folder = primary.folder
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert "4 passed" in result.stdout, result.stdout[-2000:]
    assert not folder.exists()
