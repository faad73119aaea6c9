"""Who met whom and the export links, in a real browser on the curated timeline."""

import csv
import io
import json
import re

import icalendar
import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"wide": 1280, "narrow": 375}


@pytest.fixture
def reference():
    """The gazetteer, the topics, the channels and the curated timeline."""
    call_command("load_reference", verbosity=0)


def at_widths(page, url, name, screenshot):
    """Load the page at each width, save a screenshot, and check nothing sticks out sideways,
    the chart fits the screen and the Content-Security-Policy refused nothing."""
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url)
        screenshot(page, f"{name}-{width}")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, f"{name} at {label} is {overflow}px too wide"
        chart = page.locator("svg.network-chart").bounding_box()
        assert chart and chart["x"] >= 0 and chart["x"] + chart["width"] <= width
        # Names stay legible: at least 9 CSS pixels high once the chart is scaled to fit.
        name_height = page.locator("svg.network-chart .network-node text").first.bounding_box()
        assert name_height["height"] >= 9, f"names at {label} are {name_height['height']}px"
    assert not [text for text in console if "Content Security Policy" in text], console


def test_it_draws_who_met_whom_and_filters_it(live_server, page, reference, screenshot):
    """US officials on the left, PRC on the right; the busiest are drawn, then everyone; the
    form filters by topic; the table of pairs leads to a pair's meetings."""
    url = live_server.url + reverse("diplomacy:network")
    at_widths(page, url, "network", screenshot)

    page.set_viewport_size({"width": 1280, "height": 900})
    us = page.locator(".network-node.side-us circle").first.bounding_box()
    cn = page.locator(".network-node.side-cn circle").first.bounding_box()
    assert us["x"] < cn["x"]
    assert page.locator(".network-node.side-us").count() == 12
    page.get_by_test_id("network-show-all").click()
    expect(page).to_have_url(re.compile(r"all=1"))
    assert page.locator(".network-node.side-us").count() > 12

    page.goto(url)
    page.get_by_label("Taiwan and cross-strait issues").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"topic=taiwan"))
    expect(page.get_by_role("alert")).to_have_count(0)
    screenshot(page, "network-taiwan-1280")
    pair = page.get_by_test_id("pair-meetings").first
    count = int(pair.inner_text().split()[0])
    pair.click()
    expect(page.locator(".meeting-card")).to_have_count(count)


def test_it_draws_a_persons_network(live_server, page, reference, screenshot):
    """The person's page shows the people they met, themselves highlighted; a name leads to
    that person's page."""
    url = live_server.url + reverse("diplomacy:person", args=["wang-yi"])
    at_widths(page, url, "person-network", screenshot)

    page.set_viewport_size({"width": 1280, "height": 900})
    expect(page.locator(".network-node.ego")).to_have_count(1)
    expect(page.locator(".network-node.ego")).to_have_attribute(
        "href", reverse("diplomacy:person", args=["wang-yi"])
    )
    expect(page.locator("svg.activity-chart")).to_be_visible()
    page.locator('.network-node[href="/people/antony-blinken/"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Antony Blinken")


def page_slugs(page) -> set[str]:
    hrefs = page.locator("main .meeting-card a[href^='/meetings/']").evaluate_all(
        "links => links.map(link => link.getAttribute('href'))"
    )
    return {href.strip("/").split("/")[1] for href in hrefs if href.count("/") == 3}


def test_the_export_links_return_the_pages_meetings(live_server, page, reference, screenshot):
    """On a topic page, the CSV downloads, the JSON opens, and the feeds answer with the
    meetings the page lists."""
    page.goto(live_server.url + reverse("diplomacy:topic", args=["fentanyl"]))
    shown = page_slugs(page)
    assert shown
    links = page.get_by_test_id("export-links")
    screenshot(page, "topic-exports-1280")

    with page.expect_download() as download:
        links.get_by_role("link", name="CSV").click()
    with open(download.value.path(), encoding="utf-8") as file:
        assert {row["slug"] for row in csv.DictReader(file)} == shown

    calendar = page.request.get(
        live_server.url + links.get_by_role("link", name="iCalendar").get_attribute("href")
    )
    events = icalendar.Calendar.from_ical(calendar.body()).walk("VEVENT")
    assert {str(event["url"]).strip("/").rsplit("/", 1)[1] for event in events} == shown

    atom = page.request.get(
        live_server.url
        + page.locator('head link[type="application/atom+xml"]').get_attribute("href")
    )
    assert atom.ok and atom.headers["content-type"].startswith("application/atom+xml")
    assert all(f"/meetings/{slug}/" in atom.text() for slug in shown)

    links.get_by_role("link", name="JSON").click()
    body = json.loads(page.locator("body").inner_text())
    assert {row["slug"] for row in body["results"]} == shown


def test_the_timeline_updates_its_export_links_as_filters_change(live_server, page, reference):
    page.goto(live_server.url + reverse("diplomacy:timeline"))
    page.get_by_label("Call", exact=True).check()
    expect(page.locator('[data-export="csv"]')).to_have_attribute(
        "href", "/api/v1/meetings/?kind=call&format=csv"
    )
    shown = page_slugs(page)
    response = page.request.get(live_server.url + "/api/v1/meetings/?kind=call&format=csv")
    assert {row["slug"] for row in csv.DictReader(io.StringIO(response.text()))} == shown
