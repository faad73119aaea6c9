from datetime import date
from xml.etree import ElementTree

import feedparser
import icalendar
import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import ApiToken
from tests.factories import (
    LocationFactory,
    MeetingFactory,
    MeetingTopicFactory,
    ParticipationFactory,
    PersonFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ATOM = "feeds:meetings-atom"
ICS = "feeds:meetings-ics"


def atom(client, **params):
    response = client.get(reverse(ATOM), params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/atom+xml")
    return feedparser.parse(response.content)


def calendar_events(client, **params):
    response = client.get(reverse(ICS), params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(response.content).walk("VEVENT")


def beijing_talks(title="Blinken & Wang meet <in Beijing>"):
    meeting = MeetingFactory(
        title=title,
        start_date=date(2024, 4, 26),
        end_date=date(2024, 4, 27),
        location=LocationFactory(name="Beijing", country="CN"),
        summary="Talks on fentanyl.",
    )
    ParticipationFactory(meeting=meeting, person=PersonFactory(name="Wang Yi"), role="Minister")
    MeetingTopicFactory(meeting=meeting, topic=TopicFactory(name="Taiwan"))
    return meeting


# Atom --------------------------------------------------------------------------------------


def test_it_serves_meetings_as_atom(client):
    """Each meeting is an entry linking to its page, with who, where and topics."""
    meeting = beijing_talks()

    feed = atom(client)

    assert not feed.bozo, feed.bozo_exception
    [entry] = feed.entries
    assert entry.title == "Blinken & Wang meet <in Beijing>"
    assert entry.link == f"http://testserver/meetings/{meeting.slug}/"
    assert "Wang Yi (Minister)" in entry.summary
    assert "Beijing" in entry.summary
    assert [tag.term for tag in entry.tags] == ["taiwan"]


def test_it_escapes_meeting_text_in_atom_summaries(client):
    """Text from articles cannot inject markup into the feed's HTML summary."""
    MeetingFactory(summary="<script>alert(1)</script>")

    [entry] = atom(client).entries

    assert "<script>" not in entry.summary


def test_it_filters_the_atom_feed_like_the_list(client):
    """The feed takes the meeting list's filters."""
    beijing_talks()
    MeetingFactory(title="A call", kind="call")

    assert [entry.title for entry in atom(client, kind="call").entries] == ["A call"]
    assert len(atom(client, topic="taiwan").entries) == 1
    assert len(atom(client, participant="wang-yi", kind="call").entries) == 0


def test_it_lists_the_newest_100_meetings(client):
    """The feed holds the 100 newest meetings, newest first."""
    for day in range(1, 29):
        for month in range(1, 5):
            MeetingFactory(start_date=date(2024, month, day))
    MeetingFactory(title="Newest", start_date=date(2024, 12, 1))

    entries = atom(client).entries

    assert len(entries) == 100
    assert entries[0].title == "Newest"


@pytest.mark.parametrize(
    ("name", "value"),
    [("topic", "no-such-topic"), ("date_from", "2024-02-30"), ("kind", "duel"), ("q", "a\x00b")],
)
@pytest.mark.parametrize("route", [ATOM, ICS])
def test_it_refuses_invalid_feed_filters_in_plain_text(client, route, name, value):
    """An invalid filter is a 400 in plain text naming the filter."""
    response = client.get(reverse(route), {name: value})

    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert f"{name}:" in response.content.decode()


@pytest.mark.parametrize("route", [ATOM, ICS])
def test_it_refuses_too_many_feed_parameters_in_plain_text(client, route):
    """More query parameters than Django accepts is a plain-text 400."""
    query = "&".join(f"topic=t{number}" for number in range(1100))

    response = client.get(f"{reverse(route)}?{query}")

    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize("count", [3, 30])
@pytest.mark.parametrize("route", [ATOM, ICS])
def test_it_builds_feeds_in_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, route, count
):
    """A feed costs one query however many meetings it holds."""
    for number in range(count):
        beijing_talks(title=f"Talks in Beijing, round {number}")

    # the meetings with place, participants and topics aggregated
    with django_assert_max_num_queries(1):
        response = client.get(reverse(route))

    assert response.status_code == 200


@pytest.mark.parametrize("route", [ATOM, ICS])
def test_it_answers_304_when_the_feed_has_not_changed(client, route):
    """Feeds carry an ETag and Last-Modified; sending them back gets 304."""
    beijing_talks()

    first = client.get(reverse(route))
    by_etag = client.get(reverse(route), HTTP_IF_NONE_MATCH=first["ETag"])
    by_date = client.get(reverse(route), HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])

    assert by_etag.status_code == 304
    assert by_date.status_code == 304


@pytest.mark.parametrize("route", [ATOM, ICS])
def test_it_needs_credentials_for_feeds_when_reading_is_not_public(client, settings, route):
    """With PUBLIC_READ off, a feed needs a session or a token."""
    settings.PUBLIC_READ = False
    user = UserFactory()
    token = ApiToken.objects.create(user=user)

    anonymous = client.get(reverse(route))
    bad_token = client.get(reverse(route), HTTP_AUTHORIZATION="Token nope")
    with_token = client.get(reverse(route), HTTP_AUTHORIZATION=f"Token {token.key}")
    client.force_login(user)
    with_session = client.get(reverse(route))

    assert anonymous.status_code == 401
    assert bad_token.status_code == 401
    assert with_token.status_code == 200
    assert with_session.status_code == 200


@pytest.mark.parametrize("route", [ATOM, ICS])
def test_it_refuses_writes_to_feeds(client, route):
    """Feeds answer GET and HEAD only."""
    assert client.post(reverse(route)).status_code == 405


# iCalendar ---------------------------------------------------------------------------------


def test_it_serves_meetings_as_all_day_events(client):
    """Each dated meeting is an all-day event whose end is the day after its last day."""
    meeting = beijing_talks()

    [event] = calendar_events(client)

    assert str(event["SUMMARY"]) == "Blinken & Wang meet <in Beijing>"
    assert event.decoded("DTSTART") == date(2024, 4, 26)
    assert event.decoded("DTEND") == date(2024, 4, 28)
    assert str(event["UID"]) == f"meeting-{meeting.pk}@testserver"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["LOCATION"]) == "Beijing"
    assert str(event["URL"]) == f"http://testserver/meetings/{meeting.slug}/"
    assert "Wang Yi (Minister)" in str(event["DESCRIPTION"])
    assert "DTSTAMP" in event


