"""The channel API, the channel filter on meetings, readouts side by side, and the pages."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from diplomacy import services
from tests.factories import (
    ArticleFactory,
    ChannelFactory,
    ChannelSuspensionFactory,
    EvidenceFactory,
    MeetingFactory,
    MeetingTopicFactory,
    OfficeFactory,
    ParticipationFactory,
    PersonFactory,
    SourceFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    """A national security adviser and a foreign affairs director, with a channel between."""
    adviser = PersonFactory(name="Jake Sullivan", country="US")
    OfficeFactory(person=adviser, role="national-security-adviser", start_date=date(2021, 1, 20))
    director = PersonFactory(name="Wang Yi", country="CN")
    OfficeFactory(
        person=director, role="foreign-affairs-commission-director", start_date=date(2023, 1, 1)
    )
    channel = ChannelFactory(name="Sullivan–Wang Yi channel", slug="sullivan-wang-yi")
    return adviser, director, channel


def channel_meeting(adviser, director, day, title=None, topics=()):
    meeting = MeetingFactory(
        title=title or f"Talks on {day.isoformat()}", start_date=day, end_date=day
    )
    ParticipationFactory(meeting=meeting, person=adviser, side="us")
    ParticipationFactory(meeting=meeting, person=director, side="cn")
    for slug in topics:
        MeetingTopicFactory(meeting=meeting, topic=TopicFactory(name=slug.title(), slug=slug))
    return meeting


def channel_meetings(pair, count):
    adviser, director, _ = pair
    meetings = [
        channel_meeting(
            adviser, director, date(2023, 1, 10) + timedelta(days=20 * n), topics=["taiwan"]
        )
        for n in range(count)
    ]
    services.channels_assign_all()
    return meetings


def get_json(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()


# The list ----------------------------------------------------------------------------------


def test_it_lists_channels_with_their_latest_meeting(api_client, pair):
    """Each row counts the meetings, names the latest and the days since, and says whether a
    suspension covers today."""
    _, malta = channel_meetings(pair, 2)
    ChannelSuspensionFactory(channel=pair[2], start_date=date(2022, 8, 5), end_date=None, side="cn")

    (row,) = get_json(api_client, reverse("api:channel-list"))["results"]

    assert row["slug"] == "sullivan-wang-yi"
    assert row["meeting_count"] == 2
    assert row["last_meeting"]["slug"] == malta.slug
    assert row["last_meeting"]["start_date"] == malta.start_date.isoformat()
    assert row["days_since_last"] == (timezone.localdate() - malta.start_date).days
    assert row["suspended"] is True
    assert row["url"].endswith(reverse("diplomacy:channel", args=["sullivan-wang-yi"]))


def test_its_latest_meeting_is_the_newest_held_and_shown_one_up_to_today(api_client, pair):
    """Planned meetings, meetings after today and rejected ones are not the latest; between
    two on one day, the one recorded last is."""
    _, newer = channel_meetings(pair, 2)
    twin = channel_meeting(pair[0], pair[1], newer.start_date, title="Same day, recorded later")
    rejected = channel_meeting(pair[0], pair[1], newer.start_date + timedelta(days=5))
    planned = channel_meeting(pair[0], pair[1], newer.start_date + timedelta(days=9))
    future = channel_meeting(pair[0], pair[1], timezone.localdate() + timedelta(days=30))
    services.channels_assign_all()
    rejected.review_state = "rejected"
    rejected.save()
    planned.status = "planned"
    planned.save()

    (row,) = get_json(api_client, reverse("api:channel-list"))["results"]

    assert future.pk and row["last_meeting"]["slug"] == twin.slug
    twin.review_state = "rejected"
    twin.save()
    (row,) = get_json(api_client, reverse("api:channel-list"))["results"]
    assert row["last_meeting"]["slug"] == newer.slug


def test_it_filters_channels_by_participant_topic_and_kind(api_client, pair):
    """`participant` and `topic` look at the channel's meetings; `kind` at the channel."""
    channel_meetings(pair, 1)
    ChannelFactory(name="AI talks", kind="mechanism", us_role="", cn_role="", aliases=["AI"])
    url = reverse("api:channel-list")

    def slugs(**params):
        return [row["slug"] for row in get_json(api_client, url, **params)["results"]]

    assert slugs(participant="jake-sullivan") == ["sullivan-wang-yi"]
    assert slugs(topic="taiwan") == ["sullivan-wang-yi"]
    assert slugs(kind="mechanism") == ["ai-talks"]
    assert slugs(participant="jake-sullivan", kind="mechanism") == []


