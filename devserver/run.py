"""`make run`: the demo on the embedded defaults, stopped cleanly with Ctrl-C.

Starts the database (embedded unless DATABASE_URL is set), migrates, loads the reference data,
starts a Celery worker (with beat), queues the bundled sample texts for it, and serves
http://127.0.0.1:8000 until interrupted; then stops everything it started.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
HOST = os.environ.get("RUN_HOST", "127.0.0.1")
PORT = int(os.environ.get("RUN_PORT", "8000"))
PYTHON = sys.executable


def say(message: str) -> None:
    print(f"[backchannel] {message}", flush=True)


def manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, check=True)


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((HOST, port)) != 0


def admin_password(devdata: Path) -> str:
    """Return the demo admin's password: DEMO_ADMIN_PASSWORD, or one made once and kept."""
    if os.environ.get("DEMO_ADMIN_PASSWORD"):
        return os.environ["DEMO_ADMIN_PASSWORD"]
    stored = devdata / "admin-password.txt"
    if not stored.exists():
        devdata.mkdir(parents=True, exist_ok=True)
        stored.write_text(secrets.token_urlsafe(12))
        stored.chmod(0o600)
    return stored.read_text().strip()


def stop(process: subprocess.Popen | None, name: str) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        say(f"{name} did not stop in time; killing it")
        process.kill()
        process.wait()


def watch_samples(total: int, stop_event: threading.Event) -> None:
    """Report when the worker has processed the sample articles."""
    import django

    django.setup()
    from articles.models import Article

    while not stop_event.wait(2):
        finished = Article.objects.filter(status__in=["done", "failed"]).count()
        if finished >= total:
            say(f"the worker processed {finished} articles: the timeline is populated")
            return


def main() -> int:
    os.chdir(BASE_DIR)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(BASE_DIR))
    from django.conf import settings

    from devserver import devdb

    if not port_free(PORT):
        say(f"port {PORT} on {HOST} is in use; stop what runs there or set RUN_PORT")
        return 1
    started_database = False
    worker = server = None
    watcher_stop = threading.Event()
    try:
        if settings.EMBEDDED_DATABASE:
            say(f"starting the embedded PostgreSQL ({devdb.url()})")
            started_database = devdb.start()
        manage("migrate", "--noinput", "-v", "0")
        manage("load_reference")
        password = admin_password(devdb.DEVDATA_DIR)
        manage("ensure_admin", "--username", "admin", "--password", password)

        logs = devdb.DEVDATA_DIR / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        worker_log = open(logs / "worker.log", "a")  # noqa: SIM115  (open for the worker's life)
        worker = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--beat",
                "--loglevel",
                "info",
                "--concurrency",
                "2",
                "--schedule",
                str(devdb.DEVDATA_DIR / "celerybeat-schedule"),
            ],
            cwd=BASE_DIR,
            stdout=worker_log,
            stderr=subprocess.STDOUT,
        )
        say(f"Celery worker started (log: {logs / 'worker.log'})")
        manage("load_samples")
        import django

        django.setup()
        from articles.models import Article

        threading.Thread(
            target=watch_samples, args=(Article.objects.count(), watcher_stop), daemon=True
        ).start()

        say(
            f"serving http://{HOST}:{PORT}/  (admin: http://{HOST}:{PORT}/admin/ "
            f"user 'admin', password '{password}')  Ctrl-C stops everything"
        )
        server = subprocess.Popen(
            [PYTHON, "manage.py", "runserver", f"{HOST}:{PORT}", "--noreload"], cwd=BASE_DIR
        )
        while server.poll() is None and worker.poll() is None:
            time.sleep(0.5)
        if worker.poll() is not None:
            say(f"the worker exited with code {worker.returncode}; see {logs / 'worker.log'}")
        return server.returncode or worker.returncode or 0
    except KeyboardInterrupt:
        return 0
    except subprocess.CalledProcessError as error:
        say(f"a set-up step failed: {' '.join(map(str, error.cmd[1:]))}")
        return 1
    except devdb.EmbeddedDatabaseError as error:
        say(f"embedded database: {error}")
        return 1
    finally:
        watcher_stop.set()
        say("stopping")
        stop(server, "the web server")
        stop(worker, "the worker")
        if started_database:
            devdb.stop()
            say("embedded PostgreSQL stopped")


def interrupt(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    # Ctrl-C and `kill` both stop everything; SIGINT is set explicitly because a shell that
    # starts this in the background leaves it ignored.
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    sys.exit(main())
