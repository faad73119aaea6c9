"""Fault runs: real workers, web servers, Redis and PostgreSQL processes, and faults injected.

Everything runs on this machine on loopback: the test database (the embedded cluster, as in
tests/), a Redis server of our own on a free port (the machine's Redis is never touched), and
for the restart run a PostgreSQL cluster of our own under .devdata/. Every loop is bounded and
every process started here is stopped here, by its own process id.

Figures from each run are collected with the `figures` fixture, printed at the end and written
to bench/results/faults-latest.json.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

BASE_DIR = Path(__file__).resolve().parents[2]
# Scratch space for this run (broker files, beat schedules, logs, a PostgreSQL cluster). It is
# inside the project because the cluster runs as an unprivileged user who must reach it.
SCRATCH = BASE_DIR / ".devdata" / f"faults-{os.getpid()}"
RESULTS = BASE_DIR / "bench" / "results" / "faults-latest.json"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"

_started_database = False
_figures: dict[str, dict] = {}


def pytest_configure(config):
    global _started_database
    from django.conf import settings

    if settings.EMBEDDED_DATABASE:
        from devserver import devdb

        _started_database = devdb.start()


def pytest_unconfigure(config):
    if _started_database:
        from devserver import devdb

        devdb.stop()
    if os.environ.get("FAULTS_KEEP") != "1":  # FAULTS_KEEP=1 keeps logs for a post-mortem
        shutil.rmtree(SCRATCH, ignore_errors=True)


def pytest_terminal_summary(terminalreporter):
    if not _figures:
        return
    terminalreporter.section("fault figures")
    for name, values in _figures.items():
        terminalreporter.write_line(f"{name}:")
        for key, value in values.items():
            terminalreporter.write_line(f"  {key:<34} {value}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    stamped = {"finished_at": datetime.now(UTC).isoformat(timespec="seconds"), "runs": _figures}
    RESULTS.write_text(json.dumps(stamped, indent=2, default=str) + "\n")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Give this run its own test database, so it never collides with a suite running."""
    from django.conf import settings

    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"test_faults_{os.getpid()}"


@pytest.fixture(scope="session")
def run_figures() -> dict[str, dict]:
    """Every test's figures by name, for fixtures wider than one test to add their own."""
    return _figures


@pytest.fixture
def figures(request) -> dict:
    """A dict of figures for this test, reported at the end of the run."""
    values: dict = {}
    _figures[request.node.name] = values
    return values


@pytest.fixture
def scratch(request) -> Path:
    """An empty folder for this test under the run's scratch space."""
    folder = SCRATCH / request.node.name.replace("[", "-").replace("]", "")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


# Processes -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.5) -> bool:
    """Poll `predicate` until it holds or `timeout` seconds pass; return whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Process:
    """A child process in its own session, its output in a log file; stopped by its own id."""

    def __init__(self, name: str, args: list[str], env: dict, log: Path):
        self.name, self.args, self.env, self.log = name, args, env, log
        self.popen: subprocess.Popen | None = None

    def start(self) -> Process:
        handle = open(self.log, "ab")  # noqa: SIM115 (kept open for the child's lifetime)
        self.popen = subprocess.Popen(
            self.args,
            cwd=BASE_DIR,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a kill reaches its children too
        )
        handle.close()
        return self

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, sig: int) -> None:
        """Send a signal to the whole process group this process leads."""
        if self.alive:
            os.killpg(self.popen.pid, sig)

    def kill(self) -> None:
        """SIGKILL the process and its children, as the OOM killer or a power cut would."""
        if self.popen is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=30)

    def stop(self, timeout: float = 20) -> None:
        """Ask politely (SIGTERM), then SIGKILL what is left."""
        if not self.alive:
            return
        self.signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        else:
            with contextlib.suppress(ProcessLookupError):  # children a SIGTERM left behind
                os.killpg(self.popen.pid, signal.SIGKILL)

    def tail(self, characters: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-characters:] if self.log.exists() else ""


class Processes:
    """Every process a test starts, stopped at its end."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.started: list[Process] = []

    def start(self, name: str, args: list[str], env: dict) -> Process:
        process = Process(name, args, env, self.folder / f"{name}.log").start()
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.started):
            process.stop()