@pytest.mark.parametrize("count", [3, 30])
def test_it_lists_channels_in_a_fixed_number_of_queries(
    api_client, django_assert_max_num_queries, pair, count
):
    """The list costs the same queries for 3 channels as for 30."""
    channel_meetings(pair, 2)
    for number in range(count - 1):
        ChannelSuspensionFactory(channel=ChannelFactory(name=f"Working group {number}"))

    # 1. the data revision (ETag), 2. count, 3. the page with counts, latest meeting and
    # suspension status in subqueries
    with django_assert_max_num_queries(3):
        page = get_json(api_client, reverse("api:channel-list"), page_size=50)

    assert len(page["results"]) == count


# The detail --------------------------------------------------------------------------------


def test_it_shows_a_channel_with_its_channel_meetings_in_order(api_client, pair):
    """The detail lists meetings oldest first, the intervals between them and suspensions."""
    first, second, third = channel_meetings(pair, 3)
    ChannelSuspensionFactory(
        channel=pair[2], start_date=date(2023, 1, 15), end_date=date(2023, 1, 20)
    )

    body = get_json(api_client, reverse("api:channel-detail", args=["sullivan-wang-yi"]))

    assert [m["slug"] for m in body["meetings"]] == [first.slug, second.slug, third.slug]
    assert body["meetings"][0]["participants"][0]["slug"] == "jake-sullivan"
    assert [i["days"] for i in body["intervals"]] == [20, 20]
    assert [i["suspended"] for i in body["intervals"]] == [True, False]
    assert body["suspensions"] == [
        {"start_date": "2023-01-15", "end_date": "2023-01-20", "side": "cn", "note": ""}
    ]
    assert body["days_since_last"] == (timezone.localdate() - third.start_date).days


@pytest.mark.parametrize("count", [3, 30])
def test_it_shows_a_channel_in_a_fixed_number_of_queries(
    api_client, django_assert_max_num_queries, pair, count
):
    """The detail costs the same queries for 3 meetings as for 30; its history is then read
    from the cache until the data changes."""
    channel_meetings(pair, count)
    url = reverse("api:channel-detail", args=["sullivan-wang-yi"])

    # the data revision (twice), the channel, its suspensions, the meeting ids, the summary,
    # the page's rows
    with django_assert_max_num_queries(7):
        body = get_json(api_client, url)
    # the data revision (twice), the channel, the page's rows
    with django_assert_max_num_queries(4):
        again = get_json(api_client, url)

    assert len(body["meetings"]) == count and again == body


def test_it_answers_404_for_an_unknown_channel(api_client):
    """An unknown slug is the API's JSON 404."""
    response = api_client.get(reverse("api:channel-detail", args=["no-such-channel"]))

    assert response.status_code == 404


# The channel filter on meetings ------------------------------------------------------------


