"""Applying extractions to the timeline: matching, merging, evidence and re-runs."""

import threading
import time
from datetime import UTC, date, datetime, timedelta
from itertools import permutations, product

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from articles.models import Article
from diplomacy import merging, services
from diplomacy.extraction.types import (
    EvidenceSpan,
    Extraction,
    MeetingCandidate,
    Mention,
    NewPerson,
    ParticipantClaim,
)
from diplomacy.models import Evidence, Location, Meeting, Participation, Person
from diplomacy.models import Mention as MentionRow
from diplomacy.revision import data_revision
from diplomacy.selectors import ingestion
from diplomacy.services import evidence, matching, processing
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


def test_it_gives_a_new_meeting_the_first_free_numbered_slug_in_one_query():
    """Undated records of one pair share a title: the next takes the lowest free number,
    found with one query however many there are."""
    for slug in ("sullivan-wang-talks", "sullivan-wang-talks-2", "sullivan-wang-talks-4"):
        MeetingFactory(slug=slug)
    MeetingFactory(slug="sullivan-wang-talks-2024-01-26")
    with CaptureQueriesContext(connection) as queries:
        slug = matching.meeting_free_slug("Sullivan - Wang talks")
    assert slug == "sullivan-wang-talks-3"
    assert len(queries) == 1


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
    """Mentions keep their spans, text, links and values; a span found twice is stored once."""
    report = article("2024-01-27", "Sullivan raised fentanyl in Vienna on January 26.")
    mentions = [
        Mention("person", "Sullivan", 0, 8, slug="jake-sullivan"),
        Mention("topic", "fentanyl", 16, 24, slug="fentanyl"),
        Mention("location", "Vienna", 28, 34, slug="vienna"),
        Mention("location", "Vienna", 28, 34, slug="vienna"),
        Mention("date", "January 26", 38, 48, value="2024-01-26"),
    ]
    services.article_apply_extraction(report, extraction(mentions=mentions))
    stored = {m.kind: m for m in MentionRow.objects.filter(article=report)}
    assert stored["person"].person == world["sullivan"]
    assert stored["topic"].topic.slug == "fentanyl"
    assert report.body[stored["topic"].start : stored["topic"].end] == "fentanyl"
    columns = [f.attname for f in MentionRow._meta.concrete_fields if not f.primary_key]
    rows = MentionRow.objects.filter(article=report).order_by("start").values_list(*columns)
    vienna = Location.objects.get(slug="vienna").pk
    topic = stored["topic"].topic_id
    assert [dict(zip(columns, row, strict=True)) for row in rows] == [
        {
            "article_id": report.pk,
            "kind": "person",
            "text": "Sullivan",
            "start": 0,
            "end": 8,
            "person_id": world["sullivan"].pk,
            "location_id": None,
            "topic_id": None,
            "value": "",
        },
        {
            "article_id": report.pk,
            "kind": "topic",
            "text": "fentanyl",
            "start": 16,
            "end": 24,
            "person_id": None,
            "location_id": None,
            "topic_id": topic,
            "value": "",
        },
        {
            "article_id": report.pk,
            "kind": "location",
            "text": "Vienna",
            "start": 28,
            "end": 34,
            "person_id": None,
            "location_id": vienna,
            "topic_id": None,
            "value": "",
        },
        {
            "article_id": report.pk,
            "kind": "date",
            "text": "January 26",
            "start": 38,
            "end": 48,
            "person_id": None,
            "location_id": None,
            "topic_id": None,
            "value": "2024-01-26",
        },
    ]


def test_it_marks_an_article_done_after_processing(world, monkeypatch):
    """article_process claims a pending article once and ends it done."""
    report = ArticleFactory(status="pending", published_at=datetime(2024, 1, 27, 12, tzinfo=UTC))
    monkeypatch.setattr(processing, "extract", lambda text, published, gazetteer: extraction())
    assert services.article_process(report.pk) == "done"
    report.refresh_from_db()
    assert report.status == "done" and report.attempts == 1 and report.extractor_version == "test"
    assert services.article_process(report.pk) is None  # a duplicate message does nothing


