"""The dashboard pages: content, filters, permissions, escaping and bounded queries."""

import re
from datetime import UTC, date, datetime

import pytest
from django.template.loader import get_template
from django.test import Client
from django.urls import reverse

from articles.models import Article
from diplomacy import selectors
from diplomacy.formatting import (
    HIGHLIGHT_START,
    HIGHLIGHT_STOP,
    Span,
    format_date_range,
    highlight_article,
    highlight_snippet,
)
from diplomacy.roles import CURATORS
from tests.factories import (
    ArticleFactory,
    EvidenceFactory,
    LocationFactory,
    MeetingFactory,
    MeetingTopicFactory,
    MentionFactory,
    OfficeFactory,
    ParticipationFactory,
    PersonFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def make_meetings(count: int, topic=None, person=None) -> list:
    """Create `count` meetings, each with two participants, two topics and two evidence rows."""
    topic = topic or TopicFactory(name="Taiwan", slug="taiwan")
    person = person or PersonFactory(name="Wang Yi", slug="wang-yi", country="CN")
    place = LocationFactory(name="Geneva", slug="geneva")
    meetings = []
    for index in range(count):
        meeting = MeetingFactory(
            title=f"Talks round {index}",
            slug=f"talks-round-{index}",
            start_date=date(2023, 1 + index % 12, 1 + index % 27),
            location=place,
            article_count=1,
        )
        ParticipationFactory(meeting=meeting, person=person, side="cn", role="Foreign Minister")
        ParticipationFactory(meeting=meeting, side="us")
        MeetingTopicFactory(meeting=meeting, topic=topic)
        MeetingTopicFactory(meeting=meeting)
        article = ArticleFactory()
        EvidenceFactory(meeting=meeting, article=article, fields=["date", "participants"])
        EvidenceFactory(
            meeting=meeting, article=article, start=10, fields=["status"], claims={"status": "held"}
        )
        MentionFactory(article=article, kind="topic", topic=topic)
        meetings.append(meeting)
    return meetings


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="curator", is_staff=True))
    return client


@pytest.fixture
def user_client(client):
    client.force_login(UserFactory(username="analyst"))
    return client


# Dates at their precision -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "precision", "expected"),
    [
        (date(2024, 1, 26), date(2024, 1, 27), "day", "26–27 Jan 2024"),
        (date(2023, 11, 15), date(2023, 11, 15), "day", "15 Nov 2023"),
        (date(2023, 11, 15), None, "day", "15 Nov 2023"),
        (date(2024, 1, 30), date(2024, 2, 2), "day", "30 Jan – 2 Feb 2024"),
        (date(2023, 12, 30), date(2024, 1, 2), "day", "30 Dec 2023 – 2 Jan 2024"),
        (date(2023, 11, 1), date(2023, 11, 30), "month", "Nov 2023"),
        (date(2023, 11, 1), date(2023, 12, 31), "month", "Nov–Dec 2023"),
        (date(2023, 1, 1), date(2023, 12, 31), "year", "2023"),
        (None, None, "unknown", "date unknown"),
        (date(2023, 1, 1), None, "unknown", "date unknown"),
        (date(2024, 1, 29), date(2024, 2, 4), "unknown", "between 29 Jan 2024 and 4 Feb 2024"),
    ],
)
def test_it_formats_dates_at_their_precision(start, end, precision, expected):
    """A date range is written only as precisely as it is known."""
    assert format_date_range(start, end, precision) == expected


def test_it_escapes_snippets_but_keeps_the_highlight():
    """Search snippets are escaped; only the highlight markers become <mark>."""
    raw = f"<b>x</b> {HIGHLIGHT_START}fentanyl{HIGHLIGHT_STOP} {HIGHLIGHT_START}open"
    html = str(highlight_snippet(raw))
    assert html == "&lt;b&gt;x&lt;/b&gt; <mark>fentanyl</mark> <mark>open</mark>"


def test_it_keeps_highlights_well_nested():
    """Mentions inside a sentence nest in it; overlapping or crossing ones are dropped."""
    body = "Wang Yi met Blinken. <b>Then</b> they left."
    html = str(
        highlight_article(
            body,
            [
                Span(0, 7, "person", "/people/wang-yi/", "Wang Yi"),
                Span(3, 10, "person"),  # overlaps the first mention
                Span(18, 24, "date"),  # crosses the sentence end
            ],
            [Span(0, 20, "evidence", label="Evidence for: talks")],
        )
    )
    assert html.startswith(
        '<span class="evidence" id="ev-0" title="Evidence for: talks">'
        '<a class="mention mention-person" href="/people/wang-yi/" title="Wang Yi">Wang Yi</a>'
    )
    assert "&lt;b&gt;Then&lt;/b&gt;" in html
    assert html.count("<a ") == 1 and "<mark" not in html