def test_it_marks_planned_and_cancelled_meetings(client):
    """Planned meetings are tentative events, cancelled ones cancelled."""
    MeetingFactory(title="Planned", status="planned", start_date=date(2025, 1, 2))
    MeetingFactory(title="Cancelled", status="cancelled", start_date=date(2025, 1, 1))

    statuses = {str(event["SUMMARY"]): str(event["STATUS"]) for event in calendar_events(client)}

    assert statuses == {"Planned": "TENTATIVE", "Cancelled": "CANCELLED"}


def test_it_leaves_undated_meetings_out_of_the_calendar(client):
    """A meeting without a date cannot be a calendar event."""
    MeetingFactory(title="Undated", start_date=None, end_date=None)
    MeetingFactory(title="Dated")

    assert [str(event["SUMMARY"]) for event in calendar_events(client)] == ["Dated"]


def test_it_filters_the_calendar_like_the_list(client):
    """The calendar takes the meeting list's filters."""
    beijing_talks()
    MeetingFactory(title="Elsewhere", start_date=date(2022, 1, 1))

    events = calendar_events(client, date_from="2024-01-01")

    assert [str(event["SUMMARY"]) for event in events] == ["Blinken & Wang meet <in Beijing>"]


def test_it_names_the_place_once_when_the_note_repeats_it(client):
    """A location note that already names the place is used alone."""
    MeetingFactory(
        location=LocationFactory(name="Kuala Lumpur"),
        location_note="Kuala Lumpur, during the ASEAN meetings",
    )
    MeetingFactory(location=LocationFactory(name="Lima"), location_note="APEC summit venue")

    places = sorted(str(event["LOCATION"]) for event in calendar_events(client))

    assert places == ["Kuala Lumpur, during the ASEAN meetings", "Lima, APEC summit venue"]