def test_it_marks_an_article_failed_with_the_reason(world, monkeypatch):
    """An extraction error ends the article failed with a readable error."""
    report = ArticleFactory(status="pending")

    def broken(*args):
        raise ValueError("unreadable text")

    monkeypatch.setattr(processing, "extract", broken)
    assert services.article_process(report.pk) == "failed"
    report.refresh_from_db()
    assert report.status == "failed" and "unreadable text" in report.error


def test_it_leaves_an_article_pending_when_the_database_drops(world, monkeypatch):
    """A transient database error returns the article to pending for a retry."""
    report = ArticleFactory(status="pending")

    def drop(*args):
        raise OperationalError("server closed the connection")

    monkeypatch.setattr(processing, "extract", drop)
    with pytest.raises(OperationalError):
        services.article_process(report.pk)
    report.refresh_from_db()
    assert report.status == "pending"


def report_undated_woodside_summit() -> None:
    """Apply an undated article saying only that Biden and Xi met at Woodside."""
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
    report_undated_woodside_summit()
    assert Evidence.objects.get().meeting == in_person


def biden_xi_summits(*days, location=None) -> list:
    """Record a Biden–Xi summit on each day, all in `location` when given."""
    biden = PersonFactory(name="Joe Biden", slug="joe-biden", country="US")
    xi = PersonFactory(name="Xi Jinping", slug="xi-jinping", country="CN")
    summits = []
    for number, day in enumerate(days):
        summit = MeetingFactory(
            title=f"Summit {number}", kind="summit", start_date=day, location=location
        )
        ParticipationFactory(meeting=summit, person=biden, side="us")
        ParticipationFactory(meeting=summit, person=xi, side="cn")
        summits.append(summit)
    return summits


def report_summit_by_name(published: str, location: str | None = None) -> None:
    """Apply an article that names a Biden–Xi summit ("the Woodside summit") without a date."""
    report = article(published, "Officials recalled the summit of the two presidents.")
    report.published_source = "given"
    mention = candidate(
        kind="summit",
        location=location,
        participants=[
            ParticipantClaim("joe-biden", "President", "us"),
            ParticipantClaim("xi-jinping", "President", "cn"),
        ],
    )
    services.article_apply_extraction(report, extraction(mention))


def test_it_matches_candidates_of_one_shape_by_one_prepared_statement(world):
    """Matching plans a statement shape once per connection: two reports of the same kind,
    people and precision on other days reuse it, and both find their meetings."""
    for number, day in enumerate((date(2024, 1, 26), date(2024, 3, 8), date(2024, 1, 26))):
        published = (day + timedelta(days=1 + number)).isoformat()
        report = article(published, f"Sullivan and Wang met ({number}).")
        services.article_apply_extraction(report, extraction(candidate(start_date=day)))

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert sum("CROSS JOIN LATERAL" in statement for statement in prepared) == 1
    assert sorted(Meeting.objects.values_list("start_date", "article_count")) == [
        (date(2024, 1, 26), 2),
        (date(2024, 3, 8), 1),
    ]


def test_it_adds_an_undated_report_to_a_meeting_long_before_publication(world):
    """A report a year after the summit that names it joins it instead of starting a record."""
    woodside = LocationFactory(name="Woodside", slug="woodside", kind="city")
    (summit,) = biden_xi_summits(date(2023, 11, 15), location=woodside)
    report_summit_by_name("2025-01-10", "woodside")
    assert Evidence.objects.get().meeting == summit
    assert Meeting.objects.count() == 1


def test_it_adds_an_undated_report_to_the_closest_meeting_before_publication(world):
    """Of the pair's summits, the last one before the report is the one it recalls."""
    _older, latest, _planned = biden_xi_summits(
        date(2021, 11, 15), date(2023, 11, 15), date(2026, 3, 1)
    )
    report_summit_by_name("2024-09-02")
    assert Evidence.objects.get().meeting == latest


def test_it_records_an_undated_report_apart_from_two_meetings_it_cannot_tell_apart(world):
    """Two summits as close to publication and as agreed on place: a new record, no guess."""
    biden_xi_summits(date(2024, 5, 1), date(2024, 5, 1))
    report_summit_by_name("2024-09-02")
    assert Meeting.objects.count() == 3
    assert Evidence.objects.get().meeting.start_date is None


