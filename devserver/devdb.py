"""The embedded database: a project-local PostgreSQL cluster under .devdata/pg.

Used when DATABASE_URL is unset, so that `make run` and `make test` work on a fresh machine
without Docker or a configured server. The machine's own PostgreSQL binaries run the cluster;
as root, they run as an unprivileged user because PostgreSQL refuses to run as root. When that
account cannot enter the project (a clone under /root, mode 0700), the cluster lives in a
private folder of that account under /var/tmp instead, recorded in .devdata/pg-location.

A server found on the port is used only when it is this clone's own (same data directory):
another clone's cluster there is refused with a message, never silently shared.

    python -m devserver.devdb start | stop | status | url | location
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import pwd
import shutil
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEVDATA_DIR = Path(os.environ.get("DEVDATA_DIR", BASE_DIR / ".devdata")).resolve()
CLUSTER_DIR = DEVDATA_DIR / "pg"
LOCK_FILE = DEVDATA_DIR / "pg.lock"
# Where the cluster lives when it is not CLUSTER_DIR (written once, when the folder is made).
LOCATION_FILE = DEVDATA_DIR / "pg-location"
# Parent of the private folders: every account may enter it, and its sticky bit keeps each
# account's folder its own.
PRIVATE_ROOT = Path("/var/tmp")

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


def cluster_dir() -> Path:
    """Return the folder of the cluster: .devdata/pg, or the private folder recorded for it."""
    if LOCATION_FILE.exists():
        return Path(LOCATION_FILE.read_text().strip())
    return CLUSTER_DIR


def data_dir() -> Path:
    return cluster_dir() / "data"


def _socket_dir() -> Path:
    return cluster_dir() / "run"


def _log_file() -> Path:
    return cluster_dir() / "server.log"


def is_running() -> bool:
    """Return True when a server, any server, listens on the cluster's port."""
    try:
        with socket.create_connection((HOST, port()), timeout=0.5):
            return True
    except OSError:
        return False


def served_data_directory() -> str | None:
    """Return the data directory of the server on our port, or None when it will not say.

    Only a superuser may read it; our own cluster's USER is its superuser, so a server that
    refuses us, or names another folder, is not this clone's cluster.
    """
    import psycopg

    for _ in range(20):
        try:
            with psycopg.connect(
                host=HOST, port=port(), user=USER, dbname="postgres", connect_timeout=3
            ) as conn:
                return conn.execute("SHOW data_directory").fetchone()[0]
        except psycopg.Error as error:
            # Our own cluster may be starting up in another process: wait for it, briefly.
            if "starting up" not in str(error):
                return None
            time.sleep(0.25)
    return None


def refuse_foreign_server() -> None:
    """Stop with a clear message when the server on our port runs another cluster."""
    served = served_data_directory()
    ours = data_dir().resolve()
    if served is not None and Path(served).resolve() == ours:
        return
    other = f"the cluster in {served}" if served else "a server that is not this clone's cluster"
    raise EmbeddedDatabaseError(
        f"Port {port()} is already served by {other}, not by this clone's ({ours}). Using it "
        "would read and write another checkout's data. Stop that server, or give this clone "
        "its own port with DEVDB_PORT (or set DATABASE_URL)."
    )


def _run(
    args: list[str], account: pwd.struct_passwd | None, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    kwargs: dict = {"capture_output": True, "text": True, "cwd": str(cwd or cluster_dir())}
    if account is not None:
        kwargs.update(user=account.pw_uid, group=account.pw_gid, extra_groups=[])
        kwargs["env"] = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"}
    return subprocess.run(args, check=False, **kwargs)


def _reachable(path: Path, account: pwd.struct_passwd) -> bool:
    return _run(["test", "-w", str(path)], account, cwd=Path("/")).returncode == 0


def private_folder(account: pwd.struct_passwd) -> Path:
    """Return this clone's private folder for `account`, one per clone (by its .devdata)."""
    digest = hashlib.sha256(str(DEVDATA_DIR).encode()).hexdigest()[:12]
    return PRIVATE_ROOT / f"backchannel-{account.pw_name}-{digest}"


def _make_private_folder(account: pwd.struct_passwd) -> Path:
    """Create (or reuse) the private folder: a real directory, the account's, mode 0700."""
    folder = private_folder(account)
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700)
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid not in (0, account.pw_uid):
        raise EmbeddedDatabaseError(
            f"{folder} exists but is not a folder of '{account.pw_name}'; remove it, or set "
            "DATABASE_URL to a running server instead."
        )
    os.chown(folder, account.pw_uid, account.pw_gid)
    os.chmod(folder, 0o700)
    return folder