# Characters XML cannot carry -------------------------------------------------------------

CONTROLS = "\x01\x1b\x7f\ufffe"


def admin_form_data(response) -> dict:
    """Return what the admin page's form would post back unchanged, inlines included."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, list):
            value = ",".join(map(str, value))
        data[name] = value
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[f"{inline.formset.prefix}-{name}"] = management[name].value()
    return data


def test_it_drops_control_characters_saved_through_the_admin(client):
    """A title typed with control characters into the admin is stored without them."""
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    meeting = MeetingFactory(title="Talks", start_date=date(2024, 4, 26))
    change = reverse("admin:diplomacy_meeting_change", args=[meeting.pk])
    data = admin_form_data(client.get(change))
    data.update(title=f"Talks{CONTROLS} in Beijing", summary=f"Agreed{CONTROLS}.")

    response = client.post(change, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    meeting.refresh_from_db()
    assert (meeting.title, meeting.summary) == ("Talks in Beijing", "Agreed.")


def test_it_drops_control_characters_on_every_save_and_update():
    """Saves and queryset updates store names and titles without XML-illegal characters."""
    meeting = MeetingFactory(title=f"A{CONTROLS}B", location_note=f"Hall{CONTROLS} 1")
    person = PersonFactory(name=f"Wang{CONTROLS} Yi")
    topic = TopicFactory(name=f"Trade{CONTROLS}")
    assert meeting.title == "AB"  # the instance holds what was stored

    type(meeting).objects.filter(pk=meeting.pk).update(summary=f"x{CONTROLS}y")

    meeting.refresh_from_db()
    person.refresh_from_db()
    topic.refresh_from_db()
    assert (meeting.title, meeting.location_note, meeting.summary) == ("AB", "Hall 1", "xy")
    assert (person.name, topic.name) == ("Wang Yi", "Trade")


@pytest.fixture
def dirty_meeting():
    """A meeting whose texts hold control characters written past the models (raw SQL)."""
    meeting = beijing_talks()
    person = meeting.participations.get().person
    with connection.cursor() as cursor:
        for model, pk, column in (
            (type(meeting), meeting.pk, "title"),
            (type(meeting), meeting.pk, "summary"),
            (type(person), person.pk, "name"),
        ):
            cursor.execute(
                f'UPDATE "{model._meta.db_table}" SET "{column}" = "{column}" || %s WHERE id = %s',
                [CONTROLS, pk],
            )
    return meeting


def test_it_keeps_the_atom_feed_well_formed_whatever_the_database_holds(client, dirty_meeting):
    """Stored control characters are left out of the Atom feed instead of breaking it."""
    response = client.get(reverse(ATOM))

    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)  # strict: refuses any illegal character
    namespace = {"atom": "http://www.w3.org/2005/Atom"}
    assert root.find("atom:entry/atom:title", namespace).text == "Blinken & Wang meet <in Beijing>"
    assert "Wang Yi (Minister)" in root.find("atom:entry/atom:summary", namespace).text


def test_it_keeps_the_calendar_free_of_control_characters(client, dirty_meeting):
    """Stored control characters are left out of the iCalendar events too."""
    response = client.get(reverse(ICS))

    assert response.status_code == 200
    text = response.content.decode()
    assert not any(character in text for character in CONTROLS)
    (event,) = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["summary"]) == "Blinken & Wang meet <in Beijing>"