def test_it_highlights_a_very_large_article_correctly():
    """A million characters with 30,000 mentions and 1,000 sentences come out whole and nested."""
    sentence = "Wang Yi met Jake Sullivan in Vienna on 10 May for talks both sides called useful. "
    count = 1_000_000 // len(sentence)
    body = sentence * count
    step = count // 1000
    mentions = []
    for index in range(10_000):
        start = index * len(sentence)
        for text, kind, url in (
            ("Wang Yi", "person", "/people/wang-yi/"),
            ("Jake Sullivan", "person", "/people/jake-sullivan/"),
            ("10 May", "date", ""),
        ):
            offset = start + sentence.index(text)
            mentions.append(Span(offset, offset + len(text), kind, url, text))
    # Crosses the end of the first evidence sentence: dropped, so the markup stays nested.
    mentions.append(Span(len(sentence) - 8, len(sentence), "person"))
    sentences = [
        Span(index * len(sentence), (index + 1) * len(sentence) - 1, "evidence", label="Talks")
        for index in range(0, count, step)
    ]

    html = str(highlight_article(body, mentions, sentences))

    assert len(body) >= 990_000 and len(mentions) > 30_000 and len(sentences) >= 1000
    assert re.sub(r"<[^>]+>", "", html) == body  # every character, once, in order
    assert html.count('<span class="evidence"') == len(sentences)
    assert html.count("</span>") == len(sentences)
    assert html.count('<a class="mention mention-person"') == 20_000
    assert html.count('<mark class="mention mention-date" title="10 May">10 May</mark>') == 10_000
    assert html.startswith(
        '<span class="evidence" id="ev-0" title="Talks">'
        '<a class="mention mention-person" href="/people/wang-yi/" title="Wang Yi">Wang Yi</a> met '
    )
    last = sentences[-1].start
    assert f'<span class="evidence" id="ev-{last}" title="Talks">' in html
    middle = 5_001 * len(sentence)  # inside the mentioned part, outside every evidence sentence
    assert 5_001 % step and html.count(f'id="ev-{middle}"') == 0
    assert html.endswith("called useful. ")


def test_it_escapes_hostile_text_links_and_labels_in_highlights():
    """Text, kinds, URLs and labels of highlights are escaped: no tag or quote breaks out."""
    body = """<script>alert("x")</script> & O'Neil met 'them' <b>here</b>."""
    script = body.index("alert")
    neil = body.index("O'Neil")
    html = str(
        highlight_article(
            body,
            [
                Span(0, 8, "person", '/people/x/?a=1&b="2"', '"><script>alert(1)</script>'),
                Span(script, script + 5, 'date"><i', "", "a & 'b'"),
                Span(neil, neil + 6, "person", "/people/o-neil/", "O'Neil & <Co>"),
            ],
            [Span(body.index("O'Neil"), len(body), "evidence", label='Evidence for: <i>"A" & B')],
        )
    )
    assert html == (
        '<a class="mention mention-person" href="/people/x/?a=1&amp;b=&quot;2&quot;" '
        'title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">&lt;script&gt;</a>'
        '<mark class="mention mention-date&quot;&gt;&lt;i" title="a &amp; &#x27;b&#x27;">'
        "alert</mark>(&quot;x&quot;)&lt;/script&gt; &amp; "
        f'<span class="evidence" id="ev-{neil}" '
        'title="Evidence for: &lt;i&gt;&quot;A&quot; &amp; B">'
        '<a class="mention mention-person" href="/people/o-neil/" '
        'title="O&#x27;Neil &amp; &lt;Co&gt;">O&#x27;Neil</a>'
        " met &#x27;them&#x27; &lt;b&gt;here&lt;/b&gt;.</span>"
    )


def test_it_escapes_hostile_names_on_the_article_page(client):
    """Names of people, places, topics and meetings become tooltips, escaped, never markup."""
    hostile = "<script>alert('n')</script> \"Q\" & Co"
    body = "Wang Yi met in Geneva about Taiwan."
    article = ArticleFactory(body=body, status="done")
    found = {
        "person": PersonFactory(name=hostile, slug="wang-yi"),
        "location": LocationFactory(name=hostile, slug="geneva"),
        "topic": TopicFactory(name=hostile, slug="taiwan"),
    }
    for (kind, entity), text in zip(found.items(), ("Wang Yi", "Geneva", "Taiwan"), strict=True):
        start = body.index(text)
        MentionFactory(
            article=article,
            kind=kind,
            text=text,
            start=start,
            end=start + len(text),
            **{kind: entity},
        )
    EvidenceFactory(article=article, meeting=MeetingFactory(title=hostile), start=0, end=len(body))
    html = client.get(reverse("articles:article", args=[article.pk])).content.decode()
    escaped = "&lt;script&gt;alert(&#x27;n&#x27;)&lt;/script&gt; &quot;Q&quot; &amp; Co"
    assert "<script>alert(" not in html and '"Q"' not in html
    assert f'href="/people/wang-yi/" title="{escaped}">Wang Yi</a>' in html
    assert f'href="/?location=geneva" title="Meetings in {escaped}">Geneva</a>' in html
    assert f'href="/topics/taiwan/" title="Topic: {escaped}">Taiwan</a>' in html
    assert f'<span class="evidence" id="ev-0" title="Evidence for: {escaped}">' in html


# Timeline ---------------------------------------------------------------------------------


