"""Test set-up shared by the whole suite.

With DATABASE_URL unset the suite runs on the embedded PostgreSQL cluster, started here (and
stopped at the end when this run started it), the same code path `make run` uses.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path
from unittest.mock import patch

import pytest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Tasks queued by tests go to their own folder, never to a running demo's worker.
os.environ.setdefault(
    "CELERY_FILESYSTEM_DIR",
    str(Path(__file__).resolve().parent.parent / ".devdata" / "test-celery"),
)

_started_database = False


def pytest_configure(config):
    global _started_database
    from django.conf import settings

    if settings.EMBEDDED_DATABASE and not hasattr(config, "workerinput"):
        from devserver import devdb

        _started_database = devdb.start()


def pytest_unconfigure(config):
    if _started_database:
        from devserver import devdb

        devdb.stop()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Give each test process its own database, so that runs side by side never collide."""
    from django.conf import settings

    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"test_backchannel_{os.getpid()}"


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture(autouse=True)
def _quick_passwords(settings):
    """Hash passwords quickly: tests make users by the dozen, and the production hasher takes
    most of a second for each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Start every test with an empty cache: cached aggregates must not leak between tests."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_gazetteer():
    """Start every test without the process's compiled gazetteer: one built from another
    test's people would otherwise be used for up to its 30 seconds (a flush between
    transactional tests does not move the generation that would tell); nor with the reports
    resettling read from another test's evidence."""
    from diplomacy.gazetteer import gazetteer_forget
    from diplomacy.services.resettling import reports_forget

    gazetteer_forget()
    reports_forget()
    yield
    gazetteer_forget()
    reports_forget()


@dataclass
class Pipeline:
    """What the channels announced: articles sent to extraction, URLs queued for fetching."""

    extracted: list[int] = field(default_factory=list)
    fetch_queued: list[int] = field(default_factory=list)
    polls_queued: list[int] = field(default_factory=list)


@pytest.fixture
def pipeline():
    """Record announcements instead of extracting or queueing, so no test needs a worker.

    The diplomacy receiver is swapped for a recorder and the tasks' `delay` is replaced, so
    channel tests neither need the extractor nor leave messages on a broker. Modules opt in
    with `pytestmark`; other tests in this folder keep the real receivers.
    """
    from articles.signals import article_stored
    from articles.tasks import article_fetch, source_poll_task
    from diplomacy.receivers import extract_stored_article

    record = Pipeline()

    def recorder(sender, article_id, **kwargs):
        record.extracted.append(article_id)

    article_stored.disconnect(dispatch_uid="diplomacy.extract_stored_article")
    article_stored.connect(recorder, dispatch_uid="tests.articles.recorder", weak=False)
    try:
        with (
            patch.object(article_fetch, "delay", side_effect=record.fetch_queued.append),
            patch.object(source_poll_task, "delay", side_effect=record.polls_queued.append),
        ):
            yield record
    finally:
        article_stored.disconnect(dispatch_uid="tests.articles.recorder")
        article_stored.connect(
            extract_stored_article, dispatch_uid="diplomacy.extract_stored_article"
        )


@pytest.fixture
def real_extraction(pipeline):
    """Put the diplomacy receiver back, so that stored articles are really extracted."""
    from articles.signals import article_stored
    from diplomacy.receivers import extract_stored_article

    article_stored.disconnect(dispatch_uid="tests.articles.recorder")
    article_stored.connect(extract_stored_article, dispatch_uid="diplomacy.extract_stored_article")
