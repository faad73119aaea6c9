"""What breaks behind a transaction-mode pooler when session state leaks, checked through a
real PgBouncer that hands consecutive transactions to different server connections.

tests/test_pgbouncer.py runs this module with DATABASE_URL pointing at that PgBouncer and
PGBOUNCER_TEST=1. Outside transactions Django would open a server-side cursor WITH HOLD for
`.iterator()` (the CSV export, `reprocess`) and fetch from it in later transactions, which land
on another server connection: DATABASE_POOLER=transaction turns those cursors off.
"""

import csv
import io
import os

import pytest
from django.db import connection
from django.urls import reverse

from diplomacy.models import Meeting
from tests.factories import MeetingFactory

pytestmark = [
    pytest.mark.skipif(
        os.environ.get("PGBOUNCER_TEST") != "1",
        reason="run by tests/test_pgbouncer.py, which starts PgBouncer",
    ),
    pytest.mark.django_db(transaction=True),
]


def test_it_iterates_outside_a_transaction(api_client):
    """`.iterator()` in autocommit and a streamed CSV export return every row."""
    MeetingFactory.create_batch(5)
    assert connection.get_autocommit()
    assert len(list(Meeting.objects.order_by("pk").iterator(chunk_size=2))) == 5

    response = api_client.get(reverse("api:meeting-list"), {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 5


def test_it_survives_many_short_transactions(api_client):
    """Consecutive requests and writes, each its own transaction on any server connection."""
    meetings = MeetingFactory.create_batch(3)
    for meeting in meetings:
        response = api_client.get(reverse("api:meeting-detail", args=[meeting.pk]))
        assert response.status_code == 200
    assert Meeting.objects.count() == 3
