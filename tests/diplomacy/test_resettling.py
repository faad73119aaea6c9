"""Re-placing vague reports: the reports kept between batches, and placing every one again."""

from datetime import UTC, date, datetime
from io import StringIO

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from diplomacy.models import Evidence, Meeting, ResettleRequest
from diplomacy.services import person_merge, processing, reports_resettle_waiting, resettling
from diplomacy.services.reference import reference_current
from diplomacy.services.resettling import _read
from tests.factories import (
    ArticleFactory,
    EvidenceFactory,
    MeetingFactory,
    ParticipationFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db


def claims(*slugs: str, day: date | None = None) -> dict:
    claimed = {"participants": [{"slug": slug, "role": "", "side": ""} for slug in slugs]}
    if day is not None:
        claimed["date"] = {"start": str(day), "end": str(day), "precision": "day"}
    return {**claimed, "kind": "meeting", "status": "held"}


def test_it_reads_the_reports_again_once_a_merged_person_rewrote_their_claims():
    """Reports are kept by their sentences' rows, which a person merge rewrites in place:
    the merge changes the reference, and the reports are read again, naming the survivor."""
    kept, merged, other = (
        PersonFactory(name=name) for name in ("Wang Yi", "Wang Y.", "Kurt Campbell")
    )
    row = EvidenceFactory(claims=claims(merged.slug, other.slug))
    ids, merged_pk = (row.pk,), merged.pk

    before = _read([ids], reference_current())[ids]
    person_merge(merged, into=kept)
    after = _read([ids], reference_current())[ids]

    assert [report[4] for report in before] == [frozenset({merged_pk, other.pk})]
    assert [report[4] for report in after] == [frozenset({kept.pk, other.pk})]


def test_the_resettle_command_places_copied_in_vague_reports_by_the_rules():
    """Meetings copied in without the rules (an undated report kept on a record of its own
    while talks of the same pair three days before publication are known to the day) are
    placed as ingestion would place them, and a second run changes nothing."""
    sullivan, wang = PersonFactory(name="Jake Sullivan"), PersonFactory(name="Wang Yi")
    slugs = (sullivan.slug, wang.slug)
    talks = MeetingFactory(title="Talks", start_date=date(2024, 3, 7))
    vague = MeetingFactory(title="Talks, undated", start_date=None)
    Meeting.objects.filter(pk=vague.pk).update(date_precision="unknown")
    for meeting in (talks, vague):
        ParticipationFactory(meeting=meeting, person=sullivan, side="us")
        ParticipationFactory(meeting=meeting, person=wang, side="cn")
    readout, later = (
        ArticleFactory(published_at=datetime(2024, 3, day, 12, tzinfo=UTC), published_source=given)
        for day, given in ((8, "given"), (10, "given"))
    )
    EvidenceFactory(article=readout, meeting=talks, claims=claims(*slugs, day=date(2024, 3, 7)))
    undated = EvidenceFactory(article=later, meeting=vague, claims=claims(*slugs))

    first, second = StringIO(), StringIO()
    call_command("resettle", stdout=first)
    call_command("resettle", stdout=second)

    undated.refresh_from_db()
    assert undated.meeting_id == talks.pk
    assert not Evidence.objects.filter(meeting_id=vague.pk).exists()
    assert "2 meetings changed" in first.getvalue()
    assert "0 meetings changed" in second.getvalue()


def test_a_report_of_a_month_finds_a_visit_that_began_the_month_before():
    """A report is compared only with the meetings its dates can reach: that reach runs back
    by the longest visit, so "their talks in February" still joins talks of 29 January to
    2 February."""
    blinken, wang = PersonFactory(name="Antony Blinken"), PersonFactory(name="Wang Yi")
    slugs = (blinken.slug, wang.slug)
    visit = MeetingFactory(title="Visit", start_date=date(2024, 1, 29), end_date=date(2024, 2, 2))
    february = MeetingFactory(title="Talks in February", start_date=date(2024, 2, 1))
    Meeting.objects.filter(pk=february.pk).update(date_precision="month")
    for meeting in (visit, february):
        ParticipationFactory(meeting=meeting, person=blinken, side="us")
        ParticipationFactory(meeting=meeting, person=wang, side="cn")
    readout, later = (
        ArticleFactory(
            published_at=datetime(2024, 2, day, 12, tzinfo=UTC), published_source="given"
        )
        for day in (3, 20)
    )
    visit_claims = claims(*slugs)
    visit_claims["date"] = {"start": "2024-01-29", "end": "2024-02-02", "precision": "day"}
    month_claims = claims(*slugs)
    month_claims["date"] = {"start": "2024-02-01", "end": "2024-02-01", "precision": "month"}
    EvidenceFactory(article=readout, meeting=visit, claims=visit_claims)
    vague = EvidenceFactory(article=later, meeting=february, claims=month_claims)

    call_command("resettle", stdout=StringIO())

    vague.refresh_from_db()
    assert vague.meeting_id == visit.pk


@pytest.mark.django_db(transaction=True)
def test_a_worker_leaves_waiting_requests_to_the_one_placing_them():
    """While another transaction places requests, a second caller leaves at once, without
    waiting (the other takes them after its round); once the turn is free, it places them
    and takes them away."""
    ResettleRequest.objects.create(meeting_id=MeetingFactory().pk)
    with psycopg.connect(**connection.get_connection_params()) as other:
        other.execute("SELECT pg_advisory_xact_lock(%s)", [resettling._REQUESTS_LOCK])
        assert reports_resettle_waiting() == 0
        assert ResettleRequest.objects.count() == 1
    assert reports_resettle_waiting() == 0  # a meeting without vague reports: nothing moves
    assert not ResettleRequest.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_one_placing_takes_requests_left_to_it_as_it_found_none(monkeypatch):
    """A batch commits its request while the holder of the turn, having found none, has not
    let go yet: the batch's own caller finds the turn held and leaves, so the holder looks
    again once it has let go, and places the request."""
    meeting = MeetingFactory()
    look = resettling.requests_resettle
    rounds = []

    def a_batch_commits_as_none_is_found(lookups):
        moved = look(lookups)
        rounds.append(moved)
        if len(rounds) == 1:
            with psycopg.connect(**connection.get_connection_params()) as batch:
                batch.execute(
                    f"INSERT INTO {ResettleRequest._meta.db_table} (meeting_id, requested_at)"
                    " VALUES (%s, now()) ON CONFLICT DO NOTHING",
                    [meeting.pk],
                )
                batch.commit()
                # that batch's own caller: the turn is held, so it leaves the request
                assert not batch.execute(
                    "SELECT pg_try_advisory_xact_lock(%s)", [resettling._REQUESTS_LOCK]
                ).fetchone()[0]
        return moved

    monkeypatch.setattr(processing, "requests_resettle", a_batch_commits_as_none_is_found)

    assert reports_resettle_waiting() == 0  # a meeting without vague reports: nothing moves
    assert rounds == [None, set(), None]
    assert not ResettleRequest.objects.exists()


def test_a_request_made_again_while_it_is_placed_waits_for_the_next_round(monkeypatch):
    """A batch that changes a meeting again while its reports are being placed stamps the
    request anew: the round that read the old stamp leaves it for the next one."""
    first, second = MeetingFactory(), MeetingFactory()
    resettling.resettle_later({first.pk, second.pk})
    place = resettling.meetings_resettle

    def placed_while_a_batch_commits(touched, lookups, published_of):
        resettling.resettle_later({second.pk})
        return place(touched, lookups, published_of)

    monkeypatch.setattr(resettling, "meetings_resettle", placed_while_a_batch_commits)
    assert resettling.requests_resettle(reference_current()) == set()
    assert list(ResettleRequest.objects.values_list("meeting_id", flat=True)) == [second.pk]


def test_the_people_placed_together_are_taken_to_their_closure():
    """Seven undated reports of three people, each sharing two with the next: a change to the
    first pair places all seven together, however long the chain (it once stopped after four
    widenings, and placed the last reports by some of their group-mates only)."""
    people = [PersonFactory(name=f"Official {number}") for number in range(9)]
    for first in range(7):
        named = people[first : first + 3]
        meeting = MeetingFactory(start_date=None)
        for person in named:
            ParticipationFactory(meeting=meeting, person=person, side="us")
        EvidenceFactory(meeting=meeting, claims=claims(*(person.slug for person in named)))

    _, scope = resettling.pairs_resettle(
        {(people[0].pk, people[1].pk)}, reference_current(), resettling.stored_dates_only
    )

    assert (people[7].pk, people[8].pk) in scope
