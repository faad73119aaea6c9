"""Start real PostgreSQL servers for the read-replica tests: a small throwaway primary that
streams its WAL, and a hot standby copied from it with pg_basebackup.

The primary is a cluster of its own rather than the test cluster: a machine's system cluster
usually refuses replication connections (pg_hba.conf), and copying it would copy every other
database on it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from devserver import devdb

SUPERUSER = "postgres"
HBA = """\
local all all trust
host all all 127.0.0.1/32 trust
local replication all trust
host replication all 127.0.0.1/32 trust
"""


@dataclass
class Server:
    """A PostgreSQL server started by a test, in a folder of its own."""

    port: int
    folder: Path
    process: subprocess.Popen
    log: Path

    def url(self, dbname: str = "backchannel") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, dbname=dbname, user=SUPERUSER, autocommit=True
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_server_user() -> dict:
    """Return subprocess arguments that run PostgreSQL's tools as an unprivileged account."""
    account = devdb.server_user()
    if account is None:
        return {}
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def _folder() -> Path:
    # /var/tmp: the server's account can reach it even when the clone lives under /root.
    folder = Path(tempfile.mkdtemp(prefix="backchannel-replica-", dir="/var/tmp"))
    account = devdb.server_user()
    if account is not None:
        os.chown(folder, account.pw_uid, account.pw_gid)
    return folder


def _write_as_server_user(path: Path, text: str) -> None:
    path.write_text(text)
    account = devdb.server_user()
    if account is not None:
        os.chown(path, account.pw_uid, account.pw_gid)


def initdb(data: Path) -> None:
    command = [
        devdb.binary("initdb"),
        *("--pgdata", str(data), "--username", SUPERUSER, "--auth", "trust"),
        *("--encoding", "UTF8", "--locale", "C.UTF-8"),
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=120, cwd="/", **_as_server_user()
    )
    if result.returncode != 0:
        raise RuntimeError(f"initdb failed: {result.stderr.strip()[-500:]}")


def start_server(data: Path, folder: Path, *settings: str) -> Server:
    """Start `postgres` on a free port of 127.0.0.1, its socket and log in `folder`."""
    port = free_port()
    command = [
        devdb.binary("postgres"),
        *("-D", str(data), "-p", str(port), "-k", str(folder)),
        *("-c", "listen_addresses=127.0.0.1", "-c", "shared_buffers=32MB"),
        *("-c", "max_connections=40", "-c", "fsync=off"),
        *settings,
    ]
    log = open(folder / f"server-{port}.log", "w")  # noqa: SIM115 - the server writes it
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, cwd="/", **_as_server_user()
    )
    server = Server(port=port, folder=folder, process=process, log=Path(log.name))
    wait_until_accepting(server)
    return server


def wait_until_accepting(server: Server) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"postgres exited:\n{server.log.read_text(errors='replace')}")
        with contextlib.suppress(psycopg.OperationalError):
            server.connect().close()
            return
        time.sleep(0.1)
    raise RuntimeError(f"postgres did not accept connections on port {server.port} within 60 s")


def start_primary() -> Server:
    """A small throwaway cluster that streams its WAL: the primary of the replica tests."""
    folder = _folder()
    try:
        initdb(folder / "primary")
        _write_as_server_user(folder / "primary" / "pg_hba.conf", HBA)
        return start_server(
            folder / "primary", folder, "-c", "wal_level=replica", "-c", "max_wal_senders=4"
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def start_standby(primary: Server) -> Server:
    """Copy the primary with pg_basebackup (-R: the standby's settings) and start the copy as a
    hot standby streaming from it, in the primary's folder."""
    data = primary.folder / "standby"
    command = [
        devdb.binary("pg_basebackup"),
        *("-h", "127.0.0.1", "-p", str(primary.port), "-U", SUPERUSER, "-D", str(data)),
        *("-R", "-X", "stream", "-c", "fast", "--no-password"),
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=300, cwd="/", **_as_server_user()
    )
    if result.returncode != 0:
        raise RuntimeError(f"pg_basebackup failed: {result.stderr.strip()[-500:]}")
    return start_server(data, primary.folder, "-c", "hot_standby=on")


def stop_server(server: Server) -> None:
    """Stop a server (fast shutdown: SIGINT), waiting for it to exit."""
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGINT)
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@contextlib.contextmanager
def primary_with_standby():
    """Yield (primary, standby); both are stopped and their folder deleted afterwards, always."""
    primary = start_primary()
    standby = None
    try:
        standby = start_standby(primary)
        yield primary, standby
    finally:
        for server in (standby, primary):
            if server is not None:
                stop_server(server)
        shutil.rmtree(primary.folder, ignore_errors=True)
