"""The data revision: read once per request, again after that request's own write."""

import json

import pytest
from django.db import connection, transaction
from django.http import JsonResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from diplomacy.revision import RequestRevisionMiddleware, data_revision, revision_bump

pytestmark = pytest.mark.django_db


def bump_elsewhere() -> int:
    """Move the revision on as another process would; return the new revision."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('diplomacy_data_revision')")
        return cursor.fetchone()[0]


def revision_reads(queries) -> int:
    return sum("last_value FROM diplomacy_data_revision" in query["sql"] for query in queries)


def serve(view):
    """Run `view` as a request through the middleware; return its response and how many
    times it read the revision."""
    with CaptureQueriesContext(connection) as queries:
        response = RequestRevisionMiddleware(view)(RequestFactory().get("/"))
    return response, revision_reads(queries.captured_queries)


def test_a_request_reads_the_revision_once_however_often_it_asks():
    first = data_revision()

    def asks_three_times(request):
        return JsonResponse({"seen": [data_revision(), data_revision(), data_revision()]})

    response, reads = serve(asks_three_times)

    assert reads == 1
    assert json.loads(response.content)["seen"] == [first] * 3


@pytest.mark.django_db(transaction=True)  # so that the request's own transaction commits
def test_a_request_reads_it_again_after_its_own_write():
    def writes_between(request):
        before = data_revision()
        with transaction.atomic():
            revision_bump()
            during = data_revision()
        return JsonResponse({"before": before, "during": during, "after": data_revision()})

    response, reads = serve(writes_between)
    seen = json.loads(response.content)

    assert seen["before"] < seen["during"] < seen["after"]  # the bump, then the one at commit
    assert reads == 3


def test_outside_a_request_every_read_sees_the_latest_revision():
    with CaptureQueriesContext(connection) as queries:
        data_revision()
        bumped = bump_elsewhere()
        second = data_revision()

    assert second == bumped
    assert revision_reads(queries.captured_queries) == 2


def test_the_next_request_reads_the_revision_anew():
    def seen(request):
        return JsonResponse({"revision": data_revision()})

    serve(seen)
    bumped = bump_elsewhere()
    second, reads = serve(seen)

    assert json.loads(second.content)["revision"] == bumped
    assert reads == 1
