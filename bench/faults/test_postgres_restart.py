"""Restart PostgreSQL under load; the web app and the worker reconnect and nothing is lost.

A PostgreSQL cluster of our own (devserver/devdb.py in a scratch folder, on a free port) serves a
gunicorn web app, a prefork worker and beat. Three clients submit FAULTS_SUBMISSIONS (200)
articles through the API, retrying an attempt that failed as any client would, while a reader
polls the meeting list. PostgreSQL is restarted twice: once cleanly ("fast": sessions are
cut), once like a crash ("immediate": recovery on start).

Afterwards the web app must answer again by itself, every article must be stored once and
extracted to done once (in-flight extractions are retried, not lost), and the timeline must
equal the one the same articles give when processed again in one process from scratch.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections import Counter

import psycopg
import requests

from articles.text import content_hash, normalise_body
from bench.faults.conftest import (
    beat_args,
    child_env,
    compare_timelines,
    corpus_texts,
    done_counts,
    free_port,
    gunicorn_args,
    task_log,
    wait_until,
    worker_args,
)

SUBMISSIONS = int(os.environ.get("FAULTS_SUBMISSIONS_PG", "200"))
CLIENTS = 3
DOWN_SECONDS = 5
STALE_AFTER = 15
MAX_ATTEMPTS = 60  # per article; a client gives up after this many failed attempts
DEADLINE = 600

MEETINGS_SQL = """
SELECT m.id, m.kind, m.status, m.start_date, m.end_date, m.date_precision, l.slug,
  (SELECT string_agg(p.slug, ',' ORDER BY p.slug) FROM diplomacy_participation pa
     JOIN diplomacy_person p ON p.id = pa.person_id WHERE pa.meeting_id = m.id),
  (SELECT string_agg(t.slug, ',' ORDER BY t.slug) FROM diplomacy_meetingtopic mt
     JOIN diplomacy_topic t ON t.id = mt.topic_id WHERE mt.meeting_id = m.id)