@pytest.fixture
def processes(scratch):
    running = Processes(scratch)
    yield running
    running.stop_all()


def celery(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "bench.faults.probe", *args]


def worker_args(concurrency: int = 2, pool: str = "prefork") -> list[str]:
    return celery(
        "worker",
        "--pool",
        pool,
        "--concurrency",
        str(concurrency),
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel",
        "warning",
    )


def beat_args(schedule: Path) -> list[str]:
    # INFO: beat logs each task it sends, so a run can count its sweeps.
    return celery("beat", "--schedule", str(schedule), "--loglevel", "info")


def gunicorn_args(port: int, workers: int = 2) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
    ]


def child_env(database_url: str, broker_url: str, scratch: Path, **extra) -> dict:
    """Return an environment pointing a child process at this run's database and broker."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "FAULTS_TASK_LOG": str(scratch / "tasks.log"),
        "DEVDB_AUTOSTART": "0",
        "PYTHONUNBUFFERED": "1",
    }
    env.update({key: str(value) for key, value in extra.items()})
    return env


def database_url_for_children() -> str:
    from django.db import connection

    db = connection.settings_dict
    return f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def task_log(scratch: Path) -> list[list[str]]:
    path = scratch / "tasks.log"
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


def done_counts(scratch: Path) -> Counter:
    """Return how many times each article id was extracted to "done" by a worker."""
    return Counter(
        int(fields[1])
        for fields in task_log(scratch)
        if fields[0] == "end" and fields[-1] == "done"
    )


# Redis of our own ---------------------------------------------------------------------------


class RedisServer:
    """A throw-away redis-server on a free loopback port: stop it, start it, freeze it."""

    def __init__(self, processes: Processes):
        self.processes = processes
        self.port = free_port()
        self.process: Process | None = None
        self.outages = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = self.processes.start(
            f"redis-{len(self.processes.started)}",
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            dict(os.environ),
        )
        if not wait_until(lambda: port_open(self.port), 15, 0.1):
            raise RuntimeError(f"redis-server did not start:\n{self.process.tail()}")

    def kill(self) -> None:
        """Stop Redis abruptly: queued messages are lost (nothing is saved)."""
        self.outages += 1
        self.process.kill()

    def freeze(self) -> None:
        """Stop Redis answering while its port stays open (SIGSTOP)."""
        self.outages += 1
        self.process.signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.signal(signal.SIGCONT)


@pytest.fixture
def redis_server(processes) -> RedisServer:
    server = RedisServer(processes)
    server.start()
    yield server
    if server.process is not None:
        server.thaw()  # a frozen server would ignore SIGTERM


# Content -----------------------------------------------------------------------------------


def corpus_texts(count: int, seed: int) -> list[dict]:
    """Return `count` realistic article texts (bench/corpus.py), each with a unique tail."""
    from bench.corpus import article_texts

    texts = article_texts(count, seed=seed)
    for index, text in enumerate(texts):
        text["published_at"] = date.fromisoformat(text["published_at"])
        # Make every text unique even if the generator repeats itself: the hash sees words.
        text["body"] = f"{text['body']}\n\nFault run item {seed} {index} {index * 7919}."
    return texts


def meeting_signature(meeting) -> tuple:
    """What a meeting is, independent of the order it was built in (no ids, no slugs)."""
    return (
        meeting.kind,
        meeting.status,
        meeting.start_date,
        meeting.end_date,
        meeting.date_precision,
        meeting.location.slug if meeting.location else None,
        tuple(sorted(p.person.slug for p in meeting.participations.all())),
        tuple(sorted(t.topic.slug for t in meeting.meeting_topics.all())),
    )


def timeline_state() -> dict:
    """Return the stored extraction results as comparable multisets, and duplicate counts."""
    from django.db.models import Count

    from diplomacy.models import Evidence, Meeting, MeetingTopic, Participation

    meetings = (
        Meeting.objects.select_related("location")
        .prefetch_related("participations__person", "meeting_topics__topic")
        .order_by("id")
    )
    signature = {meeting.pk: meeting_signature(meeting) for meeting in meetings}
    rows = Evidence.objects.select_related("article").only(
        "article__content_hash", "start", "end", "meeting_id"
    )
    evidence = Counter(
        (row.article.content_hash, row.start, row.end, signature[row.meeting_id]) for row in rows
    )

    def duplicated(queryset, *fields) -> int:
        groups = queryset.values(*fields).annotate(n=Count("id")).filter(n__gt=1)
        return sum(group["n"] - 1 for group in groups)

    return {
        "meetings": Counter(signature.values()),
        "evidence": evidence,
        # Which sentences of which articles are evidence, whatever meeting they support.
        "spans": Counter((digest, start, end) for digest, start, end, _ in evidence.elements()),
        "meeting_count": len(signature),
        "participation_count": Participation.objects.count(),
        "evidence_count": Evidence.objects.count(),
        "duplicate_participations": duplicated(Participation.objects, "meeting", "person"),
        "duplicate_topics": duplicated(MeetingTopic.objects, "meeting", "topic"),
        "duplicate_evidence": duplicated(Evidence.objects, "article", "meeting", "start"),
    }


def compare_timelines(workers: dict, baseline: dict) -> dict:
    """Compare a run under faults with the in-process run of the same batch.

    Lost or duplicated work shows as different counts or evidence sentences. Meetings whose
    fields differ while every count agrees come from the order the articles were processed in
    (a retried article arrives late), which incremental matching is sensitive to.
    """
    return {
        "extra_meetings": max(0, workers["meeting_count"] - baseline["meeting_count"]),
        "missing_meetings": max(0, baseline["meeting_count"] - workers["meeting_count"]),
        "extra_participations": max(
            0, workers["participation_count"] - baseline["participation_count"]
        ),
        "extra_spans": sum((workers["spans"] - baseline["spans"]).values()),
        "missing_spans": sum((baseline["spans"] - workers["spans"]).values()),
        "meetings_differing": sum((workers["meetings"] - baseline["meetings"]).values()),
        "evidence_on_another_meeting": sum((workers["evidence"] - baseline["evidence"]).values()),
        "differing_examples": list((workers["meetings"] - baseline["meetings"]).keys())[:3],
    }


# PostgreSQL of our own ---------------------------------------------------------------------


class OwnPostgres:
    """A PostgreSQL cluster made by devserver/devdb.py in a folder of this run, on a free port."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.env = {**os.environ, "DEVDATA_DIR": str(folder), "DEVDB_PORT": str(self.port)}
        self.env.pop("DATABASE_URL", None)
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"postgresql://backchannel@127.0.0.1:{self.port}/backchannel"

    def _python(self, *args: str) -> None:
        result = subprocess.run(
            [sys.executable, *args],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{args}: {result.stdout}{result.stderr}")

    def start(self) -> None:
        self._python("-m", "devserver.devdb", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: "fast" (clean) or "immediate" (like a crash: recovery on start)."""
        if mode == "fast":
            self._python("-m", "devserver.devdb", "stop")
            return
        code = (
            "from devserver import devdb\n"
            "devdb._run([devdb.binary('pg_ctl'), 'stop', '-D', str(devdb.data_dir()), "
            f"'-m', {mode!r}, '-w'], devdb.server_user())"
        )
        self._python("-c", code)

    def manage(self, *args: str, **extra) -> None:
        """Run a manage.py command against this cluster."""
        env = {**self.env, "DATABASE_URL": self.url, "DEVDB_AUTOSTART": "0", **extra}
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)}: {result.stdout}{result.stderr}")


@pytest.fixture
def own_postgres():
    # A short folder name: the server's Unix socket path must stay under 108 bytes.
    server = OwnPostgres(SCRATCH / f"pg{free_port()}")
    server.start()
    yield server
    with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
        server.stop()
