"""Every list page links its meetings as CSV, JSON, Atom and iCalendar, with its filters, and
each link returns the meetings the page shows."""

import csv
import io
import re
from datetime import date
from html import unescape

import feedparser
import icalendar
import pytest
from django.urls import reverse

from diplomacy.models import Meeting
from tests.factories import (
    ChannelFactory,
    LocationFactory,
    MeetingFactory,
    MeetingTopicFactory,
    ParticipationFactory,
    PersonFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db

MEETING_LINK = re.compile(r'href="/meetings/([^/"]+)/"')
EXPORT_LINK = re.compile(r'<a href="([^"]+)" data-export="(\w+)"')
ALTERNATE = re.compile(r'<link rel="alternate" type="([^"]+)" title="[^"]*" href="([^"]+)">')


# slug, day, people, topics, place, kind, status, through the channel, summary
PLAN = """
vienna-talks    2023-05-11 sullivan,wang taiwan       vienna  meeting held      yes Fentanyl, Taiwan
beijing-visit   2023-06-18 blinken,wang  taiwan,trade beijing visit   held      no  Trade talks.
climate-call    2023-07-02 blinken,wang  climate      -       call    held      no  Climate call.
malta-talks     2023-09-16 sullivan,wang trade        -       meeting held      yes Fentanyl again.
bangkok-talks   2024-01-26 sullivan,wang taiwan       -       meeting held      yes Bangkok.
planned-call    2024-05-01 blinken,wang  trade        -       call    planned   no  Planned.
cancelled-visit 2024-03-01 blinken       climate      beijing visit   cancelled no  Off.
sometime-talks  -          sullivan,wang taiwan       -       meeting held      yes Fentanyl; no day
second-beijing  2024-04-26 blinken,wang  taiwan       beijing meeting held      no  Fentanyl.
rejected-talks  2023-08-01 sullivan,wang taiwan,trade vienna  meeting held      yes Fentanyl.
"""


@pytest.fixture
def meetings():
    """Ten meetings across topics, people, places, channels, kinds, statuses and dates; one
    undated, one rejected."""
    people = {
        "wang": PersonFactory(name="Wang Yi", slug="wang-yi", country="CN"),
        "sullivan": PersonFactory(name="Jake Sullivan", slug="jake-sullivan", country="US"),
        "blinken": PersonFactory(name="Antony Blinken", slug="antony-blinken", country="US"),
    }
    topics = {
        slug: TopicFactory(name=slug.title(), slug=slug) for slug in ("taiwan", "trade", "climate")
    }
    china = LocationFactory(name="China", slug="china", kind="country", country="CN")
    places = {
        "beijing": LocationFactory(name="Beijing", slug="beijing", country="CN", parent=china),
        "vienna": LocationFactory(name="Vienna", slug="vienna", country="AT"),
    }
    channel = ChannelFactory(name="Sullivan–Wang Yi channel", slug="sullivan-wang-yi")
    for line in PLAN.strip().splitlines():
        slug, day, who, about, where, kind, status, channelled, summary = line.split(maxsplit=8)
        day = None if day == "-" else date.fromisoformat(day)
        meeting = MeetingFactory(
            title=slug.replace("-", " ").title(),
            slug=slug,
            start_date=day,
            end_date=day,
            date_precision="day" if day else "unknown",
            location=places.get(where),
            kind=kind,
            status=status,
            summary=summary,
            review_state="rejected" if slug.startswith("rejected") else "auto",
        )
        for key in who.split(","):
            person = people[key]
            ParticipationFactory(meeting=meeting, person=person, side=person.country.lower())
        for topic in about.split(","):
            MeetingTopicFactory(meeting=meeting, topic=topics[topic])
        if channelled == "yes":
            meeting.meeting_channels.create(channel=channel)


def shown_slugs(html: str) -> set[str]:
    return set(MEETING_LINK.findall(html[html.index("<main") :]))


def export_links(html: str) -> dict[str, str]:
    links = {kind: unescape(url) for url, kind in EXPORT_LINK.findall(html)}
    assert set(links) == {"csv", "json", "atom", "ics"}
    return links


def csv_slugs(response) -> set[str]:
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    return {row["slug"] for row in csv.DictReader(io.StringIO(text))}


def json_slugs(response) -> set[str]:
    body = response.json()
    assert body["next"] is None
    return {row["slug"] for row in body["results"]}


def atom_slugs(response) -> set[str]:
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    return {entry.link.rstrip("/").rsplit("/", 1)[1] for entry in feed.entries}


def ics_slugs(response) -> set[str]:
    assert response["Content-Type"].startswith("text/calendar")
    events = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    return {str(event["url"]).rstrip("/").rsplit("/", 1)[1] for event in events}


READERS = {"csv": csv_slugs, "json": json_slugs, "atom": atom_slugs, "ics": ics_slugs}

PAGES = [
    ("diplomacy:timeline", [], {}),
    ("diplomacy:timeline", [], {"topic": "taiwan"}),
    ("diplomacy:timeline", [], {"topic": ["taiwan", "climate"], "status": "held"}),
    ("diplomacy:timeline", [], {"participant": "wang-yi", "date_from": "2023-06-01"}),
    ("diplomacy:timeline", [], {"participant": ["antony-blinken", "wang-yi"], "kind": "call"}),
    ("diplomacy:timeline", [], {"location": "china", "date_to": "2024-03-31"}),
    ("diplomacy:timeline", [], {"channel": "sullivan-wang-yi", "ordering": "start_date"}),
    ("diplomacy:timeline", [], {"q": "fentanyl"}),
    # Filters the page ignores (and says so) are left out of its links too.
    ("diplomacy:timeline", [], {"topic": "no-such-topic", "kind": "visit"}),
    ("diplomacy:timeline", [], {"date_from": "2023-13-45", "status": "planned"}),
    ("diplomacy:topic", ["taiwan"], {}),
    ("diplomacy:topic", ["climate"], {}),
    ("diplomacy:person", ["jake-sullivan"], {}),
    ("diplomacy:person", ["antony-blinken"], {}),
    ("diplomacy:channel", ["sullivan-wang-yi"], {}),
    ("diplomacy:search", [], {"q": "fentanyl"}),
    ("diplomacy:search", [], {"q": "trade"}),
]


@pytest.mark.parametrize(("route", "args", "params"), PAGES)
def test_each_export_link_returns_the_meetings_the_page_shows(
    client, meetings, route, args, params
):
    """CSV, JSON and Atom list exactly the page's meetings; iCalendar the dated ones (an
    event needs a day)."""
    html = client.get(reverse(route, args=args), params).content.decode()
    shown = shown_slugs(html)
    assert shown, "the page shows no meeting: the comparison would prove nothing"
    assert "rejected-talks" not in shown
    undated = set(Meeting.objects.filter(start_date__isnull=True).values_list("slug", flat=True))

    for kind, url in export_links(html).items():
        response = client.get(url)
        assert response.status_code == 200, (kind, url, response.content[:300])
        expected = shown - undated if kind == "ics" else shown
        assert READERS[kind](response) == expected, (kind, url)


@pytest.mark.parametrize(("route", "args", "params"), PAGES[:3] + PAGES[10:])
def test_each_list_page_names_its_feeds_for_feed_readers(client, meetings, route, args, params):
    """<link rel="alternate"> in the head points at the page's Atom feed and iCalendar."""
    html = client.get(reverse(route, args=args), params).content.decode()
    head = html[: html.index("</head>")]

    alternates = {kind: unescape(url) for kind, url in ALTERNATE.findall(head)}
    links = export_links(html)
    assert alternates == {"application/atom+xml": links["atom"], "text/calendar": links["ics"]}


def test_it_carries_the_timelines_filters_into_its_links(client, meetings):
    html = client.get(
        reverse("diplomacy:timeline"), {"topic": ["taiwan", "trade"], "q": "talks", "page": "1"}
    ).content.decode()

    links = export_links(html)
    assert links["csv"] == "/api/v1/meetings/?topic=taiwan&topic=trade&q=talks&format=csv"
    assert links["json"] == "/api/v1/meetings/?topic=taiwan&topic=trade&q=talks&format=json"
    assert links["atom"] == "/feeds/meetings.atom?topic=taiwan&topic=trade&q=talks"
    assert links["ics"] == "/feeds/meetings.ics?topic=taiwan&topic=trade&q=talks"


def test_it_updates_the_links_with_the_htmx_results(client, meetings):
    """The links sit in the results fragment, so filtering in place refreshes them."""
    html = client.get(
        reverse("diplomacy:timeline"), {"kind": "call"}, headers={"HX-Request": "true"}
    ).content.decode()

    assert export_links(html)["atom"] == "/feeds/meetings.atom?kind=call"


def test_it_offers_no_links_before_a_search(client):
    html = client.get(reverse("diplomacy:search")).content.decode()

    assert "data-export" not in html and 'rel="alternate"' not in html