def test_it_gathers_a_vague_report_on_the_meeting_known_to_the_day(world):
    """ "Talks in January" join the 26 January talks, not a record only known by its month."""
    month = MeetingFactory(title="January talks", start_date=date(2024, 1, 1))
    month.date_precision = "month"
    month.save()
    day = MeetingFactory(title="Talks on the 26th", start_date=date(2024, 1, 26))
    for meeting in (month, day):
        ParticipationFactory(meeting=meeting, person=world["sullivan"], side="us")
        ParticipationFactory(meeting=meeting, person=world["wang"], side="cn")
    report = article("2024-02-02", "Sullivan and Wang held talks in January.")
    january = candidate(start_date=date(2024, 1, 1), date_precision="month")
    services.article_apply_extraction(report, extraction(january))
    assert Evidence.objects.get().meeting == day


def test_it_merges_a_day_report_into_the_month_it_falls_in(world):
    """ "Talks in May" then "talks on 20 May" are one meeting: a month spans its days."""
    first = article("2023-04-20", "Sullivan and Wang will meet in May.")
    month = candidate(status="planned", start_date=date(2023, 5, 1), date_precision="month")
    services.article_apply_extraction(first, extraction(month))
    assert Meeting.objects.get().end_date == date(2023, 5, 1)  # a month stored by its first day

    second = article("2023-05-21", "Sullivan and Wang met on 20 May.")
    services.article_apply_extraction(
        second, extraction(candidate(start_date=date(2023, 5, 20), date_precision="day"))
    )
    meeting = Meeting.objects.get()
    assert (meeting.start_date, meeting.date_precision, meeting.status) == (
        date(2023, 5, 20),
        "day",
        "held",
    )
    assert meeting.article_count == 2


def test_it_finds_the_meeting_of_a_busy_pair_beyond_the_newest_two_hundred(world):
    """An undated "they met at Woodside" finds the Woodside summit among 230 summits."""
    woodside = LocationFactory(name="Woodside", slug="woodside", kind="city")
    biden = PersonFactory(name="Joe Biden", slug="joe-biden", country="US")
    xi = PersonFactory(name="Xi Jinping", slug="xi-jinping", country="CN")
    summits = [
        Meeting(title=f"Summit {n}", slug=f"summit-{n}", kind="summit", start_date=day)
        for n, day in enumerate(date(2000, 1, 1) + timedelta(days=30 * n) for n in range(230))
    ]
    summits[0].location = woodside  # the oldest, so never among the newest 200
    Meeting.objects.bulk_create(summits)
    Participation.objects.bulk_create(
        Participation(meeting=meeting, person=person, side=person.country.lower())
        for meeting in summits
        for person in (biden, xi)
    )
    report_undated_woodside_summit()
    assert Evidence.objects.get().meeting_id == summits[0].pk


def test_it_compares_exactly_the_meetings_the_merge_rules_allow(world, monkeypatch):
    """The SQL filters and order of the match candidates are the merge rules themselves."""
    monkeypatch.setattr(ingestion, "MATCH_CANDIDATES", 10_000)
    reference = services.reference_current()
    places = {slug: ref.pk for slug, ref in reference.locations.items()}
    spans = [(None, None, "unknown")]
    for start in (date(2023, 1, 31), date(2023, 5, 1), date(2023, 5, 20), date(2023, 12, 30)):
        for end in (None, start, start + timedelta(days=5)):
            spans += [(start, end, precision) for precision in ("day", "month", "year", "unknown")]
    meetings = [
        Meeting(
            title=f"Talks {number}",
            slug=f"talks-{number}",
            kind=kind,
            start_date=start,
            end_date=end,
            date_precision=precision,
            location_id=places.get(place),
        )
        for number, ((start, end, precision), kind, place) in enumerate(
            product(spans, ("meeting", "call"), (None, "bangkok", "vienna", "southeast-asia"))
        )
    ]
    Meeting.objects.bulk_create(meetings)
    Participation.objects.bulk_create(
        Participation(meeting=meeting, person=person)
        for meeting in meetings
        for person in (world["sullivan"], world["wang"])
    )
    claims = [
        (None, None, "unknown"),
        (date(2023, 5, 20), None, "day"),
        (date(2023, 5, 1), date(2023, 5, 31), "month"),
        (date(2023, 1, 1), date(2023, 12, 31), "year"),
        (date(2023, 5, 10), None, "unknown"),
    ]
    # Every date claim against every publication and status; then kinds and places.
    cases = [
        (*case, "meeting", None)
        for case in product(claims, (None, date(2023, 5, 12), date(2024, 2, 1)), STATUSES)
    ]
    cases += [
        (span, date(2023, 5, 21), "held", kind, place)
        for span, kind, place in product(claims[1:3], KINDS, (None, "bangkok", "thailand"))
    ]
    for (start, end, precision), published, status, kind, place in cases:
        found = candidate(
            kind=kind,
            status=status,
            start_date=start,
            end_date=end,
            date_precision=precision,
            location=place,
        )
        claim = merging.DateClaim(start, end, precision)
        place_id = places.get(place)
        chosen = ingestion.match_candidates(
            found, claim, people(reference), place_id, reference.parents, published
        )
        expected = [
            m
            for m in meetings
            if _merge_rules_allow(m, found, claim, place_id, reference.parents, published)
        ]
        expected.sort(key=lambda m: _rank(m, claim, place_id, published))
        assert [m.pk for m in chosen] == [m.pk for m in expected]


