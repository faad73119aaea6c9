"""The embedded database: a project-local PostgreSQL cluster under .devdata/pg.

Used when DATABASE_URL is unset, so that `make run` and `make test` work on a fresh machine
without Docker or a configured server. The machine's own PostgreSQL binaries run the cluster;
as root, they run as an unprivileged user because PostgreSQL refuses to run as root.

    python -m devserver.devdb start | stop | status | url
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEVDATA_DIR = Path(os.environ.get("DEVDATA_DIR", BASE_DIR / ".devdata")).resolve()
CLUSTER_DIR = DEVDATA_DIR / "pg"
DATA_DIR = CLUSTER_DIR / "data"
SOCKET_DIR = CLUSTER_DIR / "run"
LOG_FILE = CLUSTER_DIR / "server.log"
LOCK_FILE = DEVDATA_DIR / "pg.lock"

HOST = "127.0.0.1"
USER = "backchannel"
NAME = "backchannel"
SERVER_USERS = ("postgres", "nobody")  # unprivileged accounts present on Debian machines


class EmbeddedDatabaseError(RuntimeError):
    """The embedded cluster could not be created or started."""


def port() -> int:
    raw = os.environ.get("DEVDB_PORT", "54329")
    if not raw.isdigit() or not 1024 <= int(raw) <= 65535:
        raise EmbeddedDatabaseError(f"DEVDB_PORT must be a port number 1024-65535, not {raw!r}")
    return int(raw)


def database_settings() -> dict:
    """Return Django's DATABASES entry for the embedded cluster (no side effects)."""
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": NAME,
        "USER": USER,
        "HOST": HOST,
        "PORT": str(port()),
    }


def url() -> str:
    return f"postgresql://{USER}@{HOST}:{port()}/{NAME}"


def binary(name: str) -> str:
    """Find a PostgreSQL server binary: PG_BIN, Debian's versioned folders, then PATH."""
    folders = []
    if os.environ.get("PG_BIN"):
        folders.append(Path(os.environ["PG_BIN"]))
    debian = Path("/usr/lib/postgresql")
    if debian.is_dir():
        versions = sorted(
            (p for p in debian.iterdir() if p.name.isdigit()), key=lambda p: -int(p.name)
        )
        folders.extend(p / "bin" for p in versions)
    for folder in folders:
        candidate = folder / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise EmbeddedDatabaseError(
        f"PostgreSQL's {name} was not found. Install PostgreSQL 15 or newer "
        "(apt-get install postgresql) or set DATABASE_URL to a running server."
    )


def server_user() -> pwd.struct_passwd | None:
    """Return the account to run the server as when we are root, else None (run as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in SERVER_USERS:
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise EmbeddedDatabaseError(
        "Running as root, but neither a 'postgres' nor a 'nobody' account exists to run "
        "PostgreSQL. Set DATABASE_URL to a running server instead."
    )


def is_running() -> bool:
    try:
        with socket.create_connection((HOST, port()), timeout=0.5):
            return True
    except OSError:
        return False


def _run(args: list[str], account: pwd.struct_passwd | None) -> subprocess.CompletedProcess:
    kwargs: dict = {"capture_output": True, "text": True, "cwd": str(CLUSTER_DIR)}
    if account is not None:
        kwargs.update(user=account.pw_uid, group=account.pw_gid, extra_groups=[])
        kwargs["env"] = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"}
    return subprocess.run(args, check=False, **kwargs)


def _prepare_folders(account: pwd.struct_passwd | None) -> None:
    SOCKET_DIR.mkdir(parents=True, exist_ok=True)
    if account is None:
        return
    # Only folders inside the project change owner; parents stay as they are.
    for path in (CLUSTER_DIR, SOCKET_DIR):
        os.chown(path, account.pw_uid, account.pw_gid)
    probe = _run(["test", "-w", str(CLUSTER_DIR)], account)
    if probe.returncode != 0:
        raise EmbeddedDatabaseError(
            f"The '{account.pw_name}' account cannot reach {CLUSTER_DIR} (a parent folder is "
            "not readable by other users). Set DATABASE_URL to a running server instead."
        )


def _initdb(account: pwd.struct_passwd | None) -> None:
    result = _run(
        [
            binary("initdb"),
            "--pgdata",
            str(DATA_DIR),
            "--username",
            USER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--locale",
            "C.UTF-8",
        ],
        account,
    )
    if result.returncode != 0:
        raise EmbeddedDatabaseError(f"initdb failed:\n{result.stderr.strip()}")


def _pg_ctl_start(account: pwd.struct_passwd | None) -> None:
    options = " ".join(
        [
            f"-p {port()}",
            f"-k {SOCKET_DIR}",
            f"-c listen_addresses={HOST}",
            "-c max_connections=200",
            "-c shared_buffers=256MB",
            # Development data: a crash may lose the last moments, never corrupts.
            "-c synchronous_commit=off",
        ]
    )
    command = [binary("pg_ctl"), "start", "-D", str(DATA_DIR), "-l", str(LOG_FILE)]
    result = _run([*command, "-w", "-t", "60", "-o", options], account)
    if result.returncode != 0:
        log_tail = LOG_FILE.read_text(errors="replace")[-2000:] if LOG_FILE.exists() else ""
        raise EmbeddedDatabaseError(
            f"PostgreSQL did not start on port {port()}:\n{result.stderr.strip()}\n{log_tail}"
        )


def _create_database() -> None:
    import psycopg

    with psycopg.connect(
        host=HOST, port=port(), user=USER, dbname="postgres", autocommit=True
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{NAME}"')


@contextlib.contextmanager
def _lock():
    DEVDATA_DIR.mkdir(parents=True, exist_ok=True)
    with open(LOCK_FILE, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def start() -> bool:
    """Create the cluster if needed and start it. Return True when this call started it."""
    if is_running():
        return False
    with _lock():
        if is_running():
            return False
        account = server_user()
        _prepare_folders(account)
        if not (DATA_DIR / "PG_VERSION").exists():
            _initdb(account)
        _pg_ctl_start(account)
        _create_database()
        return True


def stop() -> None:
    """Stop the cluster quickly and cleanly; a no-op when it is not running."""
    if not (DATA_DIR / "postmaster.pid").exists():
        return
    _run([binary("pg_ctl"), "stop", "-D", str(DATA_DIR), "-m", "fast", "-w"], server_user())
    for _ in range(50):
        if not is_running():
            return
        time.sleep(0.1)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "status"
    try:
        if command == "start":
            print("started" if start() else "already running", url())
        elif command == "stop":
            stop()
            print("stopped")
        elif command == "status":
            print(("running " if is_running() else "stopped ") + url())
        elif command == "url":
            print(url())
        else:
            print("usage: python -m devserver.devdb start|stop|status|url", file=sys.stderr)
            return 2
    except EmbeddedDatabaseError as error:
        print(f"embedded database: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
