"""The dashboard in a real browser: htmx filtering and history, evidence, escaping."""

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories import (
    ArticleFactory,
    EvidenceFactory,
    LocationFactory,
    MeetingFactory,
    MeetingTopicFactory,
    MentionFactory,
    ParticipationFactory,
    PersonFactory,
    TopicFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOSTILE_BODY = (
    "Envoys met in Geneva on Monday. <script>window.__pwned = 1; alert('script')</script> "
    "<img src=x onerror=\"window.__pwned = 2; alert('img')\"> "
    "<svg onload=\"alert('svg')\"></svg> Wang Yi spoke afterwards."
)


@pytest.fixture
def timeline_data():
    """Two topics, three meetings and one well-evidenced meeting."""
    taiwan = TopicFactory(name="Taiwan and cross-strait issues", slug="taiwan")
    climate = TopicFactory(name="Climate", slug="climate")
    wang = PersonFactory(name="Wang Yi", slug="wang-yi", country="CN")
    blinken = PersonFactory(name="Antony Blinken", slug="antony-blinken", country="US")
    beijing = LocationFactory(name="Beijing", slug="beijing")
    strait = MeetingFactory(
        title="Blinken–Wang Yi talks in Beijing",
        slug="blinken-wang-beijing",
        start_date=date(2023, 6, 18),
        end_date=date(2023, 6, 19),
        location=beijing,
        article_count=1,
    )
    MeetingTopicFactory(meeting=strait, topic=taiwan)
    ParticipationFactory(meeting=strait, person=wang, side="cn", role="Director of the Office")
    ParticipationFactory(meeting=strait, person=blinken, side="us", role="Secretary of State")
    for index, month in enumerate((7, 9)):
        meeting = MeetingFactory(
            title=f"Climate talks {index}",
            slug=f"climate-talks-{index}",
            kind="dialogue",
            start_date=date(2023, month, 10),
        )
        MeetingTopicFactory(meeting=meeting, topic=climate)
    body = (
        "Secretary of State Antony Blinken met Wang Yi in Beijing on 18 June. "
        "The two sides discussed Taiwan at length."
    )
    article = ArticleFactory(
        title="Blinken meets Wang Yi", body=body, published_at=datetime(2023, 6, 19, tzinfo=UTC)
    )
    first_sentence = body.index(".") + 1
    EvidenceFactory(
        meeting=strait,
        article=article,
        quote=body[:first_sentence],
        start=0,
        end=first_sentence,
        fields=["participants", "date", "location"],
        claims={"location": {"slug": "beijing", "note": ""}},
    )
    EvidenceFactory(
        meeting=strait,
        article=article,
        quote=body[first_sentence + 1 :],
        start=first_sentence + 1,
        end=len(body),
        fields=["topics"],
    )
    start = body.index("Wang Yi")
    MentionFactory(article=article, kind="person", person=wang, start=start, end=start + 7)
    return {"strait": strait, "article": article}


def test_it_filters_the_timeline_by_topic_and_back_restores_it(
    live_server, page, timeline_data, screenshot
):
    """Ticking a topic narrows the list and the URL without a reload; Back undoes both."""
    page.goto(live_server.url + reverse("diplomacy:timeline"))
    count = page.locator("#result-count")
    assert count.inner_text().startswith("3 meetings")
    screenshot(page, "timeline")
    page.evaluate("window.__sameDocument = true")  # lost if the page were reloaded

    page.get_by_label("Taiwan and cross-strait issues").check()
    page.wait_for_url("**/?topic=taiwan")
    expect(page.locator("#result-count")).to_contain_text("1 meeting")
    assert "Blinken–Wang Yi talks in Beijing" in page.locator("#results").inner_text()
    assert "Climate talks" not in page.locator("#results").inner_text()
    assert page.evaluate("window.__sameDocument") is True
    screenshot(page, "timeline-filtered")

    page.go_back()
    page.wait_for_url(live_server.url + "/")
    expect(page.locator("#result-count")).to_contain_text("3 meeting")
    assert not page.get_by_label("Taiwan and cross-strait issues").is_checked()
    assert "Climate talks 0" in page.locator("#results").inner_text()

    page.go_forward()
    page.wait_for_url("**/?topic=taiwan")
    expect(page.locator("#result-count")).to_contain_text("1 meeting")
    assert page.get_by_label("Taiwan and cross-strait issues").is_checked()


def test_it_narrows_the_dates_from_the_month_strip_and_clears_all(live_server, page, timeline_data):
    """A month of the strip sets the date range in the form; "Clear all" empties the form."""
    page.goto(live_server.url + reverse("diplomacy:timeline"))
    page.locator("svg.strip-chart a.month").first.click()
    page.wait_for_url("**date_from=2023-06-01&date_to=2023-06-30")
    assert page.locator("#filter-date-from").input_value() == "2023-06-01"
    expect(page.locator("#result-count")).to_contain_text("1 meeting")
    page.locator(".active-filters").get_by_role("link", name="Clear all").click()
    page.wait_for_url(live_server.url + "/")
    expect(page.locator("#result-count")).to_contain_text("3 meeting")
    assert page.locator("#filter-date-from").input_value() == ""


def test_it_shows_a_meeting_with_its_evidence(live_server, page, timeline_data, screenshot):
    """The meeting page quotes the sentences and links each to its place in the article."""
    meeting, article = timeline_data["strait"], timeline_data["article"]
    page.goto(live_server.url + reverse("diplomacy:meeting", args=[meeting.slug]))
    assert page.get_by_role("heading", level=1).inner_text() == meeting.title
    place = page.locator("#fact-location")
    assert "Beijing" in place.inner_text()
    assert "Secretary of State Antony Blinken met Wang Yi in Beijing" in place.inner_text()
    screenshot(page, "meeting")

    place.get_by_role("link", name=article.title).click()
    page.wait_for_url(f"**/articles/{article.pk}/#ev-0")
    assert page.locator("#ev-0").is_visible()
    assert page.locator("a.mention-person", has_text="Wang Yi").count() == 1
    screenshot(page, "article")


def test_it_renders_a_hostile_article_as_text(live_server, page, screenshot):
    """Markup in an article never runs: no dialog opens and no injected script executes."""
    article = ArticleFactory(title="<img src=x onerror=alert('title')>", body=HOSTILE_BODY)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(live_server.url + reverse("articles:article", args=[article.pk]))
    page.wait_for_load_state("networkidle")
    body = page.locator(".article-body")
    assert "<script>window.__pwned = 1; alert('script')</script>" in body.inner_text()
    assert "<img src=x onerror=" in body.inner_text()
    assert body.locator("script, img, svg").count() == 0
    assert page.evaluate("window.__pwned === undefined")
    assert dialogs == []
    screenshot(page, "article-hostile")


def test_it_takes_screenshots_of_the_other_pages(
    live_server, signed_in_page, timeline_data, screenshot
):
    """Topics, a topic, a person, search and ingest render without script errors."""
    page = signed_in_page
    pages = {
        "topics": reverse("diplomacy:topics"),
        "topic": reverse("diplomacy:topic", args=["taiwan"]),
        "person": reverse("diplomacy:person", args=["wang-yi"]),
        "search": reverse("diplomacy:search") + "?q=Taiwan",
    }
    for name, path in pages.items():
        response = page.goto(live_server.url + path)
        assert response.status == 200, name
        screenshot(page, name)
    page.goto(live_server.url + reverse("ingest"))
    page.get_by_role("button", name="Ingest").click()
    assert "Paste the text" in page.locator(".field-error").first.inner_text()
    screenshot(page, "ingest-errors")
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(live_server.url + reverse("diplomacy:timeline"))
    assert not page.locator("details.filters").evaluate("details => details.open")
    screenshot(page, "timeline-mobile")


def test_it_polls_the_ingest_status_until_done(live_server, signed_in_page, screenshot):
    """The status page updates itself when extraction finishes, then links the meetings."""
    page = signed_in_page
    article = ArticleFactory(title="Awaiting extraction", status="pending")
    page.goto(live_server.url + reverse("ingest-status", args=[article.pk]))
    expect(page.locator("[data-status=pending]")).to_be_visible()
    screenshot(page, "ingest-status-pending")
    meeting = MeetingFactory(title="Talks found by the worker", slug="talks-found")
    EvidenceFactory(article=article, meeting=meeting)
    type(article).objects.filter(pk=article.pk).update(status="done")
    expect(page.locator("[data-status=done]")).to_be_visible(timeout=8000)
    page.get_by_role("link", name="Talks found by the worker").click()
    page.wait_for_url(f"**/meetings/{meeting.slug}/")


def test_it_runs_no_markup_stored_in_meetings_people_places_or_topics(
    live_server, page, screenshot
):
    """Names and titles saved with markup stay text on every page that shows them."""
    hostile = "<img src=x onerror=\"window.__pwned = 3; alert('stored')\">"
    topic = TopicFactory(name=f"Topic {hostile}", slug="hostile-topic")
    person = PersonFactory(name=f"Person {hostile}", slug="hostile-person", country="CN")
    place = LocationFactory(name=f"Place {hostile}", slug="hostile-place")
    meeting = MeetingFactory(
        title=f"Talks {hostile}",
        slug="hostile-talks",
        summary=f"Summary {hostile} <script>window.__pwned = 4</script>",
        location=place,
        start_date=date(2024, 5, 14),
    )
    ParticipationFactory(meeting=meeting, person=person)
    MeetingTopicFactory(meeting=meeting, topic=topic)
    article = ArticleFactory(title=f"Report {hostile}", body=f"Envoys met. {hostile} Talks.")
    EvidenceFactory(meeting=meeting, article=article, quote=f"Envoys met. {hostile}")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    paths = [
        reverse("diplomacy:timeline"),
        reverse("diplomacy:meeting", args=[meeting.slug]),
        reverse("diplomacy:topic", args=[topic.slug]),
        reverse("diplomacy:topics"),
        reverse("diplomacy:person", args=[person.slug]),
        reverse("diplomacy:search") + "?q=Talks",
        reverse("articles:article", args=[article.pk]),
    ]
    for path in paths:
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert page.locator("img[src='x']").count() == 0, path
        assert page.evaluate("window.__pwned === undefined"), path
    assert dialogs == []
    page.goto(live_server.url + reverse("diplomacy:meeting", args=[meeting.slug]))
    assert hostile in page.locator("h1").inner_text()
    screenshot(page, "meeting-hostile")
