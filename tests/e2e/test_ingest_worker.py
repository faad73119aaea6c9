"""The ingest form end to end: a browser submits a readout, a real worker extracts it."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from tests.workers import process_env, start_worker

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]

READOUT = (
    "Treasury Secretary Janet Yellen met Vice Premier He Lifeng in Guangzhou on Friday for two "
    "days of talks on trade and the economy, the Treasury said.\n"
    "The meeting also touched on fentanyl and on support for Russia's war in Ukraine."
)


@pytest.fixture
def worker():
    """A Celery worker on the test database, reading this process's filesystem queue."""
    queue = Path(settings.CELERY_FILESYSTEM_DIR)
    shutil.rmtree(queue / "queue", ignore_errors=True)  # messages left by earlier tests
    (queue / "queue").mkdir(parents=True, exist_ok=True)
    process = start_worker(process_env(CELERY_FILESYSTEM_DIR=str(queue)), output=subprocess.DEVNULL)
    yield process
    process.terminate()
    process.wait(timeout=30)


def test_it_ingests_through_the_form_and_shows_the_new_meeting(
    live_server, signed_in_page, worker, screenshot
):
    """Pasting a readout ends, through the worker, with its meeting on the timeline."""
    call_command("load_reference", gazetteer_only=True, verbosity=0)
    page = signed_in_page
    page.goto(live_server.url + reverse("ingest"))
    page.get_by_label("Text").fill(READOUT)
    page.get_by_label("Publication date").fill("2024-04-06")
    page.get_by_label("Source").fill("Harbour Daily")
    page.get_by_role("button", name="Ingest").click()

    expect(page.locator("[data-status=done]")).to_be_visible(timeout=60_000)
    screenshot(page, "ingest-done-with-worker")
    page.get_by_role("link", name="Yellen").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Guangzhou")

    page.goto(live_server.url + reverse("diplomacy:timeline"))
    expect(page.locator(".meeting-card", has_text="Guangzhou")).to_be_visible()