def test_it_filters_meetings_by_channel_everywhere(api_client, client, pair):
    """`channel` narrows the meeting list, the timeline, the feeds and the CSV alike."""
    (inside,) = channel_meetings(pair, 1)
    outside = MeetingFactory(title="Unrelated visit")

    listed = get_json(api_client, reverse("api:meeting-list"), channel="sullivan-wang-yi")
    timeline = client.get(reverse("diplomacy:timeline"), {"channel": "sullivan-wang-yi"})
    feed = client.get("/feeds/meetings.atom", {"channel": "sullivan-wang-yi"})
    exported = api_client.get(
        reverse("api:meeting-list"), {"channel": "sullivan-wang-yi", "format": "csv"}
    )

    assert [row["slug"] for row in listed["results"]] == [inside.slug]
    for response in (timeline, feed, exported):
        text = b"".join(response.streaming_content) if response.streaming else response.content
        assert inside.title in text.decode()
        assert outside.title not in text.decode()


# Readouts ----------------------------------------------------------------------------------


def readout(meeting, side, quote, topics):
    source = SourceFactory(
        name="The White House" if side == "us_government" else "PRC Foreign Ministry",
        kind="official",
        side=side,
    )
    article = ArticleFactory(source=source, body=quote)
    return EvidenceFactory(
        article=article, meeting=meeting, quote=quote, fields=["topics"], claims={"topics": topics}
    )


def test_it_sets_the_two_governments_readouts_side_by_side(api_client, pair):
    """Each side's sentences and topics, and the topics only one side names."""
    meeting = channel_meeting(pair[0], pair[1], date(2024, 1, 26))
    for slug in ("taiwan", "fentanyl", "tech-controls"):
        TopicFactory(name=slug.title(), slug=slug)
    readout(meeting, "us_government", "They discussed fentanyl and Taiwan.", ["fentanyl", "taiwan"])
    readout(
        meeting,
        "prc_government",
        "Wang Yi raised Taiwan and export controls.",
        ["taiwan", "tech-controls"],
    )
    EvidenceFactory(meeting=meeting, quote="A newspaper's account.")

    body = get_json(api_client, reverse("api:meeting-readouts", args=[meeting.pk]))

    assert body["both_sides"] is True
    us, prc = body["readouts"]
    assert (us["side"], prc["side"]) == ("us_government", "prc_government")
    assert [s["quote"] for s in us["sentences"]] == ["They discussed fentanyl and Taiwan."]
    assert [t["slug"] for t in us["only_here"]] == ["fentanyl"]
    assert [t["slug"] for t in prc["only_here"]] == ["tech-controls"]
    assert {t["slug"] for t in prc["topics"]} == {"taiwan", "tech-controls"}


def test_it_leaves_readouts_empty_with_one_government(api_client, pair):
    """A single government's readout has nothing to be set against."""
    meeting = channel_meeting(pair[0], pair[1], date(2024, 1, 26))
    readout(meeting, "us_government", "They met.", [])

    body = get_json(api_client, reverse("api:meeting-readouts", args=[meeting.pk]))

    assert body == {"both_sides": False, "readouts": []}


# Pages -------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [3, 30])
def test_it_renders_the_channel_index_in_a_bounded_number_of_queries(
    client, django_assert_max_num_queries, pair, count
):
    """The index costs the same queries for 3 channels as for 30."""
    channel_meetings(pair, 2)
    for number in range(count - 1):
        ChannelFactory(name=f"Working group {number}")

    # the channels with counts, latest meeting and suspension status (1)
    with django_assert_max_num_queries(2):
        response = client.get(reverse("diplomacy:channels"))

    assert response.status_code == 200
    assert response.content.decode().count('data-channel="') == count


def test_it_shows_the_index_with_the_latest_meeting_and_status(client, pair):
    """The index links each channel and its latest meeting and marks suspended ones."""
    _, latest = channel_meetings(pair, 2)
    ChannelSuspensionFactory(channel=pair[2], start_date=date(2022, 8, 5), end_date=None)

    html = client.get(reverse("diplomacy:channels")).content.decode()

    assert reverse("diplomacy:channel", args=["sullivan-wang-yi"]) in html
    assert latest.title in html
    assert "Suspended now" in html


