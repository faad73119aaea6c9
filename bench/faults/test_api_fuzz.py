"""Schemathesis against /api/schema/: thousands of generated requests, never a 5xx.

Every operation of the OpenAPI schema (the GET lists, details and actions, and the article
submission) is called with FAULTS_API_EXAMPLES (400) generated requests each, authenticated
with an analyst's token, and every response is checked against the schema: status codes,
content types, headers and bodies. tests/test_schema.py is the quick version of this run.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
import schemathesis
from django.core.cache import cache
from hypothesis import HealthCheck, settings
from rest_framework.throttling import SimpleRateThrottle
from schemathesis import checks

from accounts.models import ApiToken
from config.wsgi import application
from diplomacy.roles import ANALYSTS
from tests.factories import (
    UserFactory,
)

# The same few rows as the quick schema test, so generated ids and slugs sometimes hit.
from tests.test_schema import api_rows  # noqa: F401  (a fixture, used by name)

EXAMPLES = int(os.environ.get("FAULTS_API_EXAMPLES", "400"))
TALLY: Counter = Counter()

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
EXCLUDED_CHECKS = [
    # A well-typed slug or id that names nothing is a 400 here by design.
    checks.positive_data_acceptance,
    # An empty filter value means no filter (django-filter); the schema cannot say so.
    checks.negative_data_rejection,
    # Every request carries a valid token, which this check takes for generated credentials;
    # refusing anonymous writes is tested in tests/test_security.py.
    checks.ignored_auth,
    # Known: an undeclared method with ?format=csv answers 404, not 405 (reported).
    checks.unsupported_method,
]


@pytest.fixture(scope="module", autouse=True)
def report(run_figures):
    yield
    classes = Counter(f"{str(status)[0]}xx" for status in TALLY.elements())
    run_figures["api fuzz (schemathesis)"] = {
        "cases run": sum(TALLY.values()),
        "answers by class": dict(sorted(classes.items())),
        "answers by status": dict(sorted(TALLY.items())),
    }


@pytest.fixture
def token(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # An analyst: submissions are really stored, not refused for the role.
    return ApiToken.objects.create(user=UserFactory(username="fuzzer", roles=[ANALYSTS])).key


@pytest.fixture(autouse=True)
def unthrottled(monkeypatch):
    # Thousands of generated requests would trip every throttle.
    cache.clear()
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {"anon": "10000000/minute", "user": "10000000/minute", "ingest": "10000000/minute"},
    )


# The WSGI handler opens and closes connections like a real server: committed data is needed.
@pytest.mark.usefixtures("api_rows")
@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_it_answers_every_generated_request_within_its_schema(case, token):
    """No generated request gets a 5xx, and every response matches the schema."""
    response = case.call(headers={"Authorization": f"Token {token}"})
    TALLY[response.status_code] += 1
    case.validate_response(response, excluded_checks=EXCLUDED_CHECKS)
