"""Who met whom: the network selector, /api/v1/network/, the network page and a person's."""

import re
from datetime import date
from html import unescape

import pytest
from django.urls import reverse

from diplomacy import charts, selectors
from diplomacy.models import Meeting
from tests.factories import (
    ChannelFactory,
    MeetingFactory,
    MeetingTopicFactory,
    MentionFactory,
    ParticipationFactory,
    PersonFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db

API = "api:network"
PAGE = "diplomacy:network"


def meeting_of(*people, day=date(2024, 1, 26), topic=None, channel=None, **fields):
    """Create a meeting attended by `people`, optionally on a topic and through a channel."""
    meeting = MeetingFactory(start_date=day, end_date=day, **fields)
    for person in people:
        side = {"US": "us", "CN": "cn"}.get(person.country, "other")
        ParticipationFactory(meeting=meeting, person=person, side=side)
    if topic:
        MeetingTopicFactory(meeting=meeting, topic=topic)
    if channel:
        meeting.meeting_channels.create(channel=channel)
    return meeting


@pytest.fixture
def officials():
    """Sullivan met Wang Yi twice (once on Taiwan, through the channel), Blinken met Wang Yi
    and Qin Gang together once; a US-only meeting, a rejected one and a Taiwanese official
    add nothing."""
    people = {
        "sullivan": PersonFactory(name="Jake Sullivan", slug="jake-sullivan", country="US"),
        "blinken": PersonFactory(name="Antony Blinken", slug="antony-blinken", country="US"),
        "wang": PersonFactory(name="Wang Yi", slug="wang-yi", country="CN"),
        "qin": PersonFactory(name="Qin Gang", slug="qin-gang", country="CN"),
        "lai": PersonFactory(name="Lai Ching-te", slug="lai-ching-te", country="TW"),
    }
    taiwan = TopicFactory(name="Taiwan", slug="taiwan")
    channel = ChannelFactory(name="Sullivan–Wang Yi channel", slug="sullivan-wang-yi")
    meetings = {
        "vienna": meeting_of(
            people["sullivan"],
            people["wang"],
            day=date(2023, 5, 11),
            topic=taiwan,
            channel=channel,
        ),
        "malta": meeting_of(people["sullivan"], people["wang"], day=date(2023, 9, 16)),
        "beijing": meeting_of(
            people["blinken"], people["wang"], people["qin"], day=date(2023, 6, 18)
        ),
        "washington": meeting_of(people["sullivan"], people["blinken"], day=date(2023, 7, 1)),
        "rejected": meeting_of(
            people["blinken"], people["wang"], day=date(2023, 8, 1), review_state="rejected"
        ),
        "taipei": meeting_of(people["sullivan"], people["lai"], day=date(2023, 8, 2)),
    }
    return {**people, **meetings, "taiwan": taiwan, "channel": channel}


def network_of(meetings=None):
    return selectors.meeting_network(meetings or Meeting.objects.visible())


# The selector -------------------------------------------------------------------------------


def test_it_joins_us_and_prc_officials_who_attended_a_meeting_together(officials):
    """One edge per US–PRC pair, with the ids of their visible meetings; nodes busiest first."""
    network = network_of()

    assert [(node.slug, node.side, node.meeting_count) for node in network.nodes] == [
        ("wang-yi", "cn", 3),
        ("jake-sullivan", "us", 2),
        ("antony-blinken", "us", 1),
        ("qin-gang", "cn", 1),
    ]
    edges = {(edge.source, edge.target): edge.meeting_ids for edge in network.edges}
    assert edges == {
        ("jake-sullivan", "wang-yi"): tuple(
            sorted([officials["vienna"].pk, officials["malta"].pk])
        ),
        ("antony-blinken", "wang-yi"): (officials["beijing"].pk,),
        ("antony-blinken", "qin-gang"): (officials["beijing"].pk,),
    }
    assert network.edges[0].meeting_count == 2
    assert network.meeting_count == 3


def test_it_orders_officials_by_meetings_then_name():
    """Ties on the number of meetings are broken by name, so the layout never moves."""
    wang = PersonFactory(name="Wang Yi", slug="wang-yi", country="CN")
    for name in ("Zed Young", "Ann Adams", "Mia Moss"):
        meeting_of(PersonFactory(name=name, country="US"), wang)

    assert [node.name for node in network_of().side("us")] == ["Ann Adams", "Mia Moss", "Zed Young"]


def test_it_keeps_the_busiest_officials_of_each_side_and_their_edges(officials):
    trimmed = network_of().trimmed(1)

    assert [node.slug for node in trimmed.nodes] == ["wang-yi", "jake-sullivan"]
    assert [(edge.source, edge.target) for edge in trimmed.edges] == [("jake-sullivan", "wang-yi")]
    kept = network_of().trimmed(1, keep="qin-gang")
    assert "qin-gang" in [node.slug for node in kept.nodes]


# The API ------------------------------------------------------------------------------------


def test_it_serves_the_network(api_client, officials):
    """Nodes carry slug, name, side, meeting count and page address; edges the meeting ids."""
    body = api_client.get(reverse(API)).json()

    assert body["meeting_count"] == 3
    wang = body["nodes"][0]
    assert wang == {
        "slug": "wang-yi",
        "name": "Wang Yi",
        "side": "cn",
        "meeting_count": 3,
        "url": "http://testserver" + reverse("diplomacy:person", args=["wang-yi"]),
    }
    assert body["edges"][0] == {
        "source": "jake-sullivan",
        "target": "wang-yi",
        "meeting_count": 2,
        "meeting_ids": sorted([officials["vienna"].pk, officials["malta"].pk]),
    }
    assert "lai-ching-te" not in {node["slug"] for node in body["nodes"]}


@pytest.mark.parametrize(
    ("params", "pairs"),
    [
        ({"topic": "taiwan"}, {("jake-sullivan", "wang-yi")}),
        ({"channel": "sullivan-wang-yi"}, {("jake-sullivan", "wang-yi")}),
        (
            {"date_from": "2023-06-01", "date_to": "2023-06-30"},
            {("antony-blinken", "wang-yi"), ("antony-blinken", "qin-gang")},
        ),
        ({"date_from": "2023-09-01"}, {("jake-sullivan", "wang-yi")}),
        ({"person": "qin-gang"}, {("antony-blinken", "wang-yi"), ("antony-blinken", "qin-gang")}),
        ({"topic": "taiwan", "date_from": "2023-06-01"}, set()),
    ],
)
def test_it_filters_the_network_like_the_meeting_list(api_client, officials, params, pairs):
    body = api_client.get(reverse(API), params).json()

    assert {(edge["source"], edge["target"]) for edge in body["edges"]} == pairs
    listed = api_client.get(reverse("api:meeting-list"), _as_list_filters(params)).json()
    edge_meetings = {pk for edge in body["edges"] for pk in edge["meeting_ids"]}
    assert edge_meetings <= {row["id"] for row in listed["results"]}


def _as_list_filters(params: dict) -> dict:
    return {("participant" if key == "person" else key): value for key, value in params.items()}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("date_from", "not-a-date"),
        ("date_to", "2024-13-45"),
        ("date_from", "9" * 5000),
        ("date_to", "2024-01-01\x00"),
        ("topic", "no-such-topic"),
        ("channel", "no-such-channel"),
        ("person", "nobody"),
        ("person", "<script>alert(1)</script>"),
    ],
)
def test_it_refuses_invalid_filters_naming_the_field(api_client, officials, name, value):
    """A bad filter is a 400 in the API's error shape, naming the field."""
    response = api_client.get(reverse(API), {name: value})

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "errors"} and list(body["errors"]) == [name]