@pytest.mark.parametrize("count", [3, 30])
def test_it_renders_a_channel_page_in_a_bounded_number_of_queries(
    client, django_assert_max_num_queries, pair, count
):
    """The channel page costs the same queries for 3 meetings as for 30; its history and
    chart are then read from the cache until the data changes."""
    channel_meetings(pair, count)
    url = reverse("diplomacy:channel", args=["sullivan-wang-yi"])

    # the channel, the data revision (twice), its suspensions, the meetings, the summary
    with django_assert_max_num_queries(6):
        response = client.get(url)
    # the channel, the data revision (twice)
    with django_assert_max_num_queries(3):
        again = client.get(url)

    assert response.status_code == again.status_code == 200
    assert again.content.count(b"<circle") == response.content.count(b"<circle") >= count


def test_it_draws_channel_meetings_and_suspensions_on_the_channel_page(client, pair):
    """The page has the SVG time axis with a shaded suspension, the meeting table as its
    text alternative, the intervals, topics over time and participants by side."""
    first, second = channel_meetings(pair, 2)
    ChannelSuspensionFactory(
        channel=pair[2], start_date=date(2022, 8, 5), end_date=date(2022, 12, 1)
    )

    html = client.get(reverse("diplomacy:channel", args=["sullivan-wang-yi"])).content.decode()

    assert '<svg class="channel-chart"' in html
    assert 'class="suspension"' in html
    assert html.index(first.title) < html.index(second.title)
    assert "Intervals between meetings" in html
    assert "Topics over time" in html and "Taiwan" in html
    assert "Jake Sullivan" in html and "Wang Yi" in html
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]


def test_it_answers_404_for_an_unknown_channel_page(client):
    """An unknown slug is a 404 page."""
    assert client.get(reverse("diplomacy:channel", args=["nothing"])).status_code == 404


def test_it_links_a_meeting_page_to_its_channels_and_readouts(client, pair):
    """A meeting page names its channels and sets both governments' readouts side by side."""
    meeting = channel_meeting(pair[0], pair[1], date(2024, 1, 26))
    services.channels_assign_all()
    TopicFactory(name="Fentanyl", slug="fentanyl")
    readout(meeting, "us_government", "They discussed fentanyl.", ["fentanyl"])
    readout(meeting, "prc_government", "Wang Yi set out China's position.", [])

    html = client.get(reverse("diplomacy:meeting", args=[meeting.slug])).content.decode()

    assert reverse("diplomacy:channel", args=["sullivan-wang-yi"]) in html
    assert "The two readouts side by side" in html
    assert "They discussed fentanyl." in html and "set out China" in html
    assert "Only this side mentions" in html


def test_it_has_a_nav_link_to_the_channels(client):
    """Every page's navigation leads to the channel index."""
    html = client.get(reverse("diplomacy:topics")).content.decode()

    assert f'href="{reverse("diplomacy:channels")}"' in html


# Bounded pages of a long channel ----------------------------------------------------------


def test_it_pages_a_channels_meetings_in_the_detail(api_client, pair, monkeypatch):
    """The detail lists a page of meetings, links the pages around and keeps the intervals
    ending on its page; `meeting_count` counts them all."""
    monkeypatch.setattr("diplomacy.api.channels.CHANNEL_MEETINGS_PAGE_SIZE", 2)
    meetings = channel_meetings(pair, 5)
    url = reverse("api:channel-detail", args=["sullivan-wang-yi"])

    first = get_json(api_client, url)
    second = get_json(api_client, url, page=2)
    last = get_json(api_client, url, page=3)

    assert [m["slug"] for m in first["meetings"]] == [m.slug for m in meetings[:2]]
    assert first["meeting_count"] == 5
    assert first["meetings_previous"] is None
    assert first["meetings_next"].endswith(f"{url}?page=2")
    assert [i["end_date"] for i in first["intervals"]] == [meetings[1].start_date.isoformat()]
    assert [m["slug"] for m in second["meetings"]] == [m.slug for m in meetings[2:4]]
    assert second["meetings_previous"].endswith(url)
    assert [m["slug"] for m in last["meetings"]] == [meetings[4].slug]
    assert last["meetings_next"] is None
    assert [i["end_date"] for i in last["intervals"]] == [meetings[4].start_date.isoformat()]
    assert last["last_meeting"]["slug"] == meetings[4].slug
    assert api_client.get(url, {"page": 4}).status_code == 404


