"""Property tests: every GET operation in /api/schema/, and every curation operation as a
curator, fed generated input, keeps its schema."""

import re
from datetime import date

import pytest
import schemathesis
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.urls import reverse
from hypothesis import HealthCheck, settings
from rest_framework.throttling import SimpleRateThrottle
from schemathesis import checks

from accounts.models import ApiToken
from config.wsgi import application
from diplomacy.models import CurationEvent
from diplomacy.roles import CURATORS
from tests.factories import (
    EvidenceFactory,
    LocationFactory,
    MeetingFactory,
    MeetingTopicFactory,
    MentionFactory,
    OfficeFactory,
    ParticipationFactory,
    PersonFactory,
    TopicFactory,
    UserFactory,
)


@pytest.fixture
def api_rows():
    """A few rows of each kind, so generated slugs and ids sometimes hit something."""
    china = LocationFactory(name="China", kind="country", country="CN")
    beijing = LocationFactory(name="Beijing", kind="city", country="CN", parent=china)
    taiwan = TopicFactory(name="Taiwan", slug="taiwan")
    wang = PersonFactory(name="Wang Yi", country="CN")
    OfficeFactory(person=wang)
    for day in (1, 2, 3):
        meeting = MeetingFactory(location=beijing, start_date=date(2024, 4, day))
        ParticipationFactory(meeting=meeting, person=wang)
        MeetingTopicFactory(meeting=meeting, topic=taiwan)
        evidence = EvidenceFactory(meeting=meeting)
        MentionFactory(article=evidence.article, topic=taiwan)
    MeetingFactory(start_date=None, end_date=None, location=None)


@pytest.fixture(autouse=True)
def unthrottled(monkeypatch):
    # Hundreds of generated requests would trip the anonymous throttle.
    cache.clear()
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {"anon": "100000/minute", "user": "100000/minute", "ingest": "100000/minute"},
    )


# Loaded when the module is collected: the schema view needs no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


# The WSGI handler opens and closes database connections like a real server, which needs
# committed data rather than the rolled-back transaction of an ordinary test.
@pytest.mark.slow  # about 25 s: 11 operations, 25 examples each, a table flush after each
@pytest.mark.django_db(transaction=True)
@schema.include(method="GET").parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_it_answers_every_get_operation_within_its_schema(case, api_rows):
    """Generated GET requests never get a 5xx, and responses match the schema."""
    case.call_and_validate(
        # No 5xx, and status, content type, headers and body as documented. Left out: the
        # checks that schema-valid input is always accepted and invalid input always refused.
        # A well-typed slug naming nothing is a 400 by design, and paging parameters are
        # lenient by design (a nonsense page_size means the default).
        checks=[
            checks.not_a_server_error,
            checks.status_code_conformance,
            checks.content_type_conformance,
            checks.response_headers_conformance,
            checks.response_schema_conformance,
        ]
    )


# The curators' writes and reads: meeting edit, merge, split, history and undo, the review
# queue, and people's merge, aliases and confirmation.
CURATION_PATHS = (
    r"^/api/v1/meetings/\{id\}/$"
    r"|^/api/v1/meetings/\{id\}/(merge|split|history)/$"
    r"|^/api/v1/meetings/\{id\}/history/\{event_id\}/undo/$"
    r"|^/api/v1/review/$"
    r"|^/api/v1/people/\{slug\}/(merge|aliases|confirm)/$"
)


@pytest.fixture
def curator_token(api_rows):
    """A curator's token, and one action of each undoable kind for undo to find."""
    curator = UserFactory(username="schema-curator", roles=[CURATORS])
    meeting = MeetingFactory(start_date=date(2024, 5, 1))
    EvidenceFactory(meeting=meeting)
    for action, changes in (
        ("edit", {"title": [meeting.title, meeting.title], "locked": [[], ["title"]]}),
        ("confirm", {"review_state": ["auto", "auto"]}),
    ):
        CurationEvent.objects.create(action=action, actor=curator, meeting=meeting, changes=changes)
    PersonFactory(name="Discovered Official", country="CN", review_state="auto")
    return ApiToken.objects.create(user=curator).key


@pytest.mark.slow  # about a minute: every curation operation, 25 examples each
@pytest.mark.django_db(transaction=True)
@(
    schema.include(path_regex=CURATION_PATHS)
    .exclude(method="GET", path_regex=r"^/api/v1/meetings/\{id\}/$")
    .parametrize()
)
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_it_answers_every_curation_operation_of_a_curator_within_its_schema(case, curator_token):
    """Generated curation requests by a curator never get a 5xx, and responses match the
    schema; the same operations without credentials are refused, never a 5xx."""
    case.call_and_validate(
        headers={"Authorization": f"Token {curator_token}"},
        # As for GETs; a slug or id naming nothing is a 400 or 404 by design.
        checks=[
            checks.not_a_server_error,
            checks.status_code_conformance,
            checks.content_type_conformance,
            checks.response_schema_conformance,
        ],
    )
    if case.method.upper() in ("GET", "POST", "PATCH"):
        anonymous = case.call()
        assert anonymous.status_code in (401, 403, 404, 405), (case.path, anonymous.status_code)


def test_it_serves_an_openapi_3_schema(client):
    """/api/schema/ is OpenAPI 3 and documents every API route."""
    schema = client.get(reverse("schema"), {"format": "json"}).json()

    assert schema["openapi"].startswith("3.")
    assert {
        "/api/v1/meetings/",
        "/api/v1/meetings/{id}/",
        "/api/v1/articles/",
        "/api/v1/articles/{id}/",
        "/api/v1/people/",
        "/api/v1/people/{slug}/",
        "/api/v1/topics/",
        "/api/v1/topics/{slug}/",
        "/api/v1/topics/{slug}/activity/",
        "/api/v1/locations/",
        "/api/v1/locations/{slug}/",
        "/api/v1/meetings/{id}/history/{event_id}/undo/",
        "/api/v1/people/{slug}/aliases/",
        "/api/v1/people/{slug}/confirm/",
    } <= set(schema["paths"])


@pytest.mark.parametrize("route", ["swagger-ui", "redoc"])
def test_it_serves_the_api_docs_from_local_assets(client, route):
    """Swagger UI and Redoc load their scripts from this site's static files, so work offline."""
    response = client.get(reverse(route))

    html = response.content.decode()
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert response.status_code == 200
    assert scripts
    for script in scripts:
        if script.startswith(reverse(route) + "?script"):
            # Swagger UI's start-up script, served by the view itself (the CSP bans inline ones).
            assert client.get(script).status_code == 200
            continue
        assert script.startswith("/static/")
        assert finders.find(script.removeprefix("/static/")), script
