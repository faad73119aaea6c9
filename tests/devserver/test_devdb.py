"""The embedded PostgreSQL cluster starts, serves and stops (on a cluster of its own)."""

import os
import pwd
import secrets
import shutil
import socket
import stat
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


# A clone in a closed folder, run as root ---------------------------------------------------


def separate_env(devdata: Path) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(DEVDATA_DIR=str(devdata), DEVDB_PORT=str(free_port()))
    return env


def private_folder_of(env: dict) -> Path:
    code = "from devserver import devdb; print(devdb.private_folder(devdb.server_user()))"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=BASE_DIR, capture_output=True, text=True
    )
    return Path(result.stdout.strip())


@pytest.fixture
def closed_clone(tmp_path):
    """The environment of a clone whose parent folder is closed to other accounts (mode 0700)."""
    if os.geteuid() != 0:
        pytest.skip("the closed-folder case is about running as root")
    closed = tmp_path / "home"
    closed.mkdir(mode=0o700)
    env = separate_env(closed / "clone" / ".devdata")
    private = private_folder_of(env)
    yield env, closed, private
    devdb(env, "stop")
    shutil.rmtree(private, ignore_errors=True)


def modes(path: Path) -> list[int]:
    return [parent.stat().st_mode for parent in [path, *path.parents]]


@pytest.mark.slow
def test_it_runs_as_root_from_a_folder_other_accounts_cannot_enter(closed_clone):
    """The cluster moves to a private folder of the server's account, whose path is printed."""
    env, closed, private = closed_clone
    before = modes(closed)

    started = devdb(env, "start")

    assert started.returncode == 0, started.stderr
    assert str(private) in started.stderr
    assert devdb(env, "location").stdout.strip() == str(private)
    info = private.stat()
    account = pwd.getpwuid(info.st_uid).pw_name
    assert account in ("postgres", "nobody")
    assert stat.S_IMODE(info.st_mode) == 0o700
    assert (private / "data" / "PG_VERSION").is_file()
    with connect(env) as connection:
        assert connection.execute("SHOW data_directory").fetchone()[0] == str(private / "data")
    assert modes(closed) == before  # no parent folder was opened up
    assert devdb(env, "stop").returncode == 0
    assert devdb(env, "start").returncode == 0  # the recorded location is used again


@pytest.mark.slow
def test_it_refuses_a_private_folder_that_belongs_to_someone_else(closed_clone):
    """A folder already at the private path, owned by another account, stops start clearly."""
    env, _closed, private = closed_clone
    private.mkdir(mode=0o755)
    os.chown(private, 65534, 65534)  # nobody: neither root nor the server's account

    result = devdb(env, "start")

    assert result.returncode == 1
    assert f"{private} exists but is not a folder of" in result.stderr


# Two clones, one port ----------------------------------------------------------------------


@pytest.mark.slow
def test_it_refuses_to_serve_another_clones_cluster(separate_cluster):
    """A second clone finding the first one's cluster on its port stops, naming both."""
    first = separate_cluster
    assert devdb(first, "start").returncode == 0
    second_folder = BASE_DIR / ".devdata" / f"test-devdb-{secrets.token_hex(4)}"
    second = {**first, "DEVDATA_DIR": str(second_folder)}
    try:
        refused = devdb(second, "start")
    finally:
        shutil.rmtree(second_folder, ignore_errors=True)

    assert refused.returncode == 1
    first_data = Path(first["DEVDATA_DIR"]).resolve() / "pg" / "data"
    assert f"already served by the cluster in {first_data}" in refused.stderr
    assert "DEVDB_PORT" in refused.stderr
    assert devdb(first, "start").stdout.split()[:2] == ["already", "running"]


def test_it_refuses_a_port_held_by_something_else(separate_cluster):
    """A port where no PostgreSQL of ours answers is refused, not mistaken for the cluster."""
    with socket.create_server(("127.0.0.1", int(separate_cluster["DEVDB_PORT"]))) as listener:
        listener.settimeout(10)
        result = devdb(separate_cluster, "start")

    assert result.returncode == 1
    assert "not this clone's cluster" in result.stderr


@pytest.mark.slow
def test_it_stops_the_cluster_the_benchmarks_started(separate_cluster):
    """bench/load.py starts the cluster when needed and stops it again; `make bench` calls both."""
    code = (
        "from bench import load\n"
        "url = load.server_url()\n"
        "from devserver import devdb\n"
        "assert devdb.is_running(), 'not started'\n"
        "load.stop_started_database()\n"
        "assert not devdb.is_running(), 'still running'\n"
    )
    env = {**separate_cluster, "PYTHONPATH": str(BASE_DIR)}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=BASE_DIR, capture_output=True, text=True,
        timeout=180,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
