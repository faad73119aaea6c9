"""The sign-in lockout holds across processes: gunicorn with two workers, per-process caches."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from accounts.auth import LOGIN_FAILURE_LIMIT
from tests.factories import UserFactory
from tests.stack import gunicorn, production_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def sign_in(base: str, username: str, password: str) -> int:
    """Sign in through the page as a browser would (CSRF cookie and token); return the status."""
    with requests.Session() as browser:
        page = browser.get(base + "/login/", timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        answer = browser.post(
            base + "/login/",
            {"username": username, "password": password, "csrfmiddlewaretoken": token},
            headers={"Referer": base + "/login/"},
            allow_redirects=False,
            timeout=10,
        )
        return answer.status_code


def test_it_locks_out_whichever_worker_the_attempts_reach():
    """Failures spread over two workers (each with its own memory cache) still add up."""
    UserFactory(username="analyst")
    # The per-process memory cache of a plain deployment: only shared storage can count here.
    env = production_env(CACHE_REDIS="false")
    with gunicorn(env, workers=2) as (base, _process), ThreadPoolExecutor(2) as pool:
        # Two at a time, so that both workers take attempts.
        failures = list(
            pool.map(lambda n: sign_in(base, f"guess{n}", "wrong"), range(LOGIN_FAILURE_LIMIT))
        )
        locked = sign_in(base, "analyst", PASSWORD)

    assert failures == [200] * LOGIN_FAILURE_LIMIT
    assert locked == 429