def test_it_needs_credentials_when_reading_is_not_public(api_client, settings, officials):
    settings.PUBLIC_READ = False

    assert api_client.get(reverse(API)).status_code == 401


def test_it_answers_304_when_the_network_has_not_changed(api_client, officials):
    first = api_client.get(reverse(API))

    again = api_client.get(reverse(API), headers={"If-None-Match": first["ETag"]})

    assert again.status_code == 304


def many_meetings(count: int):
    """Create `count` meetings on Taiwan, each between a new US and a new PRC official."""
    taiwan = TopicFactory(name="Taiwan", slug="taiwan")
    for index in range(count):
        meeting_of(
            PersonFactory(name=f"US official {index:02}", country="US"),
            PersonFactory(name=f"PRC official {index:02}", country="CN"),
            day=date(2023, 1 + index % 12, 1 + index % 27),
            topic=taiwan,
        )


@pytest.mark.parametrize("rows", [3, 30])
def test_it_serves_the_network_in_a_fixed_number_of_queries(
    api_client, django_assert_num_queries, rows
):
    many_meetings(rows)

    # the data revision (for the ETag and the cache), the topic's lookup, the pairs with
    # their meetings
    with django_assert_num_queries(3):
        body = api_client.get(reverse(API), {"topic": "taiwan"}).json()
    # the same, from the cache
    with django_assert_num_queries(2):
        again = api_client.get(reverse(API), {"topic": "taiwan"}).json()

    assert len(body["edges"]) == rows and len(body["nodes"]) == 2 * rows
    assert again == body


