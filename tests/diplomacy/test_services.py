"""Applying extractions to the timeline: matching, merging, evidence and re-runs."""

from datetime import UTC, date, datetime

import pytest
from django.db import OperationalError

from diplomacy import services
from diplomacy.extraction.types import (
    EvidenceSpan,
    Extraction,
    MeetingCandidate,
    Mention,
    NewPerson,
    ParticipantClaim,
)
from diplomacy.models import Evidence, Meeting, Person
from diplomacy.models import Mention as MentionRow
from tests.factories import (
    ArticleFactory,
    LocationFactory,
    MeetingFactory,
    ParticipationFactory,
    PersonFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db

ALL_FIELDS = ("date", "location", "participants", "topics", "status", "kind")


@pytest.fixture
def world():
    """Two officials, a few places with parents, and two topics."""
    region = LocationFactory(name="Southeast Asia", slug="southeast-asia", kind="region")
    thailand = LocationFactory(name="Thailand", slug="thailand", kind="country", parent=region)
    LocationFactory(name="Bangkok", slug="bangkok", kind="city", parent=thailand)
    LocationFactory(name="Vienna", slug="vienna", kind="city")
    LocationFactory(name="Malta", slug="malta", kind="country")
    TopicFactory(name="Fentanyl", slug="fentanyl")
    TopicFactory(name="Red Sea", slug="red-sea")
    return {
        "sullivan": PersonFactory(name="Jake Sullivan", slug="jake-sullivan", country="US"),
        "wang": PersonFactory(name="Wang Yi", slug="wang-yi", country="CN"),
    }


def candidate(**values) -> MeetingCandidate:
    """Return a Sullivan–Wang candidate whose one sentence supports every field."""
    values.setdefault("kind", "meeting")
    values.setdefault("status", "held")
    values.setdefault(
        "participants",
        [
            ParticipantClaim("jake-sullivan", "National Security Adviser", "us"),
            ParticipantClaim("wang-yi", "Foreign Minister", "cn"),
        ],
    )
    values.setdefault("evidence", [EvidenceSpan(0, 20, ALL_FIELDS, 0.8)])
    return MeetingCandidate(**values)


def extraction(*candidates, mentions=(), new_people=()) -> Extraction:
    return Extraction(
        version="test",
        published=None,
        published_source="given",
        meetings=list(candidates),
        mentions=list(mentions),
        new_people=list(new_people),
    )


def article(published: str, body: str = "Sullivan and Wang met for talks in the region."):
    day = date.fromisoformat(published)
    return ArticleFactory(
        body=body,
        published_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
        status="processing",
    )


def test_it_creates_a_meeting_with_every_field_backed_by_evidence(world):
    """A new report becomes a meeting whose fields all cite the sentence."""
    report = article("2024-01-27")
    found = candidate(
        start_date=date(2024, 1, 26),
        end_date=date(2024, 1, 27),
        date_precision="day",
        location="bangkok",
        topics=["fentanyl", "red-sea"],
    )
    services.article_apply_extraction(report, extraction(found))

    meeting = Meeting.objects.get()
    assert meeting.title == "Sullivan–Wang Yi talks in Bangkok"
    assert (meeting.start_date, meeting.end_date) == (date(2024, 1, 26), date(2024, 1, 27))
    assert meeting.location.slug == "bangkok"
    assert meeting.status == "held"
    assert {t.slug for t in meeting.topics.all()} == {"fentanyl", "red-sea"}
    assert {p.slug for p in meeting.participants.all()} == {"jake-sullivan", "wang-yi"}
    evidence = Evidence.objects.get()
    assert evidence.quote == report.body[0:20]
    assert set(evidence.fields) == set(ALL_FIELDS)
    assert evidence.claims["date"]["precision"] == "day"
    assert (meeting.article_count, meeting.evidence_count) == (1, 1)


def test_it_turns_a_planned_meeting_into_the_held_one_a_later_text_reports(world):
    """ "Talks in the coming days in Southeast Asia" then "two days of talks in Bangkok"."""
    first = article("2024-01-24", "Sullivan will meet Wang in the coming days somewhere.")
    planned = candidate(
        status="planned",
        start_date=date(2024, 1, 24),
        date_precision="unknown",
        location="southeast-asia",
        location_note="an undisclosed location in Southeast Asia",
        announced=False,
    )
    services.article_apply_extraction(first, extraction(planned))
    assert Meeting.objects.get().status == "planned"

    second = article("2024-01-27", "Sullivan and Wang held two days of talks in Bangkok.")
    held = candidate(
        start_date=date(2024, 1, 26),
        end_date=date(2024, 1, 27),
        date_precision="day",
        location="bangkok",
        topics=["red-sea"],
    )
    services.article_apply_extraction(second, extraction(held))

    meeting = Meeting.objects.get()
    assert meeting.status == "held"
    assert meeting.location.slug == "bangkok"
    assert (meeting.start_date, meeting.date_precision) == (date(2024, 1, 26), "day")
    assert meeting.announced is False
    assert meeting.article_count == 2
    assert meeting.first_reported_at.date() == date(2024, 1, 24)


def test_it_keeps_meetings_in_different_places_apart(world):
    """Secret talks "in Vienna and Malta" are two meetings."""
    report = article("2024-01-24")
    vienna = candidate(start_date=date(2023, 5, 1), date_precision="month", location="vienna")
    malta = candidate(start_date=date(2023, 9, 1), date_precision="month", location="malta")
    services.article_apply_extraction(report, extraction(vienna, malta))
    assert sorted(Meeting.objects.values_list("location__slug", flat=True)) == ["malta", "vienna"]


def test_it_gives_the_same_timeline_when_an_article_is_applied_twice(world):
    """Re-running extraction on an article changes nothing."""
    report = article("2024-01-27")
    found = candidate(start_date=date(2024, 1, 26), date_precision="day", location="bangkok")
    services.article_apply_extraction(report, extraction(found))
    before = list(Meeting.objects.values("id", "title", "start_date", "location", "article_count"))
    services.article_apply_extraction(report, extraction(found))
    after = list(Meeting.objects.values("id", "title", "start_date", "location", "article_count"))
    assert before == after
    assert Evidence.objects.count() == 1


def test_it_replaces_only_the_rerun_articles_evidence(world):
    """Another article's evidence survives a re-run, and a meeting it alone backed goes."""
    one = article("2024-01-27", "First report of the Bangkok talks.")
    two = article("2024-01-28", "Second report of the Bangkok talks.")
    found = candidate(start_date=date(2024, 1, 26), date_precision="day", location="bangkok")
    services.article_apply_extraction(one, extraction(found))
    services.article_apply_extraction(two, extraction(found))
    assert Meeting.objects.get().article_count == 2

    services.article_apply_extraction(two, extraction())  # the re-run finds nothing now
    meeting = Meeting.objects.get()
    assert meeting.article_count == 1
    assert set(Evidence.objects.values_list("article_id", flat=True)) == {one.pk}

    services.article_apply_extraction(one, extraction())
    assert not Meeting.objects.exists()


def test_it_never_overwrites_a_curated_meeting_and_flags_conflicts(world):
    """A confirmed meeting keeps its values; a contradicting report is flagged."""
    curated = MeetingFactory(
        title="Curated Bangkok talks",
        start_date=date(2024, 1, 26),
        end_date=date(2024, 1, 27),
        date_precision="day",
        review_state="confirmed",
        kind="meeting",
    )
    ParticipationFactory(meeting=curated, person=world["sullivan"], side="us")
    ParticipationFactory(meeting=curated, person=world["wang"], side="cn")
    report = article("2024-01-28")
    services.article_apply_extraction(
        report, extraction(candidate(start_date=date(2024, 1, 1), date_precision="month"))
    )
    curated.refresh_from_db()
    assert curated.title == "Curated Bangkok talks"
    assert curated.article_count == 1
    assert Evidence.objects.get().conflicting is False  # January 2024 agrees with 26–27 Jan

    services.article_apply_extraction(
        report, extraction(candidate(status="cancelled", start_date=date(2024, 1, 26)))
    )
    curated.refresh_from_db()
    assert curated.status == "held"
    assert Evidence.objects.get().conflicting is True


def test_it_records_an_official_missing_from_the_gazetteer_for_review(world):
    """ "Commerce Secretary Jane Roe" becomes a person awaiting confirmation."""
    report = article("2024-01-27")
    found = candidate(
        participants=[
            ParticipantClaim("jane-roe", "Commerce Secretary", "us"),
            ParticipantClaim("wang-yi", "Foreign Minister", "cn"),
        ]
    )
    new = NewPerson("jane-roe", "Jane Roe", "US", "Commerce Secretary", "commerce-secretary")
    services.article_apply_extraction(report, extraction(found, new_people=[new]))
    person = Person.objects.get(slug="jane-roe")
    assert person.review_state == "auto"
    assert Meeting.objects.get().participants.filter(pk=person.pk).exists()


def test_it_stores_mentions_linked_to_the_gazetteer(world):
    """Person and topic mentions keep their spans and links."""
    report = article("2024-01-27", "Sullivan raised fentanyl.")
    mentions = [
        Mention("person", "Sullivan", 0, 8, slug="jake-sullivan"),
        Mention("topic", "fentanyl", 16, 24, slug="fentanyl"),
    ]
    services.article_apply_extraction(report, extraction(mentions=mentions))
    stored = {m.kind: m for m in MentionRow.objects.filter(article=report)}
    assert stored["person"].person == world["sullivan"]
    assert stored["topic"].topic.slug == "fentanyl"
    assert report.body[stored["topic"].start : stored["topic"].end] == "fentanyl"


def test_it_marks_an_article_done_after_processing(world, monkeypatch):
    """article_process claims a pending article once and ends it done."""
    report = ArticleFactory(status="pending", published_at=datetime(2024, 1, 27, 12, tzinfo=UTC))
    monkeypatch.setattr(services, "extract", lambda text, published, gazetteer: extraction())
    assert services.article_process(report.pk) == "done"
    report.refresh_from_db()
    assert report.status == "done" and report.attempts == 1 and report.extractor_version == "test"
    assert services.article_process(report.pk) is None  # a duplicate message does nothing


def test_it_marks_an_article_failed_with_the_reason(world, monkeypatch):
    """An extraction error ends the article failed with a readable error."""
    report = ArticleFactory(status="pending")

    def broken(*args):
        raise ValueError("unreadable text")

    monkeypatch.setattr(services, "extract", broken)
    assert services.article_process(report.pk) == "failed"
    report.refresh_from_db()
    assert report.status == "failed" and "unreadable text" in report.error


def test_it_leaves_an_article_pending_when_the_database_drops(world, monkeypatch):
    """A transient database error returns the article to pending for a retry."""
    report = ArticleFactory(status="pending")

    def drop(*args):
        raise OperationalError("server closed the connection")

    monkeypatch.setattr(services, "extract", drop)
    with pytest.raises(OperationalError):
        services.article_process(report.pk)
    report.refresh_from_db()
    assert report.status == "pending"


def test_it_matches_an_undated_passing_mention_by_its_place(world):
    """A passing "they met at Woodside" finds the Woodside summit, not an earlier one."""
    woodside = LocationFactory(name="Woodside", slug="woodside", kind="city")
    filoli = LocationFactory(name="Filoli", slug="filoli", kind="venue", parent=woodside)
    biden = PersonFactory(name="Joe Biden", slug="joe-biden", country="US")
    xi = PersonFactory(name="Xi Jinping", slug="xi-jinping", country="CN")
    virtual = MeetingFactory(title="Virtual summit", kind="summit", start_date=date(2021, 11, 15))
    in_person = MeetingFactory(
        title="Filoli summit", kind="summit", start_date=date(2023, 11, 15), location=filoli
    )
    for meeting in (virtual, in_person):
        ParticipationFactory(meeting=meeting, person=biden, side="us")
        ParticipationFactory(meeting=meeting, person=xi, side="cn")
    undated = ArticleFactory(body="They met at Woodside.", published_at=None, status="processing")
    mention = candidate(
        kind="summit",
        location="woodside",
        participants=[
            ParticipantClaim("joe-biden", "President", "us"),
            ParticipantClaim("xi-jinping", "President", "cn"),
        ],
    )
    services.article_apply_extraction(undated, extraction(mention))
    assert Evidence.objects.get().meeting == in_person
