"""Database constraints and the model query helpers (role-at-date, places within, date overlap)."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from diplomacy.models import Location, Meeting, Office
from tests.factories import (
    ArticleFactory,
    EvidenceFactory,
    LocationFactory,
    MeetingFactory,
    MeetingTopicFactory,
    OfficeFactory,
    ParticipationFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db


def assert_rejected(create):
    """Assert that the database refuses the row `create` writes."""
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_it_allows_one_participation_per_meeting_and_person():
    """The same person cannot be added to the same meeting twice."""
    first = ParticipationFactory()
    ParticipationFactory(person=first.person)  # another meeting is fine
    assert_rejected(lambda: ParticipationFactory(meeting=first.meeting, person=first.person))


def test_it_allows_one_meeting_topic_per_pair():
    """A topic is linked to a meeting at most once."""
    first = MeetingTopicFactory()
    MeetingTopicFactory(topic=first.topic)  # another meeting is fine
    assert_rejected(lambda: MeetingTopicFactory(meeting=first.meeting, topic=first.topic))


def test_it_allows_one_article_per_content_hash():
    """Two articles with the same normalised body (hash) cannot both be stored."""
    first = ArticleFactory(body="The envoys met in Vienna.")
    assert_rejected(
        lambda: ArticleFactory(
            body="The envoys met in Vienna.",
            content_hash=first.content_hash,
            url="https://example.org/other",
        )
    )


def test_it_allows_one_article_per_url():
    """Two articles cannot share a URL, whatever their bodies."""
    ArticleFactory(url="https://example.org/readout", body="First text.")
    assert_rejected(lambda: ArticleFactory(url="https://example.org/readout", body="Second text."))


def test_it_allows_many_articles_without_a_url():
    """A missing URL is not a duplicate of another missing URL."""
    ArticleFactory(url=None, body="First text.")
    ArticleFactory(url=None, body="Second text.")


def test_it_rejects_an_office_that_ends_before_it_starts():
    """An office's end date may not precede its start date."""
    assert_rejected(lambda: OfficeFactory(start_date=date(2023, 7, 25), end_date=date(2023, 7, 24)))
    OfficeFactory(start_date=date(2023, 7, 25), end_date=date(2023, 7, 25))  # one day is fine


def test_it_rejects_a_meeting_that_ends_before_it_starts():
    """A meeting's end date may not precede its start date."""
    assert_rejected(
        lambda: MeetingFactory(start_date=date(2024, 1, 27), end_date=date(2024, 1, 26))
    )


def test_it_allows_one_evidence_row_per_sentence():
    """The same sentence of an article supports a meeting at most once."""
    first = EvidenceFactory(start=0, end=20)
    EvidenceFactory(article=first.article, meeting=first.meeting, start=21, end=40)  # another
    assert_rejected(lambda: EvidenceFactory(article=first.article, meeting=first.meeting, start=0))


@pytest.fixture
def chinese_foreign_ministers():
    """Wang Yi's two terms with Qin Gang's between them, plus a US counterpart."""
    wang_yi = PersonFactory(name="Wang Yi", country="CN")
    qin_gang = PersonFactory(name="Qin Gang", country="CN")
    OfficeFactory(person=wang_yi, start_date=date(2013, 3, 16), end_date=date(2022, 12, 30))
    OfficeFactory(person=qin_gang, start_date=date(2022, 12, 30), end_date=date(2023, 7, 25))
    OfficeFactory(person=wang_yi, start_date=date(2023, 7, 25), end_date=None)
    OfficeFactory(
        person=PersonFactory(name="Antony Blinken", country="US"),
        role="foreign-minister",
        title="Secretary of State",
        start_date=date(2021, 1, 26),
        end_date=date(2025, 1, 20),
    )
    return wang_yi, qin_gang


@pytest.mark.parametrize(
    ("day", "holder", "term_start"),
    [
        (date(2022, 6, 1), "wang-yi", date(2013, 3, 16)),
        (date(2023, 3, 1), "qin-gang", date(2022, 12, 30)),
        (date(2023, 9, 1), "wang-yi", date(2023, 7, 25)),
        (date(2026, 1, 1), "wang-yi", date(2023, 7, 25)),
    ],
)
def test_it_finds_who_held_an_office_on_a_date(chinese_foreign_ministers, day, holder, term_start):
    """holder_of returns the office held on the day, with its person and term."""
    office = Office.objects.holder_of("foreign-minister", "CN", day)
    assert office.person.slug == holder
    assert office.start_date == term_start


def test_it_prefers_the_incoming_holder_on_a_handover_day(chinese_foreign_ministers):
    """On the day one term ends and the next starts, the new holder is returned."""
    office = Office.objects.holder_of("foreign-minister", "CN", date(2023, 7, 25))
    assert office.person.slug == "wang-yi"
    assert office.start_date == date(2023, 7, 25)


def test_it_finds_no_holder_outside_every_term(chinese_foreign_ministers):
    """Before the first recorded term, or for another role, there is no holder."""
    assert Office.objects.holder_of("foreign-minister", "CN", date(2010, 1, 1)) is None
    assert Office.objects.holder_of("defence-minister", "CN", date(2023, 3, 1)) is None
    us = Office.objects.holder_of("foreign-minister", "US", date(2023, 3, 1))
    assert us.person.slug == "antony-blinken"


def test_it_includes_places_inside_a_location():
    """within(country) returns the country, its cities and their venues, not a sibling country."""
    china = LocationFactory(name="China", kind="country", country="CN")
    beijing = LocationFactory(name="Beijing", kind="city", country="CN", parent=china)
    diaoyutai = LocationFactory(
        name="Diaoyutai State Guesthouse", kind="venue", country="CN", parent=beijing
    )
    shanghai = LocationFactory(name="Shanghai", kind="city", country="CN", parent=china)
    usa = LocationFactory(name="United States", kind="country", country="US")
    washington = LocationFactory(name="Washington", kind="city", country="US", parent=usa)
    LocationFactory(name="White House", kind="venue", country="US", parent=washington)

    assert set(Location.objects.within(china)) == {china, beijing, diaoyutai, shanghai}
    assert set(Location.objects.within(beijing)) == {beijing, diaoyutai}
    assert set(Location.objects.within(diaoyutai)) == {diaoyutai}


@pytest.mark.parametrize(
    ("date_from", "date_to", "matches"),
    [
        (date(2024, 1, 27), None, True),  # starts on the meeting's last day
        (date(2024, 1, 28), None, False),  # starts after it ended
        (None, date(2024, 1, 25), False),  # ends before it started
        (None, date(2024, 1, 26), True),  # ends on its first day
        (date(2024, 1, 20), date(2024, 1, 30), True),  # contains it
        (date(2024, 1, 27), date(2024, 1, 27), True),  # one day inside it
        (date(2024, 1, 1), date(2024, 1, 25), False),  # entirely before
        (None, None, True),  # no bounds
    ],
)
def test_it_matches_meetings_whose_dates_overlap_the_range(date_from, date_to, matches):
    """overlapping() keeps a 26–27 January meeting exactly when its days meet the range."""
    meeting = MeetingFactory(start_date=date(2024, 1, 26), end_date=date(2024, 1, 27))
    found = Meeting.objects.overlapping(date_from=date_from, date_to=date_to)
    assert (meeting in found) is matches