def test_it_compares_meetings_sharing_two_of_the_people_or_the_one_named(world):
    """One official named: their meetings; two or more: meetings with any two of them."""
    third = PersonFactory(name="Xie Feng", slug="xie-feng", country="CN")
    sullivan, wang = world["sullivan"], world["wang"]
    casts = {"sw": [sullivan, wang], "s": [sullivan], "swx": [sullivan, wang, third]}
    casts |= {"wx": [wang, third], "none": []}
    meetings = {name: MeetingFactory(title=f"Talks {name}") for name in casts}
    for name, cast in casts.items():
        for person in cast:
            ParticipationFactory(meeting=meetings[name], person=person)
    reference = services.reference_current()
    found = candidate(start_date=date(2024, 1, 26), date_precision="day")
    claim = merging.DateClaim(found.start_date, None, "day")
    expected = {
        ("jake-sullivan",): {"sw", "s", "swx"},
        ("jake-sullivan", "wang-yi"): {"sw", "swx"},
        ("jake-sullivan", "wang-yi", "xie-feng"): {"sw", "swx", "wx"},
        (): {"none"},
    }
    for slugs, names in expected.items():
        named = [reference.people[slug] for slug in slugs]
        chosen = ingestion.match_candidates(found, claim, named, None, reference.parents, None)
        assert {m.pk for m in chosen} == {meetings[name].pk for name in names}


STATUSES = ("planned", "held", "cancelled")
KINDS = ("meeting", "summit", "call")


def people(reference):
    return [reference.people["jake-sullivan"], reference.people["wang-yi"]]


def _merge_rules_allow(meeting, found, claim, place_id, parents, published) -> bool:
    existing = merging.DateClaim(meeting.start_date, meeting.end_date, meeting.date_precision)
    return (
        merging.kinds_compatible(found.kind, meeting.kind)
        and merging.places_compatible(place_id, meeting.location_id, parents)
        and merging.status_fits(found.status, existing, published)
        and merging.dates_overlap(claim, existing)
    )


def _rank(meeting, claim, place_id, published):
    existing = merging.DateClaim(meeting.start_date, meeting.end_date, meeting.date_precision)
    place_agrees = place_id is not None and meeting.location_id is not None
    start = meeting.start_date
    newest_first = (start is None, -start.toordinal() if start else 0, -meeting.pk)
    distance = matching.date_distance(claim, existing, published)
    return (not place_agrees, meeting.date_precision != "day", distance, newest_first)


