"""Webhooks through a real Celery worker to a real HTTP endpoint on 127.0.0.1.

The test process writes rows and queues tasks through `manage.py` subprocesses (so that
they reach the worker's broker); the worker matches, signs, posts, retries and pauses.
"""

import hashlib
import hmac
import json
import subprocess
import sys
import time

import pytest
from django.core.management import call_command

from alerts.models import DeliveryAttempt, Watch, WatchEvent
from articles.models import Article
from tests.alerts.conftest import SECRET
from tests.alerts.receiver import Receiver
from tests.factories import MeetingFactory, UserFactory
from tests.workers import BASE_DIR, process_env, start_worker

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

READOUT = (
    "Secretary of State Antony Blinken met Chinese Foreign Minister Qin Gang in Beijing on "
    "Sunday, the two sides said, in talks that covered fentanyl and Taiwan."
)


@pytest.fixture
def worker_env(tmp_path):
    return process_env(
        CELERY_FILESYSTEM_DIR=str(tmp_path / "broker"),
        WEBHOOK_RETRY_DELAY="0.2",
        WEBHOOK_TIMEOUT="1",
        WEBHOOK_MAX_RETRIES="6",
        WEBHOOK_PAUSE_AFTER_FAILURES="3",
    )


@pytest.fixture
def worker(worker_env):
    process = start_worker(worker_env)
    yield process
    process.terminate()
    process.communicate(timeout=30)


@pytest.fixture
def receiver():
    endpoint = Receiver().start()
    yield endpoint
    endpoint.stop()


def queue(env, code: str) -> None:
    """Run Python in a `manage.py shell` with the worker's settings (its broker)."""
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


def wait_for(condition, seconds: float = 60.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.2)
    raise AssertionError("timed out waiting")


def webhook_watch(url: str, **filters) -> Watch:
    return Watch.objects.create(
        user=UserFactory(username="owner"),
        name="Watched",
        filters=filters,
        delivery="webhook",
        webhook_url=url,
        webhook_secret=SECRET,
    )


def ingest(env, tmp_path, text: str = READOUT) -> None:
    path = tmp_path / "readout.txt"
    path.write_text(text)
    command = [sys.executable, "manage.py", "ingest", str(path), "--published", "2023-06-19"]
    subprocess.run(command, cwd=BASE_DIR, env=env, check=True, capture_output=True, timeout=120)


def test_it_signs_retries_after_a_500_and_delivers_a_new_meeting(
    tmp_path, worker_env, worker, receiver
):
    """Ingestion → worker → watch matched → 500 → retried → 200; the signature verifies."""
    call_command("load_reference", gazetteer_only=True, verbosity=0)
    receiver.statuses = [500, 200]
    watch = webhook_watch(receiver.url, participant=["antony-blinken"])
    ingest(worker_env, tmp_path)
    event = wait_for(lambda: WatchEvent.objects.filter(state="delivered").first())
    assert len(receiver.requests) == 2
    first, second = receiver.requests
    assert first.body == second.body  # the retry sends the same event
    expected = hmac.new(SECRET.encode(), second.body, hashlib.sha256).hexdigest()
    assert second.headers["X-Backchannel-Signature"] == f"sha256={expected}"
    assert second.headers["X-Backchannel-Timestamp"].isdigit()
    body = json.loads(second.body)
    assert body["event"] == "meeting.new" and body["watch"] == watch.pk
    assert body["idempotency_key"] == event.idempotency_key
    assert body["meeting"]["api_url"].endswith(f"/api/v1/meetings/{body['meeting']['id']}/")
    log = list(DeliveryAttempt.objects.order_by("at").values_list("status_code", "succeeded"))
    assert log == [(500, False), (200, True)]
    watch.refresh_from_db()
    assert watch.consecutive_failures == 0 and watch.paused_at is None


def test_it_never_delivers_the_same_event_twice(tmp_path, worker_env, worker, receiver):
    """The match runs twice and the delivery is queued three times: one request arrives."""
    meeting = MeetingFactory(title="Talks on trade")
    webhook_watch(receiver.url)
    queue(
        worker_env,
        "from alerts.tasks import meetings_match_task as match\n"
        f"match.delay([{meeting.pk}], [])\nmatch.delay([{meeting.pk}], [])",
    )
    event = wait_for(lambda: WatchEvent.objects.filter(state="delivered").first())
    queue(
        worker_env,
        "from alerts.tasks import webhook_deliver_task as deliver\n"
        f"deliver.delay({event.pk})\ndeliver.delay({event.pk})",
    )
    time.sleep(3)  # time for the extra messages to be handled (and refused)
    assert len(receiver.requests) == 1
    assert WatchEvent.objects.count() == 1
    assert DeliveryAttempt.objects.count() == 1


def test_it_pauses_a_watch_whose_endpoint_keeps_failing_and_sends_on_resume(
    tmp_path, worker_env, worker, receiver
):
    """After WEBHOOK_PAUSE_AFTER_FAILURES (3) failures in a row the watch pauses, saying why."""
    receiver.statuses = [503]
    meeting = MeetingFactory(title="Talks on climate")
    watch = webhook_watch(receiver.url)
    queue(
        worker_env,
        f"from alerts.tasks import meetings_match_task as m; m.delay([{meeting.pk}], [])",
    )
    wait_for(lambda: Watch.objects.filter(pk=watch.pk, paused_at__isnull=False).exists())
    time.sleep(2)  # no attempt follows the pause
    watch.refresh_from_db()
    assert "3 failed deliveries in a row" in watch.paused_reason and "503" in watch.paused_reason
    assert len(receiver.requests) == 3
    assert DeliveryAttempt.objects.filter(succeeded=False).count() == 3
    assert WatchEvent.objects.get().state == "pending"  # sent when the owner resumes

    receiver.statuses = [200]
    queue(
        worker_env,
        "from alerts.models import Watch\nfrom alerts.services import watch_resume\n"
        f"watch_resume(Watch.objects.get(pk={watch.pk}))",
    )
    wait_for(lambda: WatchEvent.objects.filter(state="delivered").exists())
    watch.refresh_from_db()
    assert watch.paused_at is None and watch.consecutive_failures == 0
    assert len(receiver.requests) == 4


def test_it_cuts_a_hanging_endpoint_and_ingestion_goes_on(tmp_path, worker_env, worker, receiver):
    """An endpoint that never answers in time is cut at WEBHOOK_TIMEOUT; articles still finish."""
    call_command("load_reference", gazetteer_only=True, verbosity=0)
    receiver.delay = 30
    webhook_watch(receiver.url)
    stuck = MeetingFactory(title="Talks on debt")
    queue(
        worker_env, f"from alerts.tasks import meetings_match_task as m; m.delay([{stuck.pk}], [])"
    )
    wait_for(lambda: DeliveryAttempt.objects.exists(), 30)
    started = time.monotonic()
    ingest(worker_env, tmp_path)
    article = Article.objects.get()
    wait_for(lambda: Article.objects.filter(pk=article.pk, status="done").exists(), 30)
    assert time.monotonic() - started < 20
    attempt = DeliveryAttempt.objects.order_by("at").first()
    assert attempt.status_code is None and "No answer within 1 s" in attempt.error
    assert attempt.duration_ms < 5000
