"""The whole pipeline through a real Celery worker: ingest command → broker → worker → meetings.

Each test runs the `ingest` command and a worker as separate processes against the test
database, once on kombu's filesystem transport (the embedded default) and once on Redis.
"""

import os
import subprocess
import sys
import time

import pytest
import redis
from django.core.management import call_command

from articles.models import Article
from diplomacy.models import Evidence, Meeting
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
