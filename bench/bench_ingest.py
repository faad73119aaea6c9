"""End to end: POST /api/v1/articles/ → status done, through a real Celery worker on Redis.

Articles (new texts from the corpus generator, reporting the database's meetings) are posted by
a few client threads to gunicorn; the web process stores each one and queues its extraction on
Redis; a Celery worker (prefork, one process per core) extracts and merges it into PostgreSQL.
Per article, latency runs from the moment its POST was sent to the `processed_at` the worker
stamps when it is done (one clock: everything runs on this machine). Throughput is the number
of articles over the time from the first POST to the last article done.

The worker uses its own Redis database (REDIS_URL with BENCH_REDIS_DB, 14 by default), so that
a test suite's worker on the same server never takes the benchmark's tasks, nor the reverse.
Afterwards the ingested articles and the meetings they created are deleted and the counters of
the meetings they touched recomputed, so the database stays the loaded corpus.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

BASE_DIR = Path(__file__).resolve().parent.parent

# Ingestion target from the issue: articles per second, end to end.
TARGET_ARTICLES_PER_SECOND = 100
WARMUP_ARTICLES = 10
DONE_TIMEOUT_SECONDS = 600


def broker_url() -> str:
    """Return REDIS_URL (default redis://127.0.0.1:6379/0) with the benchmark's database."""
    explicit = os.environ.get("BENCH_BROKER_URL", "").strip()
    if explicit:
        return explicit
    parts = urlsplit(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    return urlunsplit(parts._replace(path=f"/{os.environ.get('BENCH_REDIS_DB', '14')}"))


def redis_problem(url: str) -> str | None:
    """Return why Redis cannot carry the benchmark's tasks, or None when it can."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=3)
        client.ping()
        client.close()
    except redis.RedisError as error:
        return f"Redis is not reachable at {url.split('@')[-1]}: {error}"
    return None


def purge_queue(url: str) -> None:
    """Forget tasks a previous, interrupted run left in the benchmark's Redis database."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    client.delete("celery", "unacked", "unacked_index")
    client.close()


def api_token(env: dict) -> str:
    """Create the benchmark user (idempotent) and return its API token."""
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "ensure_admin",
            "--username",
            "bench",
            "--password",
            "bench-password-not-secret",
        ],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
    )
    output = subprocess.run(
        [sys.executable, "manage.py", "api_token", "bench"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return output.strip()


class Worker:
    """`celery -A config worker` in its own process group, stopped by its process id."""

    def __init__(self, env: dict, concurrency: int, log: Path):
        self.env = env
        self.concurrency = concurrency
        self.log = log
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Worker:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.log.write_text("")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool",
                "prefork",
                "--concurrency",
                str(self.concurrency),
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "info",
                "--hostname",
                f"bench-{os.getpid()}@%h",
            ],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Celery worker exited; see {self.log}")
            if " ready." in self.log.read_text(errors="replace"):
                return self
            time.sleep(0.3)
        raise RuntimeError(f"the Celery worker did not start; see {self.log}")

    def child_pids(self) -> list[int]:
        from bench.http_load import children

        return children(self.process.pid) if self.process else []

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class IngestResult:
    articles: int
    done: int
    failed: int
    seconds: float
    articles_per_second: float
    p50_ms: float
    p95_ms: float
    max_ms: float
    post_p50_ms: float
    post_p95_ms: float
    clients: int
    worker_concurrency: int
    # From the last article done until the vague reports they moved were placed again.
    placed_after_s: float = 0.0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def post_articles(base: str, token: str, texts: list[dict], clients: int) -> tuple[dict, list]:
    """POST every text; return {article id: send time} and the POST latencies (seconds)."""
    host, port = urlsplit(base).hostname, urlsplit(base).port
    sent: dict[int, float] = {}
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    queue = list(reversed(texts))

    def client() -> None:
        while True:
            with lock:
                if not queue:
                    return
                text = queue.pop()
            body = json.dumps(text).encode()
            started_wall, started = time.time(), time.perf_counter()
            try:
                conn = http.client.HTTPConnection(host, port, timeout=60)
                conn.request(
                    "POST",
                    "/api/v1/articles/",
                    body=body,
                    headers={
                        "Content-Type": "application/json",
                        "Authorization": f"Token {token}",
                    },
                )
                response = conn.getresponse()
                payload = response.read()
                conn.close()
            except OSError as error:
                with lock:
                    errors.append(str(error))
                continue
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if response.status == 202:
                    sent[json.loads(payload)["id"]] = started_wall
                else:
                    errors.append(f"{response.status}: {payload[:200]!r}")

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{len(errors)} POSTs failed, first: {errors[0]}")
    return sent, latencies


def wait_done(url: str, ids: list[int]) -> dict[int, tuple[str, datetime | None]]:
    """Poll until every article is done or failed (bounded); return status and processed_at."""
    deadline = time.monotonic() + DONE_TIMEOUT_SECONDS
    rows: dict = {}
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            rows = {
                pk: (status, processed)
                for pk, status, processed in conn.execute(
                    "SELECT id, status, processed_at FROM articles_article WHERE id = ANY(%s)",
                    [ids],
                )
            }
            if all(status in ("done", "failed") for status, _ in rows.values()):
                return rows
            time.sleep(0.2)
    pending = sum(status not in ("done", "failed") for status, _ in rows.values())
    raise RuntimeError(f"{pending} articles were not processed within {DONE_TIMEOUT_SECONDS} s")


PLACING_WAITS = "SELECT EXISTS (SELECT FROM diplomacy_resettlerequest)"


def wait_placed(url: str) -> None:
    """Poll until no batch's request to place vague reports again waits (bounded)."""
    deadline = time.monotonic() + DONE_TIMEOUT_SECONDS
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            (waiting,) = conn.execute(PLACING_WAITS).fetchone()
            if not waiting:
                return
            time.sleep(0.2)
    raise RuntimeError(f"vague reports were not placed within {DONE_TIMEOUT_SECONDS} s")


def percentile(values: list[float], share: float) -> float:
    from bench.http_load import percentile as nearest_rank

    return nearest_rank(sorted(values), share)


def cleanup(url: str, max_article_id: int, max_meeting_id: int) -> None:
    """Delete what ingestion added and recount the meetings it touched.

    The database's foreign keys do not cascade (Django emulates that), so children go first.
    Fields a merge recomputed on an existing meeting (an added topic, a wider date) stay.
    """
    articles, meetings = {"a": max_article_id}, {"m": max_meeting_id}
    with psycopg.connect(url) as conn:
        touched = [
            row[0]
            for row in conn.execute(
                "SELECT DISTINCT meeting_id FROM diplomacy_evidence "
                "WHERE article_id > %(a)s AND meeting_id <= %(m)s",
                {**articles, **meetings},
            )
        ]
        # Placing vague reports again may have moved the corpus's own onto new records: those
        # records stay, with them; the new records left without evidence go.
        conn.execute("DELETE FROM diplomacy_evidence WHERE article_id > %(a)s", articles)
        kept = [
            row[0]
            for row in conn.execute(
                "SELECT DISTINCT meeting_id FROM diplomacy_evidence WHERE meeting_id > %(m)s",
                meetings,
            )
        ]
        touched += kept
        new = "> %(m)s AND NOT {column} = ANY(%(kept)s)"
        statements = (
            "DELETE FROM diplomacy_mention WHERE article_id > %(a)s",
            "DELETE FROM diplomacy_articletopic WHERE article_id > %(a)s",
            *(
                f"DELETE FROM {table} WHERE meeting_id " + new.format(column="meeting_id")
                for table in (
                    "diplomacy_participation",
                    "diplomacy_meetingtopic",
                    "diplomacy_meetingchannel",
                )
            ),
            "DELETE FROM diplomacy_meeting WHERE id " + new.format(column="id"),
            "DELETE FROM articles_article WHERE id > %(a)s",
            "DELETE FROM diplomacy_resettlerequest",
        )
        for statement in statements:
            conn.execute(statement, {**articles, **meetings, "kept": kept})
        # People extraction discovered (the gazetteer's are confirmed).
        for statement in (
            "DELETE FROM diplomacy_participation WHERE person_id IN {auto}",
            "DELETE FROM diplomacy_mention WHERE person_id IN {auto}",
            "DELETE FROM diplomacy_office WHERE person_id IN {auto}",
            "DELETE FROM diplomacy_person WHERE id IN {auto}",
        ):
            conn.execute(
                statement.format(
                    auto="(SELECT id FROM diplomacy_person WHERE review_state = 'auto')"
                )
            )
        if touched:
            conn.execute(
                """
                UPDATE diplomacy_meeting AS meeting
                SET evidence_count = (SELECT count(*) FROM diplomacy_evidence AS e
                                      WHERE e.meeting_id = meeting.id),
                    article_count = (SELECT count(DISTINCT e.article_id)
                                     FROM diplomacy_evidence AS e
                                     WHERE e.meeting_id = meeting.id)
                WHERE meeting.id = ANY(%s)
                """,
                [touched],
            )


def run_one_at_a_time(url: str, base: str, token: str, texts: list[dict]) -> dict:
    """Post one article, wait until it is done, then the next: latency without queueing."""
    latencies = []
    with psycopg.connect(url, autocommit=True) as conn:
        for text in texts:
            sent, _ = post_articles(base, token, [text], 1)
            ((pk, started),) = sent.items()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                status, processed = conn.execute(
                    "SELECT status, processed_at FROM articles_article WHERE id = %s", [pk]
                ).fetchone()
                if status in ("done", "failed"):
                    break
                time.sleep(0.005)
            if status == "done" and processed is not None:
                latencies.append((processed.timestamp() - started) * 1000)
    return {
        "articles": len(texts),
        "done": len(latencies),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 0.95), 1) if latencies else None,
    }