def test_it_processes_an_article_in_the_same_queries_however_busy_the_meeting(world):
    """Recomputing a meeting reads its evidence grouped by claim, not row by row."""
    found = candidate(start_date=date(2024, 1, 26), date_precision="day", location="bangkok")
    services.article_apply_extraction(article("2024-01-27"), extraction(found))
    meeting = Meeting.objects.get()

    def queries_for_one_more_report(day):
        report = article(day, f"Another report of the Bangkok talks, on {day}.")
        with CaptureQueriesContext(connection) as queries:
            services.article_apply_extraction(report, extraction(found))
        return len(queries)

    quiet = queries_for_one_more_report("2024-01-28")
    busy = ArticleFactory(body="x" * 600, status="done")
    summit = {**Evidence.objects.filter(meeting=meeting).first().claims, "kind": "summit"}
    Evidence.objects.bulk_create(
        Evidence(
            article=busy,
            meeting=meeting,
            quote="x",
            start=start,
            end=start + 1,
            fields=["kind"],
            claims=summit if start % 2 else {"kind": "summit"},
            confidence=0.3,
            extractor_version="test",
        )
        for start in range(500)
    )
    queries_for_one_more_report("2024-01-29")  # the meeting becomes a summit: one more write
    assert queries_for_one_more_report("2024-01-30") == quiet <= 16
    meeting.refresh_from_db()
    # 500 weak "summit" claims outweigh four strong "talks" ones, as row by row they did.
    assert (meeting.kind, meeting.evidence_count, meeting.article_count) == ("summit", 504, 5)


def test_it_flags_and_clears_conflicts_for_every_row_of_a_claim(world):
    """Reports that say the same thing are flagged together, and cleared together."""
    curated = MeetingFactory(
        start_date=date(2024, 1, 26), date_precision="day", review_state="confirmed"
    )
    ParticipationFactory(meeting=curated, person=world["sullivan"], side="us")
    ParticipationFactory(meeting=curated, person=world["wang"], side="cn")
    cancelled = candidate(status="cancelled", start_date=date(2024, 1, 26), date_precision="day")
    for day in ("2024-01-27", "2024-01-28"):
        services.article_apply_extraction(article(day, f"Cancelled, {day}."), extraction(cancelled))
    assert list(Evidence.objects.values_list("conflicting", flat=True)) == [True, True]

    Meeting.objects.filter(pk=curated.pk).update(status="cancelled")  # the curator agrees
    services.article_apply_extraction(article("2024-01-29", "Cancelled."), extraction(cancelled))
    assert not Evidence.objects.filter(conflicting=True).exists()


def test_it_sees_people_and_topics_added_since_the_last_article(world):
    """The cached gazetteer rows notice a topic, a person and a renamed place at once."""
    mentions = [
        Mention("topic", "trade", 0, 5, slug="trade"),
        Mention("person", "Gina Raimondo", 6, 19, slug="gina-raimondo"),
    ]
    body = "trade Gina Raimondo went to Bangkok."
    first = article("2024-01-27", body)
    services.article_apply_extraction(first, extraction(mentions=mentions))
    assert MentionRow.objects.filter(topic__isnull=False).count() == 0

    TopicFactory(name="Trade", slug="trade")
    PersonFactory(name="Gina Raimondo", slug="gina-raimondo")
    Location.objects.filter(slug="bangkok").update(name="Krung Thep")
    second = article("2024-01-28", body + " Again.")
    found = candidate(start_date=date(2024, 1, 26), date_precision="day", location="bangkok")
    services.article_apply_extraction(second, extraction(found, mentions=mentions))
    stored = {m.kind: m for m in MentionRow.objects.filter(article=second)}
    assert stored["topic"].topic.slug == "trade"
    assert stored["person"].person.slug == "gina-raimondo"
    assert Meeting.objects.get().title == "Sullivan–Wang Yi talks in Krung Thep"


@pytest.mark.django_db(transaction=True)
def test_it_creates_one_meeting_when_workers_report_it_at_once(world, monkeypatch):
    """Four workers applying reports of the same new meeting at the same moment make one."""
    found = candidate(start_date=date(2024, 1, 26), date_precision="day", location="bangkok")
    monkeypatch.setattr(processing, "extract", lambda text, published, gazetteer: extraction(found))
    reports = [
        ArticleFactory(body=f"Report {n} of the Bangkok talks.", status="pending") for n in range(4)
    ]
    barrier = threading.Barrier(len(reports))
    statuses = {}

    def work(report):
        try:
            barrier.wait(timeout=10)
            statuses[report.pk] = services.article_process(report.pk)
        finally:
            connection.close()  # each thread opened its own connection

    threads = [threading.Thread(target=work, args=(report,)) for report in reports]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert list(statuses.values()) == ["done"] * len(reports)
    assert Meeting.objects.get().article_count == len(reports)


