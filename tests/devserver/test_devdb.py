"""The embedded PostgreSQL cluster starts, serves and stops (on a cluster of its own)."""

import os
import secrets
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def separate_cluster():
    """Return the environment for a throwaway cluster, and remove it afterwards.

    The folder is inside the project, not pytest's tmp_path: as root the server runs as the
    `postgres` account, which cannot enter /tmp/pytest-of-root (mode 700).
    """
    folder = BASE_DIR / ".devdata" / f"test-devdb-{secrets.token_hex(4)}"
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(DEVDATA_DIR=str(folder), DEVDB_PORT=str(free_port()))
    yield env
    devdb(env, "stop")
    shutil.rmtree(folder, ignore_errors=True)


def devdb(env: dict, command: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "devserver.devdb", command],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=180,
    )


def connect(env: dict) -> psycopg.Connection:
    return psycopg.connect(
        host="127.0.0.1",
        port=int(env["DEVDB_PORT"]),
        user="backchannel",
        dbname="backchannel",
        connect_timeout=5,
    )


@pytest.mark.slow
def test_it_starts_serves_and_stops_a_cluster(separate_cluster):
    """start creates and serves the cluster, a second start is a no-op, stop closes the port."""
    env = separate_cluster
    port = env["DEVDB_PORT"]
    url = f"postgresql://backchannel@127.0.0.1:{port}/backchannel"

    assert devdb(env, "status").stdout.split() == ["stopped", url]

    started = devdb(env, "start")
    assert started.returncode == 0, started.stderr
    assert started.stdout.split() == ["started", url]
    assert (Path(env["DEVDATA_DIR"]) / "pg" / "data" / "PG_VERSION").is_file()
    with connect(env) as connection:
        assert connection.execute("SELECT 1").fetchone() == (1,)
        assert int(connection.execute("SHOW server_version_num").fetchone()[0]) >= 150000

    again = devdb(env, "start")
    assert again.returncode == 0, again.stderr
    assert again.stdout.split() == ["already", "running", url]
    assert devdb(env, "status").stdout.split() == ["running", url]

    stopped = devdb(env, "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout.strip() == "stopped"
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", int(port)), timeout=2).close()
    with pytest.raises(psycopg.OperationalError):
        connect(env).close()
    assert devdb(env, "status").stdout.split() == ["stopped", url]


@pytest.mark.slow
def test_it_keeps_the_data_of_a_cluster_across_restarts(separate_cluster):
    """A table written before stop is there after the next start (the cluster is reused)."""
    env = separate_cluster
    assert devdb(env, "start").returncode == 0
    with connect(env) as connection:
        connection.execute("CREATE TABLE kept (note text)")
        connection.execute("INSERT INTO kept VALUES ('still here')")
    assert devdb(env, "stop").returncode == 0

    restarted = devdb(env, "start")
    assert restarted.returncode == 0, restarted.stderr
    assert restarted.stdout.split()[0] == "started"
    with connect(env) as connection:
        assert connection.execute("SELECT note FROM kept").fetchone() == ("still here",)


def test_it_reports_an_invalid_port_clearly(separate_cluster):
    """A DEVDB_PORT outside 1024-65535 is refused with a message naming it."""
    env = {**separate_cluster, "DEVDB_PORT": "80"}
    result = devdb(env, "start")
    assert result.returncode == 1
    assert "DEVDB_PORT must be a port number" in result.stderr
