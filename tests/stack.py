"""Run the real serving stack for tests: gunicorn with several workers, on 127.0.0.1."""

from __future__ import annotations

import contextlib
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.workers import process_env

BASE_DIR = Path(__file__).resolve().parent.parent
# Servers the tests start listen on these loopback ports only.
PORTS = range(8200, 8300)
PRODUCTION_SECRET = secrets.token_urlsafe(50)


def free_port() -> int:
    """Return a port of PORTS that nothing listens on now."""
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 8200-8299")


STATIC_ROOT = BASE_DIR / ".devdata" / "test-static"


def collect_static() -> Path:
    """Collect static files once for production-mode servers (hashed names need a manifest)."""
    manifest = STATIC_ROOT / "staticfiles.json"
    sources = [BASE_DIR / "static", BASE_DIR / "pyproject.toml"]
    newest = max(path.stat().st_mtime for folder in sources for path in _files(folder))
    if not manifest.exists() or manifest.stat().st_mtime < newest:
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
            cwd=BASE_DIR,
            env=process_env(
                DEBUG="false",
                SECRET_KEY=PRODUCTION_SECRET,
                STATIC_ROOT=str(STATIC_ROOT),
                DEVDB_AUTOSTART="0",
            ),
            check=True,
            capture_output=True,
            timeout=300,
        )
    return STATIC_ROOT


def _files(path: Path):
    return [path] if path.is_file() else [item for item in path.rglob("*") if item.is_file()]


def production_env(**extra: str) -> dict:
    """Return the environment of a production-like process on the test database."""
    return process_env(
        STATIC_ROOT=str(collect_static()),
        DEBUG="false",
        SECRET_KEY=PRODUCTION_SECRET,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        DEVDB_AUTOSTART="0",
        **extra,
    )


def wait_until_serving(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        with contextlib.suppress(OSError):
            urllib.request.urlopen(url, timeout=2)
            return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@contextlib.contextmanager
def gunicorn(env: dict, workers: int = 2, timeout: int = 30, log=subprocess.DEVNULL):
    """Serve the project with gunicorn's sync workers; yield the base URL and the process."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--timeout", str(timeout), "--graceful-timeout", "5",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base + "/healthz", process)
        yield base, process
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