FROM diplomacy_meeting m LEFT JOIN diplomacy_location l ON l.id = m.location_id
"""
EVIDENCE_SQL = """
SELECT a.content_hash, e.start, e."end", e.meeting_id
FROM diplomacy_evidence e JOIN articles_article a ON a.id = e.article_id
"""


def timeline(url: str) -> dict:
    """Return meetings and evidence as multisets of order-independent signatures."""
    with psycopg.connect(url) as conn:
        signature = {row[0]: row[1:] for row in conn.execute(MEETINGS_SQL)}
        evidence = Counter(
            (digest, start, end, signature[meeting])
            for digest, start, end, meeting in conn.execute(EVIDENCE_SQL)
        )
        participations = conn.execute("SELECT count(*) FROM diplomacy_participation").fetchone()
    return {
        "meetings": Counter(signature.values()),
        "evidence": evidence,
        "spans": Counter((digest, start, end) for digest, start, end, _ in evidence.elements()),
        "meeting_count": len(signature),
        "participation_count": participations[0],
    }


def reset_timeline(url: str, people_before: list[int]) -> None:
    """Forget everything extraction wrote, and make every article pending again."""
    with psycopg.connect(url) as conn:
        for table in (
            "diplomacy_evidence",
            "diplomacy_mention",
            "diplomacy_participation",
            "diplomacy_meetingtopic",
            "diplomacy_meeting",
        ):
            conn.execute(f"DELETE FROM {table}")
        conn.execute("DELETE FROM diplomacy_person WHERE NOT (id = ANY(%s))", [people_before])
        conn.execute(
            "UPDATE articles_article SET status = 'pending', attempts = 0, error = '', "
            "processed_at = NULL, extractor_version = ''"
        )


class Load:
    """Clients submitting (with retries) and a reader polling, each answer recorded."""

    def __init__(self, base: str, token: str, texts: list[dict]):
        self.base, self.token = base, token
        self.todo: queue.Queue = queue.Queue()
        for text in texts:
            self.todo.put(text)
        self.attempts: list[tuple[float, str, object]] = []  # (time, kind, status)
        self.accepted: dict[str, int] = {}  # content hash -> article id
        self.gave_up: list[str] = []
        self.stop_reading = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.submit, daemon=True) for _ in range(CLIENTS)]
        self.reader = threading.Thread(target=self.read, daemon=True)

    def record(self, kind: str, status) -> None:
        with self.lock:
            self.attempts.append((time.monotonic(), kind, status))

    def submit(self) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {self.token}"
        while True:
            try:
                text = self.todo.get_nowait()
            except queue.Empty:
                return
            digest = content_hash(normalise_body(text["body"]))
            payload = {
                "body": text["body"],
                "title": text["title"],
                "published_at": text["published_at"].isoformat(),
                "source": text["source"],
            }
            for _ in range(MAX_ATTEMPTS):
                try:
                    response = session.post(
                        f"{self.base}/api/v1/articles/", json=payload, timeout=30
                    )
                    status = response.status_code
                except requests.RequestException as error:
                    status, response = type(error).__name__, None
                self.record("submit", status)
                if status in (200, 202):
                    with self.lock:
                        self.accepted[digest] = response.json()["id"]
                    break
                time.sleep(1)
            else:
                self.gave_up.append(digest)
            time.sleep(0.05)

    def read(self) -> None:
        session = requests.Session()
        while not self.stop_reading.is_set():
            try:
                status = session.get(
                    f"{self.base}/api/v1/meetings/", params={"page_size": 5}, timeout=30
                ).status_code
            except requests.RequestException as error:
                status = type(error).__name__
            self.record("read", status)
            time.sleep(0.2)

    def start(self) -> None:
        for thread in [*self.threads, self.reader]:
            thread.start()


def test_it_reconnects_and_loses_nothing_when_postgres_restarts(
    scratch, processes, redis_server, own_postgres, figures
):
    """Two PostgreSQL restarts under load: the apps come back alone, no article is lost."""
    pg = own_postgres
    with psycopg.connect(pg.url, autocommit=True) as conn:
        # The embedded cluster trades durability for speed (synchronous_commit=off): a crash
        # may lose commits already answered 202. Production servers commit synchronously,
        # and so does this run, so that a lost article is a bug and not the setting.
        conn.execute("ALTER DATABASE backchannel SET synchronous_commit = on")
    pg.manage("migrate", "--no-input")
    pg.manage("load_reference", "--gazetteer-only")
    with psycopg.connect(pg.url) as conn:
        people_before = [row[0] for row in conn.execute("SELECT id FROM diplomacy_person")]
    token = _make_token(pg)
    port = free_port()
    env = child_env(
        pg.url,
        redis_server.url,
        scratch,
        INGEST_SWEEP_INTERVAL=3,
        INGEST_STALE_AFTER=STALE_AFTER,
        THROTTLE_INGEST="100000/minute",
        THROTTLE_USER="100000/minute",
        THROTTLE_ANON="100000/minute",
        DB_CONNECT_TIMEOUT=2,
    )
    web = processes.start("web", gunicorn_args(port, workers=2), env)
    base = f"http://127.0.0.1:{port}"
    assert wait_until(lambda: _status(f"{base}/healthz") == 200, 60), web.tail()
    worker = processes.start("worker", worker_args(concurrency=2), env)
    processes.start("beat", beat_args(scratch / "beat-schedule"), env)

    texts = corpus_texts(SUBMISSIONS, seed=31)
    load = Load(base, token, texts)
    started = time.monotonic()
    load.start()

    restarts = []
    for share, mode in ((0.25, "fast"), (0.6, "immediate")):
        assert wait_until(lambda share=share: len(load.accepted) >= SUBMISSIONS * share, DEADLINE)
        down = time.monotonic()
        pg.stop(mode)
        time.sleep(DOWN_SECONDS)
        pg.start()
        up = time.monotonic()
        # Recovery: how long after the server is back until the web app answers reads again.
        assert wait_until(lambda: _status(f"{base}/healthz") == 200, 60, 0.1), web.tail()
        restarts.append({"mode": mode, "down": down, "up": up, "answering": time.monotonic()})

    for thread in load.threads:
        thread.join(DEADLINE)
    load.stop_reading.set()
    load.reader.join(30)
    submitted_in = time.monotonic() - started

    def unfinished() -> int:
        with psycopg.connect(pg.url) as conn:
            return conn.execute(
                "SELECT count(*) FROM articles_article WHERE status IN ('pending', 'processing')"
            ).fetchone()[0]

    finished = wait_until(lambda: unfinished() == 0, DEADLINE, 1)
    processes.stop_all()

    with psycopg.connect(pg.url) as conn:
        stored = dict(conn.execute("SELECT content_hash, status FROM articles_article").fetchall())
        not_done = conn.execute(
            "SELECT id, status, attempts, error FROM articles_article WHERE status <> 'done'"
        ).fetchall()
    texts_hashes = {content_hash(normalise_body(t["body"])) for t in texts}
    lost = [digest for digest in texts_hashes if stored.get(digest) != "done"]
    twice = {pk: n for pk, n in done_counts(scratch).items() if n > 1}
    retried = sum(1 for fields in task_log(scratch) if fields[0] == "end" and fields[3] == "RETRY")
    workers_timeline = timeline(pg.url)

    reset_timeline(pg.url, people_before)
    pg.manage("reprocess", "--all", "--sync", CELERY_BROKER_URL="memory://localhost/")
    baseline = timeline(pg.url)

    outage_answers = Counter()
    for moment, kind, status in load.attempts:
        if any(r["down"] <= moment <= r["answering"] for r in restarts):
            outage_answers[f"{kind} {status}"] += 1
    after_answers = Counter(
        f"{kind} {status}"
        for moment, kind, status in load.attempts
        if not any(r["down"] <= moment <= r["answering"] + 1 for r in restarts)
    )
    difference = compare_timelines(workers_timeline, baseline)
    failures_outside = {k: n for k, n in after_answers.items() if not k.endswith((" 200", " 202"))}
    figures.update(
        {
            "faults injected": "2 PostgreSQL restarts (fast, immediate)",
            "seconds down / until the web app answered": ", ".join(
                f"{r['mode']} {r['up'] - r['down']:.1f} / {r['answering'] - r['up']:.1f}"
                for r in restarts
            ),
            "articles submitted": len(texts),
            "articles stored once and done": len(texts) - len(lost),
            "articles lost": len(lost),
            "not done (id, status, attempts, error)": not_done,
            "clients that gave up": len(load.gave_up),
            "extracted to done twice": len(twice),
            "extractions retried by the worker": retried,
            "answers during outages": dict(outage_answers),
            "failed answers outside outages": failures_outside,
            "requests in total": len(load.attempts),
            "meetings (workers / in-process)": (
                f"{workers_timeline['meeting_count']} / {baseline['meeting_count']}"
            ),
            "participations (workers / in-process)": (
                f"{workers_timeline['participation_count']} / {baseline['participation_count']}"
            ),
            "evidence (workers / in-process)": (
                f"{sum(workers_timeline['spans'].values())} / {sum(baseline['spans'].values())}"
            ),
            "duplicate meetings": difference["extra_meetings"],
            "duplicate participations": difference["extra_participations"],
            "duplicate evidence": difference["extra_spans"],
            "evidence missing": difference["missing_spans"],
            "meetings differing by processing order": difference["meetings_differing"],
            "examples of differing meetings": difference["differing_examples"],
            "seconds to submit": round(submitted_in, 1),
        }
    )

    assert finished, f"{unfinished()} articles never finished:\n{worker.tail()}"
    assert not load.gave_up
    assert not lost, lost[:5]
    assert len(stored) == len(texts), "an article was stored twice or a stray one appeared"
    assert not twice, twice
    assert not failures_outside, failures_outside
    assert difference["extra_meetings"] == difference["missing_meetings"] == 0, difference
    assert difference["extra_spans"] == difference["missing_spans"] == 0, difference
    assert workers_timeline["participation_count"] == baseline["participation_count"], difference


def _make_token(pg) -> str:
    """Create an analyst and an API token on the cluster; return the key."""
    key = os.urandom(20).hex()
    with psycopg.connect(pg.url) as conn:
        user_id = conn.execute(
            "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, "
            "email, is_staff, is_active, date_joined) VALUES ('!', false, 'loader', '', '', "
            "'', false, true, now()) RETURNING id"
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO accounts_apitoken (key, user_id, created_at) VALUES (%s, %s, now())",
            [key, user_id],
        )
        # Analysts may ingest; the group is made after each migrate.
        conn.execute(
            "INSERT INTO auth_user_groups (user_id, group_id) "
            "SELECT %s, id FROM auth_group WHERE name = 'Analysts'",
            [user_id],
        )
    return key


def _status(url: str):
    try:
        return requests.get(url, timeout=5).status_code
    except requests.RequestException as error:
        return type(error).__name__
