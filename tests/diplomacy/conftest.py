"""Fixtures shared by the diplomacy tests."""

from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command

from articles.services import article_ingest
from diplomacy.models import Meeting
from diplomacy.services import article_process_now

VIENNA = (
    "National Security Adviser Jake Sullivan met Foreign Minister Wang Yi in Vienna on "
    "Thursday, officials said after the talks."
)
MALTA = (
    "Jake Sullivan held talks with Wang Yi in Malta on Saturday, the White House said. "
    "The two discussed Taiwan."
)
BEIJING = (
    "Secretary of State Antony Blinken met Foreign Minister Qin Gang in Beijing on Sunday. "
    "They discussed fentanyl."
)


def ingest(body: str, day: date):
    outcome = article_ingest(
        body=body,
        published_at=datetime(day.year, day.month, day.day, tzinfo=UTC),
        announce=False,
    )
    article_process_now(outcome.article.pk)
    return outcome.article


@pytest.fixture
def readouts(db):
    """Three readouts: two reports of Sullivan–Wang talks that did not match, one of Blinken."""
    call_command("load_reference", gazetteer_only=True, verbosity=0)
    ingest(VIENNA, date(2023, 5, 12))
    ingest(MALTA, date(2023, 5, 14))
    ingest(BEIJING, date(2023, 6, 20))
    return {
        "vienna": Meeting.objects.get(location__slug="vienna"),
        "malta": Meeting.objects.get(location__slug="malta"),
        "beijing": Meeting.objects.get(location__slug="beijing"),
    }