def test_it_draws_the_network_anew_when_the_data_changes(api_client, officials):
    """The cached network lasts only as long as the data revision."""
    before = api_client.get(reverse(API), {"person": "qin-gang"}).json()
    meeting_of(officials["sullivan"], officials["qin"], day=date(2023, 10, 1))

    after = api_client.get(reverse(API), {"person": "qin-gang"}).json()

    assert len(after["edges"]) == len(before["edges"]) + 1


def test_it_documents_the_network_in_the_schema(api_client):
    schema = api_client.get(reverse("schema"), {"format": "json"}).json()

    operation = schema["paths"]["/api/v1/network/"]["get"]
    assert {parameter["name"] for parameter in operation["parameters"]} == {
        "topic",
        "channel",
        "date_from",
        "date_to",
        "person",
    }
    assert {"200", "400"} <= set(operation["responses"])
    assert set(schema["components"]["schemas"]["NetworkEdge"]["properties"]) == {
        "source",
        "target",
        "meeting_count",
        "meeting_ids",
    }


# The chart ----------------------------------------------------------------------------------


def person_url(slug: str) -> str:
    return f"/people/{slug}/"


def test_it_draws_us_officials_left_and_prc_officials_right(officials):
    """Edges are as wide as their number of meetings; the chart needs no inline style."""
    svg = str(charts.network_chart(network_of(), lambda us, cn: f"/pair/{us}/{cn}/", person_url))

    circles = dict(re.findall(r'href="/people/([^/]+)/"[^>]*>.*?<circle cx="(-?[\d.]+)"', svg))
    assert float(circles["jake-sullivan"]) < float(circles["wang-yi"])
    assert circles["jake-sullivan"] == circles["antony-blinken"]
    widths = dict(re.findall(r'href="/pair/([^"]+)/"[^>]*><line [^>]*stroke-width="([\d.]+)"', svg))
    assert float(widths["jake-sullivan/wang-yi"]) > float(widths["antony-blinken/wang-yi"])
    assert "style=" not in svg and "<script" not in svg
    assert 'role="group"' in svg and "aria-label=" in svg


def test_it_draws_nothing_without_a_pair():
    assert str(charts.network_chart(selectors.Network(), lambda us, cn: "", person_url)) == ""


def test_it_escapes_names_in_the_chart():
    meeting_of(
        PersonFactory(name="<b>Eve</b> & co", slug="eve", country="US"),
        PersonFactory(name="Wang Yi", slug="wang-yi", country="CN"),
    )
    svg = str(charts.network_chart(network_of(), lambda us, cn: "", person_url))

    assert "<b>" not in svg and "&lt;b&gt;Eve&lt;/b&gt; &amp; co" in svg


# The pages ----------------------------------------------------------------------------------