def run_ingest(
    url: str,
    base: str,
    token: str,
    texts: list[dict],
    clients: int,
    worker_concurrency: int,
) -> IngestResult:
    """Post `texts` to the API at `base` and wait until the worker has processed them all."""
    started = time.time()
    sent, post_latencies = post_articles(base, token, texts, clients)
    rows = wait_done(url, list(sent))
    wait_placed(url)
    placed = time.time()
    latencies = [
        (processed.timestamp() - sent[pk]) * 1000
        for pk, (status, processed) in rows.items()
        if status == "done" and processed is not None
    ]
    finished = max(
        (processed.timestamp() for _, processed in rows.values() if processed), default=started
    )
    seconds = max(finished - started, 1e-6)
    failed = sum(status == "failed" for status, _ in rows.values())
    return IngestResult(
        articles=len(texts),
        done=len(latencies),
        failed=failed,
        seconds=round(seconds, 2),
        articles_per_second=round(len(rows) / seconds, 1),
        p50_ms=round(statistics.median(latencies), 1) if latencies else 0.0,
        p95_ms=round(percentile(latencies, 0.95), 1) if latencies else 0.0,
        max_ms=round(max(latencies), 1) if latencies else 0.0,
        post_p50_ms=round(statistics.median(post_latencies) * 1000, 1),
        post_p95_ms=round(percentile(post_latencies, 0.95) * 1000, 1),
        clients=clients,
        worker_concurrency=worker_concurrency,
        placed_after_s=round(max(placed - finished, 0.0), 1),
    )