def extract_by_body(monkeypatch, found: dict[str, Extraction]) -> None:
    """Make extraction return `found[body]` for each article's text."""
    monkeypatch.setattr(processing, "extract", lambda text, published, gazetteer: found[text])


def test_it_processes_waiting_articles_in_one_batch_with_one_revision_bump(world, monkeypatch):
    """One task takes its article and the waiting ones: the meeting two of them report is
    recorded once, each keeps its own evidence, and the data revision moves on once."""
    bangkok = candidate(start_date=date(2024, 1, 26), date_precision="day", location="bangkok")
    vienna = candidate(start_date=date(2023, 5, 1), date_precision="month", location="vienna")
    texts = {
        "Sullivan and Wang met in Bangkok on Friday.": extraction(bangkok),
        "Sullivan and Wang held talks in Bangkok on Friday.": extraction(bangkok),
        "Sullivan and Wang met in Vienna in May.": extraction(vienna),
        "A commentary on nothing in particular.": extraction(),
    }
    extract_by_body(monkeypatch, texts)
    reports = [ArticleFactory(body=body, status="pending") for body in texts]
    ArticleFactory(body="Someone else's.", status="processing")  # claimed elsewhere: left
    before = data_revision()

    ended = services.articles_process_batch(reports[2].pk, size=10)
    assert ended == {"done": sorted(report.pk for report in reports)}
    assert data_revision() == before + 1  # after the commit it moves once more
    assert services.articles_process_batch(reports[0].pk, size=10) is None  # nothing left
    bangkok_meeting = Meeting.objects.get(location__slug="bangkok")
    assert (bangkok_meeting.article_count, bangkok_meeting.evidence_count) == (2, 2)
    assert Meeting.objects.get(location__slug="vienna").article_count == 1
    assert Meeting.objects.count() == 2
    for report in reports[:3]:
        evidence = Evidence.objects.get(article=report)
        assert evidence.quote == report.body[0:20]
    assert {a.status for a in Article.objects.filter(pk__in=[r.pk for r in reports])} == {"done"}
    assert set(
        Article.objects.filter(pk__in=[r.pk for r in reports]).values_list("attempts", flat=True)
    ) == {1}


def test_it_records_a_batch_as_the_same_articles_one_at_a_time_would(world, monkeypatch):
    """A vague report, the readout dating its meeting, and a later report of it: one batch
    ends with the meetings and evidence that processing them one by one gives."""
    vague = candidate(start_date=date(2024, 1, 1), date_precision="month")
    dated = candidate(start_date=date(2024, 1, 26), date_precision="day", location="bangkok")
    later = candidate(start_date=date(2024, 1, 26), date_precision="day", topics=["fentanyl"])
    texts = {
        "Sullivan and Wang met in January.": extraction(vague),
        "Sullivan and Wang met in Bangkok on 26 January.": extraction(dated),
        "Sullivan and Wang talked about fentanyl on 26 January.": extraction(later),
    }
    extract_by_body(monkeypatch, texts)

    def timeline():
        return sorted(
            (e.article.body, e.meeting.start_date, e.meeting.date_precision, e.meeting.location_id)
            for e in Evidence.objects.select_related("article", "meeting")
        )

    reports = [ArticleFactory(body=body, status="pending") for body in texts]
    for report in reports:
        assert services.article_process(report.pk) == "done"
    one_by_one, meetings = timeline(), Meeting.objects.count()
    Meeting.objects.all().delete()
    Article.objects.filter(pk__in=[r.pk for r in reports]).update(status="pending")
    assert services.articles_process_batch(reports[0].pk, size=3) == {
        "done": [r.pk for r in reports]
    }
    assert timeline() == one_by_one and Meeting.objects.count() == meetings == 1