def test_it_shows_the_network_page_with_a_table_of_pairs(client, officials):
    """Each pair links to the timeline of exactly its meetings."""
    html = client.get(reverse(PAGE)).content.decode()

    assert '<svg class="network-chart"' in html
    rows = re.findall(r'<a href="([^"]+)" data-testid="pair-meetings">(\d+) meetings?</a>', html)
    assert [count for _, count in rows] == ["2", "1", "1"]
    url, _ = rows[0]
    timeline = client.get(unescape(url)).content.decode()
    assert timeline.count('class="card meeting-card') == 2
    assert officials["vienna"].title in timeline and officials["malta"].title in timeline


def test_it_filters_the_network_page(client, officials):
    html = client.get(reverse(PAGE), {"topic": "taiwan"}).content.decode()

    table = html[html.index("Pairs who met") :]
    assert "Jake Sullivan" in table and "Antony Blinken" not in table
    [link] = re.findall(r'<a href="([^"]+)" data-testid="pair-meetings">', html)
    assert unescape(link).endswith("?topic=taiwan&participant=jake-sullivan&participant=wang-yi")


def test_it_reports_and_ignores_invalid_filters_on_the_page(client, officials):
    response = client.get(reverse(PAGE), {"date_from": "not-a-date"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "From: Enter a valid date. This filter was ignored." in html
    assert html.count('data-testid="pair-meetings"') == 3


def test_it_takes_the_forms_empty_choices_as_no_filter(client, officials):
    """The form sends "Any channel" and empty dates as empty values: they filter nothing."""
    response = client.get(reverse(PAGE), {"channel": "", "date_from": "", "topic": "taiwan"})

    html = response.content.decode()
    assert "could not be used" not in html
    assert html.count('data-testid="pair-meetings"') == 1


def test_it_shows_the_busiest_officials_and_links_to_all(client):
    """Beyond twelve a side the page draws the busiest, with a link that shows everyone."""
    wang = PersonFactory(name="Wang Yi", slug="wang-yi", country="CN")
    for index in range(15):
        meeting_of(PersonFactory(name=f"Envoy {index:02}", country="US"), wang)

    html = client.get(reverse(PAGE)).content.decode()
    everyone = client.get(reverse(PAGE), {"all": "1"}).content.decode()

    assert html.count('class="network-node side-us') == 12
    assert "Show all 16" in html
    assert everyone.count('class="network-node side-us') == 15
    assert "Show all" not in everyone


def test_it_says_so_when_no_pair_matches(client, officials):
    html = client.get(reverse(PAGE), {"date_from": "2030-01-01"}).content.decode()

    assert "No meeting of a US and a PRC official matches." in html
    assert "<svg" not in html[html.index("<main") :]


@pytest.mark.parametrize("rows", [3, 30])
def test_it_builds_the_network_page_in_a_bounded_number_of_queries(
    client, django_assert_max_num_queries, rows
):
    many_meetings(rows)
    client.get(reverse(PAGE))  # the filter form's topics are cached from here on

    # the data revision (for the cached network and form's topics); the topic's lookup; the
    # pairs with their meetings; the channels.
    with django_assert_max_num_queries(4):
        response = client.get(reverse(PAGE), {"topic": "taiwan", "all": "1"})

    assert response.content.decode().count('data-testid="pair-meetings"') == rows


def test_it_shows_a_persons_network_and_activity(client, officials):
    """The person page draws the people met, the person highlighted, and a monthly strip."""
    MentionFactory(kind="person", person=officials["wang"])

    html = client.get(reverse("diplomacy:person", args=["wang-yi"])).content.decode()

    section = html[html.index("Who they met") : html.index('id="meetings-heading"')]
    assert 'class="network-node side-cn ego"' in section
    assert "Jake Sullivan" in section and "Qin Gang" in section
    assert f"{reverse(PAGE)}?person=wang-yi" in section
    assert '<svg class="activity-chart"' in html
    assert "articles mentioning Wang Yi" in html


def test_it_says_so_when_a_person_met_no_counterpart(client, officials):
    html = client.get(reverse("diplomacy:person", args=["lai-ching-te"])).content.decode()

    assert "No meeting with an official of the other side recorded." in html


def test_it_links_the_network_from_the_navigation(client):
    html = client.get(reverse("diplomacy:timeline")).content.decode()

    assert f'href="{reverse(PAGE)}"' in html