def _prepare_folders(account: pwd.struct_passwd | None) -> Path:
    """Make the cluster's folders, owned by the account that runs it; return the cluster's."""
    if account is None:
        (CLUSTER_DIR / "run").mkdir(parents=True, exist_ok=True)
        return CLUSTER_DIR
    folder = cluster_dir()
    if folder == CLUSTER_DIR:
        (CLUSTER_DIR / "run").mkdir(parents=True, exist_ok=True)
        # Only folders inside the project change owner; parents stay as they are.
        for path in (CLUSTER_DIR, CLUSTER_DIR / "run"):
            os.chown(path, account.pw_uid, account.pw_gid)
        if not _reachable(CLUSTER_DIR, account):
            if (CLUSTER_DIR / "data" / "PG_VERSION").exists():
                raise EmbeddedDatabaseError(
                    f"The '{account.pw_name}' account cannot reach {CLUSTER_DIR} (a parent "
                    "folder is not readable by other users), where this clone's cluster "
                    "already is. Move the clone, or set DATABASE_URL to a running server."
                )
            # A clone in a closed folder (e.g. under /root): the cluster goes to a private
            # folder of the account instead; the parents' permissions stay as they are.
            folder = _make_private_folder(account)
            LOCATION_FILE.write_text(f"{folder}\n")
            print(f"embedded database: the '{account.pw_name}' account cannot enter this "
                  f"folder, so the cluster lives in {folder}", file=sys.stderr)  # fmt: skip
    else:
        _make_private_folder(account)
    (folder / "run").mkdir(exist_ok=True)
    os.chown(folder / "run", account.pw_uid, account.pw_gid)
    if not _reachable(folder, account):
        raise EmbeddedDatabaseError(
            f"The '{account.pw_name}' account cannot reach {folder} (a parent folder is not "
            "readable by other users). Set DATABASE_URL to a running server instead."
        )
    return folder


def _initdb(account: pwd.struct_passwd | None) -> None:
    result = _run(
        [
            binary("initdb"),
            "--pgdata",
            str(data_dir()),
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
            f"-k {_socket_dir()}",
            f"-c listen_addresses={HOST}",
            "-c max_connections=200",
            "-c shared_buffers=256MB",
            # Web statements run in milliseconds; compiling one costs more.
            "-c jit=off",
            # Development data: a crash may lose the last moments, never corrupts.
            "-c synchronous_commit=off",
        ]
    )
    log_file = _log_file()
    command = [binary("pg_ctl"), "start", "-D", str(data_dir()), "-l", str(log_file)]
    result = _run([*command, "-w", "-t", "60", "-o", options], account)
    if result.returncode != 0:
        log_tail = log_file.read_text(errors="replace")[-2000:] if log_file.exists() else ""
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
    """Create the cluster if needed and start it. Return True when this call started it.

    A server already on the port is accepted only when it serves this clone's data directory.
    """
    if is_running():
        refuse_foreign_server()
        return False
    with _lock():
        if is_running():
            refuse_foreign_server()
            return False
        account = server_user()
        _prepare_folders(account)
        if not (data_dir() / "PG_VERSION").exists():
            _initdb(account)
        _pg_ctl_start(account)
        _create_database()
        return True


def stop() -> None:
    """Stop the cluster quickly and cleanly; a no-op when it is not running."""
    if not (data_dir() / "postmaster.pid").exists():
        return
    _run([binary("pg_ctl"), "stop", "-D", str(data_dir()), "-m", "fast", "-w"], server_user())
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
        elif command == "location":
            print(cluster_dir())
        else:
            print(
                "usage: python -m devserver.devdb start|stop|status|url|location", file=sys.stderr
            )
            return 2
    except EmbeddedDatabaseError as error:
        print(f"embedded database: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