def test_it_pages_the_channel_pages_table_but_draws_every_meeting(client, pair, monkeypatch):
    """The time axis draws every meeting; the table below lists a page of them."""
    monkeypatch.setattr("diplomacy.views.CHANNEL_TABLE_PAGE_SIZE", 2)
    meetings = channel_meetings(pair, 3)
    url = reverse("diplomacy:channel", args=["sullivan-wang-yi"])

    first = client.get(url).content.decode()
    second = client.get(url, {"page": 2}).content.decode()

    def table(html):
        return html.split('<table class="channel-meetings">', 1)[1].split("</table>", 1)[0]

    assert first.count('class="channel-meeting"') == 3
    assert [m.title in table(first) for m in meetings] == [True, True, False]
    assert [m.title in table(second) for m in meetings] == [False, False, True]
    assert 'rel="next" href="?page=2"' in first
    assert "Meetings 3–3 of 3" in second


def test_it_shows_the_first_readout_sentences_with_a_link_to_all(client, pair, monkeypatch):
    """A meeting read out many times lists the first sentences of each side, says how many
    there are and links to all of them."""
    monkeypatch.setattr("diplomacy.views.READOUT_LIMIT", 2)
    meeting = channel_meeting(pair[0], pair[1], date(2024, 1, 26))
    for number in range(3):
        readout(meeting, "us_government", f"US sentence {number}.", [])
    readout(meeting, "prc_government", "PRC sentence.", [])
    url = reverse("diplomacy:meeting", args=[meeting.slug])

    def readouts_section(response):
        return response.content.decode().split('class="section readouts"', 1)[1]

    capped = readouts_section(client.get(url))
    full = readouts_section(client.get(url, {"readouts": "all"}))

    assert capped.count("US sentence ") == 2
    assert "2 of 3 sentences from 2 of 3 readouts" in capped
    assert 'href="?readouts=all#readouts-heading"' in capped
    assert full.count("US sentence ") == 3 and "readouts=all" not in full


def test_it_counts_every_readout_sentence_when_capped(pair):
    """The cap lists fewer sentences and articles; topics and counts cover them all."""
    from diplomacy import selectors

    meeting = channel_meeting(pair[0], pair[1], date(2024, 1, 26))
    TopicFactory(name="Taiwan", slug="taiwan")
    readout(meeting, "us_government", "First.", [])
    readout(meeting, "us_government", "Second, on Taiwan.", ["taiwan"])
    readout(meeting, "prc_government", "Theirs.", [])

    us, prc = selectors.meeting_readouts(meeting.pk, 1)

    assert len(us.sentences) == 1 and us.sentences[0]["quote"] in ("First.", "Second, on Taiwan.")
    assert (len(us.articles), us.article_count, us.sentence_count) == (1, 2, 2)
    assert [t["slug"] for t in us.only_here] == ["taiwan"]
    assert us.cut and not prc.cut


def test_a_suspension_shows_on_the_next_visit_to_a_cached_channel(api_client, pair):
    """A channel's history is cached until the data changes: a suspension is a change."""
    channel_meetings(pair, 2)
    url = reverse("api:channel-detail", args=["sullivan-wang-yi"])
    before = get_json(api_client, url)

    ChannelSuspensionFactory(
        channel=pair[2], start_date=timezone.localdate() - timedelta(days=3), end_date=None
    )

    assert before["suspended"] is False
    assert get_json(api_client, url)["suspended"] is True
