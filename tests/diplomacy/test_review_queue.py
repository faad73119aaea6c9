"""The review queue's reasons, each checked against its plain definition on edge cases."""

from datetime import date

import pytest

from diplomacy.models import Meeting
from diplomacy.selectors.curation import review_queue
from diplomacy.services.curation import meeting_reject
from tests.factories import (
    EvidenceFactory,
    LocationFactory,
    MeetingFactory,
    ParticipationFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db


def reasons(reason: str) -> set[str]:
    return {item.meeting.title for item in review_queue(reason)}


def held(title: str, day: date, **fields):
    meeting = MeetingFactory(title=title, start_date=day, **fields)
    EvidenceFactory(meeting=meeting, confidence=0.9)
    return meeting


def test_it_flags_meetings_sharing_a_participant_within_ten_days():
    """Ten days apart or fewer, either way, counts; rejected and merged meetings never count,
    and another person's meeting on the same day does not either."""
    envoy, other = PersonFactory(), PersonFactory()
    january = held("January", date(2024, 1, 1))
    mid = held("Mid", date(2024, 1, 16))
    late = held("Late", date(2024, 1, 26))
    rejected = held("Rejected", date(2024, 1, 8), review_state="rejected")
    merged = held("Merged", date(2024, 1, 3), merged_into=mid)
    alone = held("Alone", date(2024, 1, 1))
    for meeting in (january, mid, late, rejected, merged):
        ParticipationFactory(meeting=meeting, person=envoy)
    ParticipationFactory(meeting=alone, person=other)
    assert reasons("duplicate") == {"Mid", "Late"}


def test_it_flags_meetings_whose_best_sentence_is_weak():
    """Low confidence: every sentence below 0.5; a single weak report: one article, best below
    0.7; a meeting without evidence is neither."""
    weak = MeetingFactory(title="Weak", start_date=date(2024, 2, 1))
    EvidenceFactory(meeting=weak, confidence=0.3)
    EvidenceFactory(meeting=weak, confidence=0.45)
    mixed = MeetingFactory(title="Mixed", start_date=date(2024, 2, 2))
    EvidenceFactory(meeting=mixed, confidence=0.3)
    EvidenceFactory(meeting=mixed, confidence=0.6)
    MeetingFactory(title="Bare", start_date=date(2024, 2, 3))
    single = MeetingFactory(title="Single", start_date=date(2024, 2, 4), article_count=1)
    EvidenceFactory(meeting=single, confidence=0.65)
    assert reasons("low_confidence") == {"Weak"}
    assert reasons("single_report") == {"Single"}


def test_it_flags_conflicting_evidence_on_shown_meetings_only():
    """A conflict shows on confirmed meetings too, never on rejected ones."""
    for title, state in (("Auto", "auto"), ("Confirmed", "confirmed"), ("Gone", "rejected")):
        meeting = MeetingFactory(title=title, start_date=date(2024, 3, 1), review_state=state)
        EvidenceFactory(meeting=meeting, conflicting=True)
    assert reasons("conflict") == {"Auto", "Confirmed"}
    assert len(review_queue()) == 2


def test_a_short_page_of_duplicates_is_the_start_of_the_whole_list():
    """Looking only at the newest meetings first gives the same page as the whole list, also
    when none of the newest are duplicates and the search must go further back."""
    envoy = PersonFactory()
    for number in range(6):  # pairs of duplicates, older than the isolated ones
        for offset in (0, 3):
            meeting = held(f"Pair {number}.{offset}", date(2022, 1 + number, 1 + offset))
            ParticipationFactory(meeting=meeting, person=envoy)
    for number in range(10):  # newer meetings, each alone
        meeting = held(f"Alone {number}", date(2024, 1 + number, 1))
        ParticipationFactory(meeting=meeting, person=PersonFactory())
    everything = [item.meeting.title for item in review_queue("duplicate")]
    assert len(everything) == 12
    for size in (1, 2, 3, 5, 12):
        assert [item.meeting.title for item in review_queue("duplicate", size)] == (
            everything[:size]
        )
    newest = held("Newest pair", date(2025, 5, 1))
    ParticipationFactory(meeting=newest, person=envoy)
    later = held("Later pair", date(2025, 5, 9))
    ParticipationFactory(meeting=later, person=envoy)
    assert [item.meeting.title for item in review_queue("duplicate", 2)] == [
        "Later pair",
        "Newest pair",
    ]


def test_it_flags_meetings_naming_a_discovered_person():
    """A participant the gazetteer lacked (review_state auto) puts an unreviewed meeting in the
    queue; confirmed people and reviewed meetings do not."""
    found = PersonFactory(review_state="auto")
    known = PersonFactory(review_state="confirmed")
    for title, person, state in (
        ("Found", found, "auto"),
        ("Known", known, "auto"),
        ("Checked", found, "confirmed"),
    ):
        meeting = held(title, date(2024, 4, 1), review_state=state)
        ParticipationFactory(meeting=meeting, person=person)
    assert reasons("discovered_person") == {"Found"}


def flag(reason: str, meeting, envoy) -> None:
    """Put `meeting` in the queue for `reason` (envoy: a discovered person all share)."""
    confidence = {"low_confidence": 0.3, "single_report": 0.65}.get(reason, 0.9)
    EvidenceFactory(meeting=meeting, confidence=confidence, conflicting=reason == "conflict")
    if reason in ("duplicate", "discovered_person"):
        ParticipationFactory(meeting=meeting, person=envoy)


@pytest.mark.parametrize(
    "reason", [None, "conflict", "low_confidence", "duplicate", "discovered_person"]
)
def test_it_puts_the_meetings_most_reports_carry_first(reason):
    """Meetings with 1, 5 and 3 reports come out 5, 3, 1, though the one report is newest,
    with every reason's filter and without one."""
    envoy = PersonFactory(review_state="auto")
    for reports, day in ((1, 7), (5, 1), (3, 4)):
        meeting = MeetingFactory(
            title=f"{reports} reports", start_date=date(2024, 6, day), article_count=reports
        )
        flag(reason or "low_confidence", meeting, envoy)
    titles = [item.meeting.title for item in review_queue(reason)]
    assert titles == ["5 reports", "3 reports", "1 reports"]
    assert [item.meeting.title for item in review_queue(reason, 2)] == titles[:2]


def test_it_orders_meetings_with_as_many_reports_newest_first_then_by_id():
    """Between meetings with as many reports: the newest first, undated last, then the
    higher id; a single weak report keeps that order too."""
    for title, day in (("Old", date(2024, 1, 1)), ("Undated", None), ("New", date(2024, 2, 1))):
        meeting = MeetingFactory(title=title, start_date=day, article_count=1)
        EvidenceFactory(meeting=meeting, confidence=0.65)
    twin = MeetingFactory(title="Twin", start_date=date(2024, 1, 1), article_count=1)
    EvidenceFactory(meeting=twin, confidence=0.65)
    expected = ["New", "Twin", "Old", "Undated"]
    assert [item.meeting.title for item in review_queue("single_report")] == expected
    assert [item.meeting.title for item in review_queue()] == expected


def test_a_short_page_of_busy_duplicates_is_the_start_of_the_whole_list():
    """The busiest meetings are looked at first: a page found among them is the start of the
    whole list, also when the busiest are not duplicates and the search must go further."""
    envoy = PersonFactory()
    for number in range(6):  # pairs of duplicates with few reports, some of them newest
        for offset in (0, 3):
            meeting = held(
                f"Pair {number}.{offset}",
                date(2024, 1 + number, 1 + offset),
                article_count=1 + number % 3,
            )
            ParticipationFactory(meeting=meeting, person=envoy)
    for number in range(10):  # busier meetings, each alone
        meeting = held(f"Alone {number}", date(2022, 1 + number, 1), article_count=10 + number)
        ParticipationFactory(meeting=meeting, person=PersonFactory())
    everything = [item.meeting.title for item in review_queue("duplicate")]
    assert everything[:4] == ["Pair 5.3", "Pair 5.0", "Pair 2.3", "Pair 2.0"]
    assert len(everything) == 12
    for size in (1, 2, 3, 5, 12):
        assert [item.meeting.title for item in review_queue("duplicate", size)] == (
            everything[:size]
        )
    busy = held("Busy pair", date(2021, 5, 1), article_count=40)
    ParticipationFactory(meeting=busy, person=envoy)
    busier = held("Busier pair", date(2021, 5, 9), article_count=50)
    ParticipationFactory(meeting=busier, person=envoy)
    assert [item.meeting.title for item in review_queue("duplicate", 2)] == [
        "Busier pair",
        "Busy pair",
    ]


def test_it_reads_a_pages_meetings_only_and_follows_every_change(django_assert_num_queries):
    """The queue's order is kept for the data revision, so paging reads one page's meetings;
    a curator's action or a new report moves the revision and the queue with it."""
    vienna = LocationFactory(name="Vienna")
    for day in range(1, 6):
        meeting = MeetingFactory(title=f"Day {day}", start_date=date(2024, 5, day), location=vienna)
        EvidenceFactory(meeting=meeting, confidence=0.3)
    everything = [item.meeting.title for item in review_queue()]
    assert everything == ["Day 5", "Day 4", "Day 3", "Day 2", "Day 1"]
    assert not review_queue().more
    assert review_queue(limit=4).more and not review_queue(limit=5).more
    assert [item.meeting.title for item in review_queue(limit=4)] == everything[:4]
    queue = review_queue()
    with django_assert_num_queries(1):  # the page's meetings, with their places
        page = queue[1:3]
    assert [item.meeting.title for item in page] == ["Day 4", "Day 3"]
    assert [item.reason for item in page] == ["low_confidence", "low_confidence"]
    with django_assert_num_queries(0):
        assert page[0].meeting.location.name == "Vienna"
    with django_assert_num_queries(2):  # the data revision, then the page's meetings
        assert review_queue()[0].meeting.title == "Day 5"
    meeting_reject(Meeting.objects.get(title="Day 5"))
    EvidenceFactory(meeting=MeetingFactory(title="Day 6", start_date=date(2024, 5, 6)))
    late = MeetingFactory(title="Day 7", start_date=date(2024, 5, 7))
    EvidenceFactory(meeting=late, confidence=0.2)
    assert [item.meeting.title for item in review_queue()] == [
        "Day 7",
        "Day 4",
        "Day 3",
        "Day 2",
        "Day 1",
    ]
