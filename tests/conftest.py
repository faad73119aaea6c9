"""Test set-up shared by the whole suite.

With DATABASE_URL unset the suite runs on the embedded PostgreSQL cluster, started here (and
stopped at the end when this run started it), the same code path `make run` uses.
"""

import os
from pathlib import Path

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
def _empty_cache():
    """Start every test with an empty cache: cached aggregates must not leak between tests."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
