"""The whole pipeline through a real Celery worker: ingest command → broker → worker → meetings.

Each test runs the `ingest` command and a worker as separate processes against the test
database, once on kombu's filesystem transport (the embedded default) and once on Redis.
"""

import os
import subprocess
import sys
import time
from datetime import date

import pytest
import redis
from django.core.management import call_command

from articles.models import Article
from diplomacy.models import Evidence, Meeting, ResettleRequest
from tests.workers import BASE_DIR, process_env, start_worker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
READOUT = (
    "Secretary of State Antony Blinken met Chinese Foreign Minister Qin Gang in Beijing on "
    "Sunday, the two sides said, in talks that covered fentanyl and Taiwan.\n"
    "The meeting was the first visit to China by a secretary of state in five years."
)


def run_pipeline(tmp_path, env) -> Article:
    call_command("load_reference", gazetteer_only=True, verbosity=0)
    text = tmp_path / "readout.txt"
    text.write_text(READOUT)
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "ingest",
            str(text),
            "--published",
            "2023-06-19",
            "--source",
            "Harbour Daily",
        ],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    article = Article.objects.get()
    assert article.status == "pending"  # queued, not processed in the command
    worker = start_worker(env)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            article.refresh_from_db()
            if article.status in ("done", "failed"):
                break
            time.sleep(0.5)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode(errors="replace")
    assert article.status == "done", f"article {article.status}: {article.error}\n{output}"
    return article


def assert_meeting_found(article):
    meeting = Meeting.objects.get(participations__person__slug="antony-blinken")
    assert {p.slug for p in meeting.participants.all()} >= {"antony-blinken", "qin-gang"}
    assert meeting.location.slug == "beijing"
    assert Evidence.objects.filter(meeting=meeting, article=article).exists()


def test_it_processes_an_article_through_a_worker_on_the_filesystem_broker(tmp_path):
    """The embedded default broker carries the task from the command to the worker."""
    env = process_env(CELERY_FILESYSTEM_DIR=str(tmp_path / "broker"))
    assert_meeting_found(run_pipeline(tmp_path, env))


def test_it_processes_an_article_through_a_worker_on_redis(tmp_path):
    """Production's Redis broker carries the task from the command to the worker."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    env = process_env(CELERY_BROKER_URL=REDIS_URL)
    assert_meeting_found(run_pipeline(tmp_path, env))


def test_a_worker_places_vague_reports_again_once_the_batch_committed(tmp_path):
    """The talks of 1 March, a report published on the 10th of talks "this month", and the
    talks of 4 March reach the worker together: the report first joins the talks of 1 March,
    the only ones known when it is matched, then the task the batch queued moves it to the
    talks of 4 March, the closest to the week it speaks of, as if the texts came in any
    other order."""
    call_command("load_reference", gazetteer_only=True, verbosity=0)
    env = process_env(CELERY_FILESYSTEM_DIR=str(tmp_path / "broker"))
    texts = (
        (
            "2023-03-02",
            "Secretary of State Antony Blinken met Chinese Foreign Minister "
            "Qin Gang in Beijing on March 1, 2023.",
        ),
        (
            "2023-03-10",
            "In remarks to reporters, Blinken said his meeting with Qin Gang in "
            "Beijing had helped to steady ties.",
        ),
        (
            "2023-03-05",
            "Secretary of State Antony Blinken met Chinese Foreign Minister "
            "Qin Gang in Beijing on March 4, 2023.",
        ),
    )
    for number, (published, body) in enumerate(texts):
        path = tmp_path / f"text-{number}.txt"
        path.write_text(body)
        subprocess.run(
            [sys.executable, "manage.py", "ingest", str(path), "--published", published],
            cwd=BASE_DIR,
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
    _first, remarks, fourth = Article.objects.order_by("pk")
    worker = start_worker(env)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            settled = not ResettleRequest.objects.exists()
            if settled and not Article.objects.exclude(status="done").exists():
                placed = Evidence.objects.filter(article=remarks).first()
                if placed and placed.meeting.start_date == date(2023, 3, 4):
                    break
            time.sleep(0.5)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode(errors="replace")
    (meeting,) = {row.meeting for row in Evidence.objects.filter(article=remarks)}
    assert meeting.start_date == date(2023, 3, 4), output[-3000:]
    assert meeting == Evidence.objects.filter(article=fourth).first().meeting
    assert not ResettleRequest.objects.exists()
