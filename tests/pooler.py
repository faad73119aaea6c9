"""Start a real PgBouncer in transaction mode in front of the test cluster."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from devserver import devdb
from tests.replica import free_port

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
CONFIG = """\
[databases]
; every database name, the test databases included, on the test cluster
* = host={host} port={port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen_port}
unix_socket_dir =
auth_type = trust
auth_file = {folder}/users.txt
pool_mode = transaction
default_pool_size = 10
; consecutive transactions of one client go to different server connections (first in, first
; out, three kept open), so that any state left on a connection between transactions shows
server_round_robin = 1
min_pool_size = 3
max_client_conn = 200
; a pooled server connection to a test database must not outlive its use by much, or the
; database could not be dropped at the end
server_idle_timeout = 5
ignore_startup_parameters = extra_float_digits
logfile = {folder}/pgbouncer.log
pidfile = {folder}/pgbouncer.pid
"""


@dataclass
class Pooler:
    port: int
    folder: Path
    process: subprocess.Popen

    def url(self, user: str, dbname: str) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}"


def _run_as() -> dict:
    # PgBouncer refuses to run as root.
    account = devdb.server_user()
    if account is None:
        return {}
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text)
    account = devdb.server_user()
    if account is not None:
        os.chown(folder / name, account.pw_uid, account.pw_gid)


def wait_until_accepting(pooler: Pooler, user: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if pooler.process.poll() is not None:
            log = pooler.folder / "pgbouncer.log"
            raise RuntimeError(f"pgbouncer exited:\n{log.read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(psycopg.OperationalError):
            psycopg.connect(
                host="127.0.0.1", port=pooler.port, user=user, dbname="postgres", connect_timeout=2
            ).close()
            return
        time.sleep(0.1)
    raise RuntimeError("pgbouncer did not accept connections within 30 s")


@contextlib.contextmanager
def pgbouncer(host: str, port: int | str, user: str):
    """Yield a PgBouncer (pool_mode=transaction) in front of host:port for `user`; it is stopped
    and its folder deleted afterwards, always."""
    folder = Path(tempfile.mkdtemp(prefix="backchannel-pgbouncer-", dir="/var/tmp"))
    account = devdb.server_user()
    if account is not None:
        os.chown(folder, account.pw_uid, account.pw_gid)
    listen_port = free_port()
    _write(folder, "users.txt", f'"{user}" ""\n')
    _write(
        folder,
        "pgbouncer.ini",
        CONFIG.format(host=host, port=port, listen_port=listen_port, folder=folder),
    )
    process = subprocess.Popen(
        [PGBOUNCER, str(folder / "pgbouncer.ini")],
        cwd="/",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        **_run_as(),
    )
    pooler = Pooler(port=listen_port, folder=folder, process=process)
    try:
        wait_until_accepting(pooler, user)
        yield pooler
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # safe shutdown
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(folder, ignore_errors=True)
