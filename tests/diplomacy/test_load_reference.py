"""The load_reference command: the bundled gazetteer and timeline, loaded idempotently."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from diplomacy.models import (
    Location,
    Meeting,
    MeetingTopic,
    Office,
    Participation,
    Person,
    Topic,
)
from tests.diplomacy.test_reference_data import TOPIC_SLUGS

pytestmark = pytest.mark.django_db

MODELS = [Person, Office, Location, Topic, Meeting, Participation, MeetingTopic]


def load_reference(*args) -> str:
    out = StringIO()
    call_command("load_reference", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_it_loads_the_same_rows_when_run_twice():
    """A second run changes nothing and says so."""
    first_output = load_reference()
    first = counts()
    second_output = load_reference()

    assert counts() == first
    assert "Reference data loaded." in first_output
    assert "no changes" in second_output
    assert " 0 created, 0 updated" in second_output
    for line in second_output.splitlines()[:-1]:
        assert " 0 created, 0 updated, " in line, line


def test_it_restores_a_changed_row_on_the_next_run():
    """A reference row edited in the database is put back, and the run reports the update."""
    load_reference()
    Topic.objects.filter(slug="taiwan").update(name="Edited")
    output = load_reference()
    assert Topic.objects.get(slug="taiwan").name != "Edited"
    assert "topics: 0 created, 1 updated" in output
    assert "no changes" not in output


def test_it_loads_only_the_gazetteer_when_asked():
    """--gazetteer-only loads people, offices, places and topics, and no meetings."""
    load_reference("--gazetteer-only")
    assert Meeting.objects.count() == 0
    assert Participation.objects.count() == 0
    assert MeetingTopic.objects.count() == 0
    assert Person.objects.count() >= 60
    assert Office.objects.count() >= 60
    assert Location.objects.count() >= 80
    assert Topic.objects.count() == 22


def test_it_loads_at_least_the_minimum_reference_data():
    """The bundled data has enough people, places, meetings and exactly the 22 seed topics."""
    load_reference()
    assert Person.objects.count() >= 60
    assert Location.objects.count() >= 80
    assert Meeting.objects.count() >= 40
    assert set(Topic.objects.values_list("slug", flat=True)) == TOPIC_SLUGS
    years = {meeting.start_date.year for meeting in Meeting.objects.all()}
    assert {2022, 2023, 2024} <= years


def test_it_gives_people_dated_offices():
    """Offices carry start dates, nearly everyone has one, and role-at-date works on them."""
    load_reference("--gazetteer-only")
    assert not Office.objects.filter(start_date__isnull=True).exists()
    with_offices = Person.objects.filter(offices__isnull=False).distinct().count()
    assert with_offices >= 0.9 * Person.objects.count()
    holder = Office.objects.holder_of
    assert holder("foreign-minister", "CN", date(2023, 3, 1)).person.slug == "qin-gang"
    assert holder("foreign-minister", "CN", date(2023, 9, 1)).person.slug == "wang-yi"
    assert holder("foreign-minister", "CN", date(2022, 6, 1)).person.slug == "wang-yi"


def test_it_links_meetings_to_people_places_and_topics():
    """Curated meetings are confirmed, and most name participants, a place and topics."""
    load_reference()
    meetings = Meeting.objects.all()
    assert not meetings.exclude(review_state="confirmed").exists()
    # Working-level talks may name no one; the rest list who attended.
    with_participants = meetings.filter(participations__isnull=False).distinct().count()
    assert with_participants >= 0.8 * meetings.count()
    assert meetings.filter(participations__side="us").filter(participations__side="cn").exists()
    assert meetings.filter(location__isnull=False).count() >= 0.5 * meetings.count()
    assert MeetingTopic.objects.count() >= meetings.count()


def test_it_nests_places_under_their_countries():
    """Loaded cities sit inside their countries, so a country includes them."""
    load_reference("--gazetteer-only")
    country = Location.objects.filter(kind="country", children__isnull=False).first()
    assert country is not None
    inside = Location.objects.within(country)
    assert inside.count() > 1
    assert not inside.exclude(pk=country.pk).filter(kind="country").exists()