def test_it_keeps_the_rest_of_a_batch_when_one_article_fails(world, monkeypatch):
    """An article extraction fails on, and one whose merge fails, end failed alone."""
    found = candidate(start_date=date(2024, 1, 26), date_precision="day", location="bangkok")
    texts = {
        "Sullivan and Wang met in Bangkok.": extraction(found),
        "Unreadable.": None,
        "Breaks the merge.": extraction(found),
        "Sullivan and Wang talked in Bangkok.": extraction(found),
    }

    def extract(text, published, gazetteer):
        if texts[text] is None:
            raise ValueError("unreadable text")
        return texts[text]

    apply = processing.articles_apply_extractions

    def apply_unless_broken(items, **options):
        if any(article.body == "Breaks the merge." for article, _ in items):
            raise ValueError("no merge")
        return apply(items, **options)

    monkeypatch.setattr(processing, "extract", extract)
    monkeypatch.setattr(processing, "articles_apply_extractions", apply_unless_broken)
    reports = {body: ArticleFactory(body=body, status="pending") for body in texts}
    first = reports["Sullivan and Wang met in Bangkok."]

    ended = services.articles_process_batch(first.pk, size=10)
    assert {status: len(ids) for status, ids in ended.items()} == {"done": 2, "failed": 2}
    statuses = {a.body: (a.status, a.error) for a in Article.objects.filter(body__in=texts)}
    assert statuses["Unreadable."] == ("failed", "ValueError: unreadable text")
    assert statuses["Breaks the merge."] == ("failed", "ValueError: no merge")
    assert statuses["Sullivan and Wang met in Bangkok."] == ("done", "")
    assert statuses["Sullivan and Wang talked in Bangkok."] == ("done", "")
    assert Meeting.objects.get().article_count == 2


def test_it_puts_a_whole_batch_back_when_the_database_drops(world, monkeypatch):
    """A transient error leaves every article of the batch pending for the retry."""
    reports = [ArticleFactory(body=f"Report {n}.", status="pending") for n in range(3)]

    def drop(*args, **options):
        raise OperationalError("server closed the connection")

    monkeypatch.setattr(processing, "articles_apply_extractions", drop)
    extract_by_body(monkeypatch, {report.body: extraction(candidate()) for report in reports})
    with pytest.raises(OperationalError):
        services.articles_process_batch(reports[0].pk, size=10)
    assert set(Article.objects.values_list("status", flat=True)) == {"pending"}