def test_it_lists_meetings_newest_first_grouped_by_month(client):
    """The timeline shows cards under month headings, newest first, undated last."""
    MeetingFactory(title="Older talks", slug="older", start_date=date(2023, 11, 15))
    MeetingFactory(
        title="Newer summit",
        slug="newer",
        kind="summit",
        start_date=date(2024, 1, 26),
        end_date=date(2024, 1, 27),
    )
    MeetingFactory(
        title="Undated call",
        slug="undated",
        start_date=None,
        end_date=None,
        date_precision="unknown",
    )
    response = client.get(reverse("diplomacy:timeline"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("January 2024") < html.index("November 2023") < html.index("Date unknown")
    assert html.index("Newer summit") < html.index("Older talks") < html.index("Undated call")
    assert "26–27 Jan 2024" in html and "date unknown" in html
    assert "3</strong> meetings" in html


def test_it_shows_a_card_with_participants_sides_topics_and_reports(client):
    """A card shows kind, status, place, participants with their side, topics and reports."""
    meeting = make_meetings(1)[0]
    html = client.get(reverse("diplomacy:timeline")).content.decode()
    assert reverse("diplomacy:meeting", args=[meeting.slug]) in html
    assert "Wang Yi" in html and 'class="side-dot side-cn"' in html and "China" in html
    assert reverse("diplomacy:topic", args=["taiwan"]) in html
    assert "Geneva" in html and "1 report" in html
    assert 'badge-kind kind-meeting">Meeting' in html and "Held" in html


def test_it_filters_the_timeline_with_the_api_parameters(client):
    """Topic, participant, place, kind, status, dates and text filter like the API."""
    taiwan = TopicFactory(name="Taiwan", slug="taiwan")
    climate = TopicFactory(name="Climate", slug="climate")
    kerry = PersonFactory(name="John Kerry", slug="john-kerry")
    on_taiwan = MeetingFactory(title="Strait talks", slug="strait", start_date=date(2023, 6, 1))
    on_climate = MeetingFactory(
        title="Climate talks", slug="climate-talks", kind="dialogue", start_date=date(2023, 7, 1)
    )
    MeetingTopicFactory(meeting=on_taiwan, topic=taiwan)
    MeetingTopicFactory(meeting=on_climate, topic=climate)
    ParticipationFactory(meeting=on_climate, person=kerry)
    url = reverse("diplomacy:timeline")
    cases = {
        "topic=taiwan": "Strait talks",
        "participant=john-kerry": "Climate talks",
        "kind=dialogue": "Climate talks",
        "date_from=2023-06-15": "Climate talks",
        "date_to=2023-06-15": "Strait talks",
        "q=strait": "Strait talks",
    }
    for query, expected in cases.items():
        html = client.get(f"{url}?{query}").content.decode()
        other = {"Strait talks", "Climate talks"} - {expected}
        assert expected in html, query
        assert other.pop() not in html, query
    both = client.get(f"{url}?topic=taiwan&topic=climate").content.decode()
    assert "Strait talks" in both and "Climate talks" in both
    assert 'value="taiwan" checked' in both


@pytest.mark.parametrize(
    "query",
    [
        "topic=no-such-topic",
        "participant=nobody",
        "location=atlantis",
        "kind=banquet",
        "status=imagined",
        "date_from=yesterday",
        "date_to=2024-13-45",
        "page=abc",
        "page=999",
        "q=" + "x" * 300,
        "q=%00%27%22",
        "ordering=-title",
    ],
)
def test_it_reports_invalid_filters_without_failing(client, query):
    """A malformed filter value gives the page with a message, never a server error."""
    make_meetings(1)
    response = client.get(reverse("diplomacy:timeline") + "?" + query)
    assert response.status_code == 200
    if not query.startswith(("page=", "q=%00")):
        assert "Some filters could not be used" in response.content.decode()


def test_it_warns_when_the_date_range_is_reversed(client):
    """A "from" date after the "to" date is explained rather than silently empty."""
    response = client.get(
        reverse("diplomacy:timeline") + "?date_from=2024-02-01&date_to=2024-01-01"
    )
    assert "is after the “to” date" in response.content.decode()


def test_it_shows_a_helpful_empty_state(client):
    """No match says so and offers to clear the filters and to search articles."""
    make_meetings(1)
    html = client.get(reverse("diplomacy:timeline") + "?q=nothingmatches").content.decode()
    assert "No meetings match these filters" in html
    assert reverse("diplomacy:search") + "?q=nothingmatches" in html
    empty = client.get(reverse("diplomacy:timeline") + "?topic=taiwan&status=cancelled")
    assert "clear all filters" in empty.content.decode()


def test_it_hides_rejected_meetings(client):
    """Meetings a curator rejected do not appear on the timeline."""
    MeetingFactory(title="Kept", slug="kept")
    MeetingFactory(title="Rejected one", slug="rejected", review_state="rejected")
    html = client.get(reverse("diplomacy:timeline")).content.decode()
    assert "Kept" in html and "Rejected one" not in html


def test_it_returns_only_the_results_to_htmx_and_pushes_a_clean_url(client):
    """An htmx request gets the results fragment, the URL to push, and a Vary header."""
    make_meetings(2)
    response = client.get(
        reverse("diplomacy:timeline") + "?topic=taiwan&q=&kind=",
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "filter-form" not in html and "Talks round 0" in html
    assert response.headers["HX-Push-Url"] == "/?topic=taiwan"
    assert "HX-Request" in response.headers["Vary"]


def test_it_renders_the_full_page_on_history_restore(client):
    """Back/Forward restores fetch the whole page, with the form showing the filters."""
    make_meetings(1)
    response = client.get(
        reverse("diplomacy:timeline") + "?topic=taiwan",
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    html = response.content.decode()
    assert "<html" in html and 'value="taiwan" checked' in html


def test_it_draws_a_month_strip_whose_bars_narrow_the_dates(client):
    """The strip has a link per month that sets date_from and date_to, keeping other filters."""
    make_meetings(3)
    html = client.get(reverse("diplomacy:timeline") + "?topic=taiwan").content.decode()
    assert '<svg class="strip-chart"' in html
    assert 'href="/?topic=taiwan&amp;date_from=2023-02-01&amp;date_to=2023-02-28"' in html
    chosen = client.get(
        reverse("diplomacy:timeline") + "?date_from=2023-02-01&date_to=2023-02-28"
    ).content.decode()
    assert 'class="hit selected"' in chosen
    assert "1</strong> meeting match" in chosen


def test_it_offers_chips_that_remove_one_filter_each(client):
    """Each active filter is a chip linking to the same filters without it."""
    make_meetings(1)
    TopicFactory(name="Climate", slug="climate")
    html = client.get(
        reverse("diplomacy:timeline") + "?topic=taiwan&topic=climate"
    ).content.decode()
    assert 'href="/?topic=climate"' in html and 'href="/?topic=taiwan"' in html
    assert "Clear all" in html


def test_it_paginates_the_timeline(client):
    """Fifty meetings a page, with a link to the older ones."""
    make_meetings(51)
    first = client.get(reverse("diplomacy:timeline")).content.decode()
    assert first.count('class="card meeting-card') == 50
    assert "?page=2" in first and "Page 1 of 2" in first
    second = client.get(reverse("diplomacy:timeline") + "?page=2").content.decode()
    assert second.count('class="card meeting-card') == 1


def test_the_timeline_renders_each_card_once_per_revision_of_the_data(client, monkeypatch):
    """Cards come from the cache (all of a page's in one read) until the data changes."""
    from django.core.cache import cache

    from diplomacy import views
    from diplomacy.revision import revision_bump

    make_meetings(3)
    rendered, reads = [], []
    render, read = views.render_to_string, cache.get_many
    monkeypatch.setattr(
        views, "render_to_string", lambda *a, **k: rendered.append(a[0]) or render(*a, **k)
    )
    monkeypatch.setattr(cache, "get_many", lambda keys: reads.append(list(keys)) or read(keys))

    first = client.get(reverse("diplomacy:timeline")).content.decode()
    second = client.get(reverse("diplomacy:timeline")).content.decode()
    revision_bump()
    client.get(reverse("diplomacy:timeline"))

    assert first == second and first.count('class="card meeting-card') == 3
    assert len(rendered) == 6  # three cards, and three again after the change
    assert [len(keys) for keys in reads] == [3, 3, 3]


@pytest.mark.parametrize("count", [3, 30])
def test_it_builds_the_timeline_in_a_bounded_number_of_queries(
    client, django_assert_max_num_queries, count
):
    """The timeline costs the same number of queries for 3 or 30 meetings; with the cards
    cached, what they show is not read again."""
    make_meetings(count)
    url = reverse("diplomacy:timeline") + "?topic=taiwan&participant=wang-yi&location=geneva"
    # topic, participant and place lookups; the places inside the place (for the list and
    # the strip); count; the page's meetings and dates; for the cards: the meetings,
    # participations, people, topic links, topics; the month strip; the data revision; the
    # form's topics, people and places.
    with django_assert_max_num_queries(17):
        response = client.get(url)
    assert response.status_code == 200
    # Cards, strip and form cached: lookups, places inside, count, page, revision.
    with django_assert_max_num_queries(7):
        response = client.get(url)
    assert response.status_code == 200 and response.content.count(b"meeting-card") >= count


def test_it_shows_a_renamed_person_on_cached_cards(client):
    """Cards are cached per revision of the data: an edit shows on the next visit."""
    person = make_meetings(2)[0].participations.get(side="cn").person
    url = reverse("diplomacy:timeline")
    before = client.get(url).content.decode()

    person.name = "Wang Yi (renamed)"
    person.save()
    after = client.get(url).content.decode()

    assert "Wang Yi (renamed)" not in before
    assert after.count("Wang Yi (renamed)") >= 2  # both cards, and the form's option


def test_it_caches_the_filter_form_until_the_data_changes(client, django_assert_max_num_queries):
    """The form's option lists are read once; a new topic or person shows on the next visit."""
    make_meetings(3)
    url = reverse("diplomacy:timeline")
    client.get(url)

    # 13 → 10: the form's topics, people and places come from the cache.
    with django_assert_max_num_queries(10):
        cached = client.get(url)
    TopicFactory(name="Arctic shipping", slug="arctic-shipping")
    changed = client.get(url)

    assert "Arctic shipping" not in cached.content.decode()
    assert "Arctic shipping" in changed.content.decode()


@pytest.mark.parametrize("count", [3, 30])
def test_it_builds_the_htmx_fragment_in_a_bounded_number_of_queries(
    client, django_assert_max_num_queries, count
):
    """The results fragment skips the form's option lists."""
    make_meetings(count)
    # topic lookup; count; the page's meetings and dates; for the cards: the meetings,
    # participations, people, topic links, topics; the data revision; month strip.
    with django_assert_max_num_queries(10):
        client.get(reverse("diplomacy:timeline") + "?topic=taiwan", headers={"HX-Request": "true"})


# Meeting ----------------------------------------------------------------------------------


def test_it_shows_a_meeting_with_evidence_for_each_fact(client):
    """Each fact lists the sentences behind it, linked to the article and the sentence."""
    meeting = make_meetings(1)[0]
    article = ArticleFactory(title="Envoys meet in Geneva", body="Wang Yi met Blinken in Geneva.")
    evidence = EvidenceFactory(
        meeting=meeting,
        article=article,
        start=0,
        fields=["location"],
        claims={"location": {"slug": "geneva", "note": "at the lakeside villa"}},
    )
    response = client.get(reverse("diplomacy:meeting", args=[meeting.slug]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Wang Yi met Blinken in Geneva." in html
    assert f'href="/articles/{article.pk}/#ev-{evidence.start}"' in html
    assert "Foreign Minister" in html  # role at the time
    assert "Facts and their evidence" in html
    assert "Edit in admin" not in html


def test_it_flags_conflicting_evidence(client):
    """Sentences that disagree with each other or with a curated value are flagged."""
    meeting = MeetingFactory(review_state="confirmed", status="held")
    first = ArticleFactory(published_at=datetime(2023, 11, 1, tzinfo=UTC))
    later = ArticleFactory(published_at=datetime(2023, 11, 20, tzinfo=UTC))
    EvidenceFactory(
        meeting=meeting,
        article=first,
        fields=["date"],
        claims={"date": {"start": "2023-11-15", "end": "2023-11-15", "precision": "day"}},
    )
    EvidenceFactory(
        meeting=meeting,
        article=later,
        fields=["date", "status"],
        claims={
            "date": {"start": "2023-11-16", "end": "2023-11-16", "precision": "day"},
            "status": "cancelled",
        },
        conflicting=True,
    )
    html = client.get(reverse("diplomacy:meeting", args=[meeting.slug])).content.decode()
    assert "Conflicting evidence" in html
    assert "15 Nov 2023 / 16 Nov 2023" in html
    assert "Conflicts with the curated value" in html


def test_it_shows_the_status_history_in_publication_order(client):
    """The status history reads "planned" from the earlier report, then "held"."""
    meeting = MeetingFactory(status="held")
    early = ArticleFactory(published_at=datetime(2023, 11, 1, tzinfo=UTC), title="Preview")
    late = ArticleFactory(published_at=datetime(2023, 11, 16, tzinfo=UTC), title="Readout")
    EvidenceFactory(meeting=meeting, article=late, fields=["status"], claims={"status": "held"})
    EvidenceFactory(meeting=meeting, article=early, fields=["status"], claims={"status": "planned"})
    html = client.get(reverse("diplomacy:meeting", args=[meeting.slug])).content.decode()
    history = html[html.index("Status over time") :]
    assert history.index("Planned") < history.index("Held")
    assert history.index("1 Nov 2023") < history.index("16 Nov 2023")


def test_it_lists_related_meetings_by_shared_participants(client):
    """Meetings with the same people are listed as related."""
    first, second = make_meetings(2)
    html = client.get(reverse("diplomacy:meeting", args=[first.slug])).content.decode()
    related = html[html.index("Related meetings") :]
    assert second.title in related and "1 participant in common" in related


def test_it_links_staff_to_the_admin(staff_client):
    """Staff see an "Edit in admin" link to the meeting's change page."""
    meeting = MeetingFactory()
    html = staff_client.get(reverse("diplomacy:meeting", args=[meeting.slug])).content.decode()
    assert reverse("admin:diplomacy_meeting_change", args=[meeting.pk]) in html


def test_it_hides_rejected_meetings_from_readers_but_not_staff(client, staff_client):
    """A rejected meeting is a 404 for readers and marked for staff."""
    meeting = MeetingFactory(review_state="rejected")
    url = reverse("diplomacy:meeting", args=[meeting.slug])
    assert staff_client.get(url).status_code == 200
    staff_client.logout()
    assert client.get(url).status_code == 404


def test_it_answers_404_for_an_unknown_meeting(client):
    """An unknown slug gives the styled not-found page."""
    response = client.get(reverse("diplomacy:meeting", args=["no-such-meeting"]))
    assert response.status_code == 404
    assert "This page does not exist" in response.content.decode()


@pytest.mark.parametrize("count", [3, 30])
def test_it_builds_the_meeting_page_in_a_bounded_number_of_queries(
    client, django_assert_max_num_queries, count
):
    """The meeting page costs the same with 3 or 30 pieces of evidence and participants."""
    meeting = make_meetings(1)[0]
    for index in range(count):
        ParticipationFactory(meeting=meeting)
        EvidenceFactory(
            meeting=meeting,
            start=100 + index,
            end=200 + index,
            fields=["location"],
            claims={"location": {"slug": "geneva", "note": ""}},
        )
    # meeting with place; participations; people; topic links; topics; the first evidence ids;
    # their rows with articles and sources; place names claimed; related meetings; channels.
    with django_assert_max_num_queries(10):
        response = client.get(reverse("diplomacy:meeting", args=[meeting.slug]))
    assert response.status_code == 200


def test_it_shows_the_first_evidence_by_publication_and_the_total(client, monkeypatch):
    """Beyond the cap the page shows the earliest sentences, says how many there are in all
    and builds the history and the sources from what it shows."""
    monkeypatch.setattr(selectors, "EVIDENCE_LIMIT", 3)
    meeting = MeetingFactory(status="held", evidence_count=5, article_count=5)
    for day, status in ((20, "held"), (3, "planned"), (9, "planned"), (1, "planned"), (25, "held")):
        article = ArticleFactory(
            title=f"Report of 2023-11-{day:02}", published_at=datetime(2023, 11, day, tzinfo=UTC)
        )
        EvidenceFactory(
            meeting=meeting,
            article=article,
            quote=f"Sentence of the {day}th.",
            fields=["status"],
            claims={"status": status},
        )

    html = client.get(reverse("diplomacy:meeting", args=[meeting.slug])).content.decode()

    assert "5 supporting sentences" in html
    assert "Only the first 3 of 5 sentences, in order of publication, are shown" in html
    assert reverse("api:meeting-evidence", args=[meeting.pk]) in html
    shown = [day for day in (1, 3, 9, 20, 25) if f"Sentence of the {day}th." in html]
    assert shown == [1, 3, 9]
    sources = html[html.index("Sources") :]
    assert "Report of 2023-11-09" in sources and "Report of 2023-11-20" not in sources
    history = html[html.index("Status over time") :]
    assert "Planned" in history and "Held" not in history[: history.index("Sources")]


def test_it_says_nothing_is_left_out_when_every_sentence_is_shown(client, monkeypatch):
    monkeypatch.setattr(selectors, "EVIDENCE_LIMIT", 3)
    meeting = MeetingFactory(evidence_count=3)
    for start in (0, 10, 20):
        EvidenceFactory(meeting=meeting, article=ArticleFactory(), start=start)

    html = client.get(reverse("diplomacy:meeting", args=[meeting.slug])).content.decode()

    assert "3 supporting sentences" in html
    assert "Only the first" not in html


# Topics and people ------------------------------------------------------------------------


def test_it_lists_topics_with_meeting_counts(client, django_assert_max_num_queries):
    """The topic index shows each topic with its number of meetings, in one query."""
    make_meetings(3)
    TopicFactory(name="Climate", slug="climate")
    # the data revision; the topics with their counts
    with django_assert_max_num_queries(2):
        response = client.get(reverse("diplomacy:topics"))
    html = response.content.decode()
    assert "Taiwan" in html and "Climate" in html
    assert "<strong>3</strong> meetings" in html and "<strong>0</strong> meetings" in html


def test_it_shows_a_topic_with_its_chart_people_neighbours_and_articles(client):
    """A topic page draws its activity and lists meetings, people, co-topics and articles."""
    meetings = make_meetings(3)
    html = client.get(reverse("diplomacy:topic", args=["taiwan"])).content.decode()
    assert '<svg class="activity-chart"' in html
    assert all(meeting.title in html for meeting in meetings)
    people = html[html.index("People most involved") :]
    assert "Wang Yi" in people and "3 meetings" in people
    assert "Discussed alongside" in html
    latest = html[html.index("Latest articles") :]
    assert reverse("articles:article", args=[Article.objects.first().pk]) in latest


@pytest.mark.parametrize("count", [3, 30])
def test_it_builds_the_topic_page_in_a_bounded_number_of_queries(
    client, django_assert_max_num_queries, count
):
    """The topic page costs the same for 3 or 30 meetings."""
    make_meetings(count)
    # topic; count; page; participations, people, topic links, topics; activity (meetings,
    # mentions) with the data revision; people; co-topics; articles.
    with django_assert_max_num_queries(13):
        response = client.get(reverse("diplomacy:topic", args=["taiwan"]))
    assert response.status_code == 200


def test_it_answers_404_for_an_unknown_topic(client):
    """An unknown topic slug is not found."""
    assert client.get(reverse("diplomacy:topic", args=["nope"])).status_code == 404


def test_it_shows_a_person_with_offices_meetings_and_counterparts(client):
    """A person page lists offices with dates, meetings and the people met most often."""
    meetings = make_meetings(2)
    wang = meetings[0].participations.get(side="cn").person
    OfficeFactory(
        person=wang,
        title="Minister of Foreign Affairs",
        start_date=date(2013, 3, 16),
        end_date=date(2022, 12, 30),
    )
    html = client.get(reverse("diplomacy:person", args=[wang.slug])).content.decode()
    assert "Minister of Foreign Affairs" in html and "16 Mar 2013" in html
    assert "30 Dec 2022" in html
    assert all(meeting.title in html for meeting in meetings)
    counterparts = html[html.index("Met most often") :]
    assert counterparts.count("1 meeting<") == 2


@pytest.mark.parametrize("count", [3, 30])
def test_it_builds_the_person_page_in_a_bounded_number_of_queries(
    client, django_assert_max_num_queries, count
):
    """The person page costs the same for 3 or 30 meetings."""
    make_meetings(count)
    # person; offices; count; page; participations, people, topic links, topics;
    # counterparts; topics; the network (one query); activity (meetings, mentions) with the
    # data revision.
    with django_assert_max_num_queries(14):
        response = client.get(reverse("diplomacy:person", args=["wang-yi"]))
    assert response.status_code == 200


# Articles ---------------------------------------------------------------------------------


def article_with_a_rejected_meeting():
    """Return an article reporting a kept meeting and, in its second sentence, a rejected one."""
    body = "Wang Yi met Jake Sullivan in Vienna. Envoys also met in Malta. Both went home."
    article = ArticleFactory(body=body, status="done")
    kept = MeetingFactory(title="Vienna talks", slug="vienna-talks")
    rejected = MeetingFactory(title="Malta talks", slug="malta-talks", review_state="rejected")
    EvidenceFactory(article=article, meeting=kept, start=0, end=body.index(" Envoys"))
    malta = body.index("Envoys")
    EvidenceFactory(article=article, meeting=rejected, start=malta, end=body.index(" Both"))
    return article, kept, rejected, malta


def test_it_links_every_sentence_of_a_meeting_found_in_an_article(client):
    """The panel of meetings found links each of a meeting's sentences, numbered in order."""
    body = "Wang Yi met Jake Sullivan. They talked for hours. Both went home."
    article = ArticleFactory(body=body, status="done")
    meeting = MeetingFactory(title="Vienna talks")
    second = body.index("They")
    EvidenceFactory(article=article, meeting=meeting, start=0, end=body.index(" They"))
    EvidenceFactory(article=article, meeting=meeting, start=second, end=body.index(" Both"))
    html = client.get(reverse("articles:article", args=[article.pk])).content.decode()
    assert (
        '<span class="sentence-links"><a href="#ev-0" class="small">sentence 1</a>, '
        f'<a href="#ev-{second}" class="small">sentence 2</a></span>'
    ) in html


@pytest.mark.parametrize("reader", ["anonymous", "analyst"])
def test_it_hides_rejected_meetings_on_article_pages_from_readers(client, reader):
    """Readers see neither a rejected meeting nor its sentence on the article and its status."""
    if reader == "analyst":
        client.force_login(UserFactory(username="reader"))
    article, kept, rejected, malta = article_with_a_rejected_meeting()
    page = client.get(reverse("articles:article", args=[article.pk])).content.decode()
    status = client.get(
        reverse("articles:article-status", args=[article.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    for html in (page, status):
        assert reverse("diplomacy:meeting", args=[kept.slug]) in html
        assert reverse("diplomacy:meeting", args=[rejected.slug]) not in html
        assert "Malta talks" not in html
    assert f'id="ev-{malta}"' not in page and 'id="ev-0"' in page
    assert "1 meeting found" in status


def test_it_stops_showing_a_meeting_on_its_article_once_it_is_rejected(client):
    """The cached findings of an article follow a curator's rejection at once."""
    article, kept, _, _ = article_with_a_rejected_meeting()
    url = reverse("articles:article", args=[article.pk])
    assert reverse("diplomacy:meeting", args=[kept.slug]) in client.get(url).content.decode()
    kept.review_state = "rejected"
    kept.save()
    html = client.get(url).content.decode()
    assert reverse("diplomacy:meeting", args=[kept.slug]) not in html
    assert 'id="ev-0"' not in html and "No meeting found in this text." in html


@pytest.mark.parametrize("role", ["staff", "curator"])
def test_it_shows_rejected_meetings_on_article_pages_to_curators(client, role):
    """Curators and staff still see a rejected meeting and its sentence, to review it."""
    if role == "staff":
        client.force_login(UserFactory(username="boss", is_staff=True, roles=[]))
    else:
        client.force_login(UserFactory(username="curator", roles=[CURATORS]))
    article, kept, rejected, malta = article_with_a_rejected_meeting()
    page = client.get(reverse("articles:article", args=[article.pk])).content.decode()
    status = client.get(
        reverse("articles:article-status", args=[article.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    for html in (page, status):
        assert reverse("diplomacy:meeting", args=[kept.slug]) in html
        assert reverse("diplomacy:meeting", args=[rejected.slug]) in html
    assert f'id="ev-{malta}"' in page
    assert "2 meetings found" in status


def test_it_lets_only_staff_rerun_extraction(client, user_client, monkeypatch):
    """Re-running needs a POST by staff: others are sent to sign in or refused."""
    import diplomacy.services

    calls = []
    monkeypatch.setattr(
        diplomacy.services, "article_reprocess", lambda article_id: calls.append(article_id) or 1
    )
    article = ArticleFactory()
    url = reverse("diplomacy:article-reprocess", args=[article.pk])
    assert user_client.post(url).status_code == 403
    user_client.logout()
    anonymous = client.post(url)
    assert anonymous.status_code == 302 and reverse("login") in anonymous["Location"]
    client.force_login(UserFactory(username="boss", is_staff=True))
    assert client.get(url).status_code == 405
    response = client.post(url, follow=True)
    assert calls == [article.pk]
    assert "Extraction will run again" in response.content.decode()
    page = client.get(reverse("articles:article", args=[article.pk])).content.decode()
    assert "Re-run extraction" in page


def test_it_hides_the_rerun_button_from_readers(client):
    """Readers do not see the re-run button."""
    article = ArticleFactory()
    html = client.get(reverse("articles:article", args=[article.pk])).content.decode()
    assert "Re-run extraction" not in html


# Search -----------------------------------------------------------------------------------


def test_it_searches_articles_and_meetings_with_highlighted_snippets(client):
    """Search finds articles and meetings by their words and marks the matches."""
    ArticleFactory(
        title="Counternarcotics", body='The sides agreed to curb fentanyl & "precursors" 1<2.'
    )
    ArticleFactory(title="Other", body="Nothing about that here.")
    MeetingFactory(title="Fentanyl working group", slug="fwg", summary="Talks on fentanyl.")
    response = client.get(reverse("diplomacy:search") + "?q=fentanyl")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Counternarcotics" in html and "Other" not in html
    assert "Fentanyl working group" in html
    assert "<mark>fentanyl</mark>" in html
    assert "<mark>fentanyl</mark> &amp; &quot;precursors" in html


def test_it_handles_odd_search_input(client):
    """Operators, quotes and stop words alone give a page, not an error."""
    for q in ['"unclosed', "-", "the", "or or", "a & b | c", "x" * 300]:
        assert client.get(reverse("diplomacy:search"), {"q": q}).status_code == 200


def test_it_paginates_search_results(client, django_assert_max_num_queries):
    """Search shows twenty articles a page in a bounded number of queries."""
    for index in range(25):
        ArticleFactory(body=f"Talks about fentanyl, round {index}.")
    # the newest articles' matches; count; page of articles; headlines; meetings; meeting
    # count.
    with django_assert_max_num_queries(6):
        first = client.get(reverse("diplomacy:search") + "?q=fentanyl")
    assert first.content.decode().count('class="search-result"') == 20
    second = client.get(reverse("diplomacy:search") + "?q=fentanyl&page=2").content.decode()
    assert second.count('class="search-result"') == 5


# Access, navigation and error pages ------------------------------------------------------


@pytest.mark.parametrize(
    "name,args",
    [
        ("diplomacy:timeline", []),
        ("diplomacy:topics", []),
        ("diplomacy:search", []),
        ("diplomacy:topic", ["taiwan"]),
    ],
)
def test_it_asks_for_sign_in_when_reading_is_not_public(client, settings, name, args):
    """With PUBLIC_READ off, pages send anonymous visitors to sign in."""
    settings.PUBLIC_READ = False
    TopicFactory(name="Taiwan", slug="taiwan")
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_it_shows_the_navigation_for_each_kind_of_visitor(staff_client):
    """The nav has sign in for visitors, and a POST sign-out and Admin for staff."""
    anonymous = Client().get(reverse("diplomacy:topics")).content.decode()
    assert "Sign in" in anonymous and reverse("admin:index") not in anonymous
    assert reverse("diplomacy:search") in anonymous and reverse("ingest") in anonymous
    staff = staff_client.get(reverse("diplomacy:topics")).content.decode()
    assert reverse("admin:index") in staff
    assert f'<form method="post" action="{reverse("logout")}"' in staff


def test_it_signs_in_and_out(client):
    """The sign-in page works and signing out is a POST."""
    UserFactory(username="reader")
    assert client.get(reverse("login")).status_code == 200
    response = client.post(
        reverse("login"), {"username": "reader", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302
    assert client.post(reverse("logout")).status_code == 302


def test_it_uses_no_inline_script_or_external_assets(client):
    """Pages load scripts and styles from static files only (strict CSP, works offline)."""
    make_meetings(1)
    html = client.get(reverse("diplomacy:timeline")).content.decode()
    assert "<script>" not in html and " on" + "click=" not in html and "style=" not in html
    assert "https://" not in html.split("<body")[0]
    assert "django_htmx/htmx-2.min.js" in html


def test_it_renders_the_500_page_without_context():
    """The server-error page needs no request or context."""
    html = get_template("500.html").render()
    assert "Something went wrong" in html