@pytest.mark.parametrize(
    "first, second",
    [
        (dict(start_date=date(2024, 1, 26), date_precision="day"),) * 2,
        (
            dict(start_date=date(2024, 1, 1), date_precision="month"),
            dict(start_date=date(2024, 1, 26), date_precision="day"),
        ),
        ({}, dict(start_date=date(2024, 1, 26), date_precision="day")),
    ],
    ids=["same day", "month and day", "undated and dated"],
)
@pytest.mark.django_db(transaction=True)
def test_it_creates_one_meeting_when_two_workers_batch_reports_of_it(
    world, monkeypatch, first, second
):
    """Two workers, each merging a batch, report one new meeting at the same moment (each
    waits a little while matching, so without locks both would record it): it is recorded
    once, whichever dates the reports give."""
    texts = {}
    for n in range(6):
        claimed = candidate(location="bangkok", **(first if n % 2 else second))
        texts[f"Report {n} of the Bangkok talks."] = extraction(claimed)
    extract_by_body(monkeypatch, texts)
    slow_match = matching.meeting_for_candidate

    def meeting_for_candidate(*args):
        time.sleep(0.2)
        return slow_match(*args)

    monkeypatch.setattr(evidence, "meeting_for_candidate", meeting_for_candidate)
    reports = [ArticleFactory(body=body, status="pending") for body in texts]
    barrier = threading.Barrier(2)
    results = {}

    def work(report):
        try:
            barrier.wait(timeout=10)
            results[report.pk] = services.articles_process_batch(report.pk, size=3)
        finally:
            connection.close()  # each thread opened its own connection

    threads = [threading.Thread(target=work, args=(report,)) for report in reports[:2]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(len(result["done"]) for result in results.values()) == [3, 3]
    assert Meeting.objects.get().article_count == len(reports)


def test_it_locks_what_two_reports_could_both_record(world):
    """Reports of the same people on overlapping dates share an exclusive key; reports of
    other weeks or people do not; an undated report excludes every dated one of its pair."""
    lookups = services.reference_current()

    def keys(**values):
        return services.merge_lock_keys([candidate(**values)], lookups)

    def conflict(first, second):
        return any(first[key] or second[key] for key in first.keys() & second.keys())

    friday = keys(start_date=date(2024, 1, 26), date_precision="day")
    january = keys(start_date=date(2024, 1, 1), date_precision="month")
    march = keys(start_date=date(2024, 3, 1), date_precision="day")
    undated = keys()
    alone = keys(
        participants=[ParticipantClaim("jake-sullivan", "National Security Adviser", "us")],
        start_date=date(2024, 1, 26),
        date_precision="day",
    )
    assert conflict(friday, friday) and conflict(friday, january) and conflict(undated, march)
    assert not conflict(friday, march) and not conflict(january, march)
    assert not conflict(friday, alone) and conflict(alone, alone)


@pytest.mark.parametrize("vague_first", [True, False])
def test_it_moves_a_vague_report_to_the_closest_meeting_dated_after_it(world, vague_first):
    """ "Talks late in January" ends on the 26 January talks whether it came first or last."""

    def report(day, text, found):
        services.article_apply_extraction(article(day, text), extraction(found))

    def vague():
        late = candidate(start_date=date(2024, 1, 20), date_precision="month")
        report("2024-01-31", "Sullivan and Wang met late in January.", late)

    if vague_first:
        vague()
    for day in (5, 26):
        readout = candidate(start_date=date(2024, 1, day), date_precision="day")
        report(f"2024-01-{day:02}", f"Sullivan and Wang met on {day} January.", readout)
    if not vague_first:
        vague()
    late = Evidence.objects.get(article__body__contains="late in January")
    assert late.meeting.start_date == date(2024, 1, 26)
    assert Meeting.objects.count() == 2


def test_it_places_vague_reports_the_same_whatever_order_they_arrive_in(world):
    """Two readouts, a month report that fits neither and an undated one: every order of the
    four gives the same meetings, each report on the same one."""
    reports = {
        "feb 22": ("2024-02-23", candidate(start_date=date(2024, 2, 22), date_precision="day")),
        "mar 7": ("2024-03-08", candidate(start_date=date(2024, 3, 7), date_precision="day")),
        # Published on 2 March: "earlier this month" cannot be the talks of 7 March.
        "this month": (
            "2024-03-02",
            candidate(start_date=date(2024, 3, 1), date_precision="month"),
        ),
        "undated": ("2024-03-10", candidate()),
    }
    placements = set()
    for order in permutations(reports):
        Meeting.objects.all().delete()
        Article.objects.all().delete()
        for name in order:
            published, found = reports[name]
            day = date.fromisoformat(published)
            report = ArticleFactory(
                body=f"Report {name}.",
                published_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
                published_source="given",
                status="processing",
            )
            services.article_apply_extraction(report, extraction(found))
        placements.add(
            tuple(
                (row.article.body, str(row.meeting.start_date), row.meeting.date_precision)
                for row in Evidence.objects.select_related("article", "meeting").order_by(
                    "article__body"
                )
            )
        )
    (placement,) = placements
    assert dict((body, start) for body, start, _ in placement) == {
        "Report feb 22.": "2024-02-22",
        "Report mar 7.": "2024-03-07",
        "Report this month.": "2024-03-01",
        "Report undated.": "2024-03-07",
    }


def test_it_keeps_two_disagreeing_candidates_of_one_article_on_two_meetings(world):
    """A visit to Bangkok and a summit in Vienna quoted from one sentence never share a
    meeting, even one generic enough for both: the sentence supports each apart."""
    generic = MeetingFactory(title="Talks", kind="meeting")
    ParticipationFactory(meeting=generic, person=world["sullivan"], side="us")
    ParticipationFactory(meeting=generic, person=world["wang"], side="cn")
    report = article("2024-03-10", "Sullivan and Wang, at a visit and a summit.")
    visit = candidate(kind="visit", location="bangkok")
    summit = candidate(kind="summit", location="vienna")
    services.article_apply_extraction(report, extraction(visit, summit))
    rows = Evidence.objects.filter(article=report)
    assert sorted(rows.values_list("claims__kind", flat=True)) == ["summit", "visit"]
    assert len({row.meeting_id for row in rows}) == 2
