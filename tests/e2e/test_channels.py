"""Channels and readouts in a real browser, on the reference data and the bundled samples."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from diplomacy.models import Evidence, Meeting
from tests.e2e.conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"wide": 1280, "narrow": 375}


@pytest.fixture
def reference_and_samples():
    """The curated timeline, the channels and the sample texts, extracted in-process."""
    call_command("load_reference", verbosity=0)
    call_command("load_samples", sync=True, stdout=open("/dev/null", "w"))  # noqa: SIM115


def at_widths(page, url, name, screenshot):
    """Load the page at each width and save a screenshot of it."""
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url)
        screenshot(page, f"{name}-{width}")
        # Nothing may stick out sideways, except inside the scrolling chart and table boxes.
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, f"{name} at {label} is {overflow}px too wide"


def test_it_lists_the_channels(live_server, page, reference_and_samples, screenshot):
    """The index lists the Sullivan–Wang Yi channel and marks no channel suspended today."""
    url = live_server.url + reverse("diplomacy:channels")
    at_widths(page, url, "channels", screenshot)

    page.set_viewport_size({"width": 1280, "height": 900})
    row = page.locator('tr[data-channel="sullivan-wang-yi"]')
    expect(row).to_contain_text("Sullivan–Wang Yi channel")
    expect(row.get_by_role("cell").nth(1)).not_to_have_text("0")
    row.get_by_role("link", name="Sullivan–Wang Yi channel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sullivan–Wang Yi channel")


def test_it_shows_a_channels_channel_meetings_in_order(
    live_server, page, reference_and_samples, screenshot
):
    """Vienna, Malta and Bangkok come in that order; the table is the chart's alternative."""
    at_widths(
        page,
        live_server.url + reverse("diplomacy:channel", args=["sullivan-wang-yi"]),
        "channel",
        screenshot,
    )
    titles = page.locator("table.channel-meetings tbody tr td:nth-child(2)").all_inner_texts()
    places = [
        next(i for i, title in enumerate(titles) if title.endswith(f"talks in {place}"))
        for place in ("Vienna", "Malta", "Bangkok")
    ]
    assert places == sorted(places)
    expect(page.locator("svg.channel-chart a.channel-meeting")).to_have_count(len(titles))


def test_it_shades_the_august_2022_suspension(live_server, page, reference_and_samples, screenshot):
    """The defence channel shows the suspension as a shaded interval and in the list."""
    at_widths(
        page,
        live_server.url + reverse("diplomacy:channel", args=["defence-ministers"]),
        "channel-suspended",
        screenshot,
    )
    expect(page.locator("svg.channel-chart rect.suspension")).to_have_count(1)
    expect(page.locator(".suspension-list")).to_contain_text("5 Aug 2022 – 15 Nov 2023")


def test_it_sets_the_readouts_side_by_side(live_server, page, reference_and_samples, screenshot):
    """A meeting reported by both governments shows the two readouts in two columns, one
    above the other on a phone."""
    meeting = (
        Meeting.objects.filter(
            evidence__article__source__side="us_government",
        )
        .filter(
            pk__in=Evidence.objects.filter(article__source__side="prc_government").values(
                "meeting_id"
            )
        )
        .order_by("start_date")
        .first()
    )
    assert meeting is not None, "the samples should hold a meeting both governments read out"
    url = live_server.url + reverse("diplomacy:meeting", args=[meeting.slug])
    at_widths(page, url, "readouts", screenshot)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(url)
    us = page.locator(".readout-us_government")
    prc = page.locator(".readout-prc_government")
    expect(us).to_contain_text("US government")
    expect(prc).to_contain_text("PRC government")
    us_box, prc_box = us.bounding_box(), prc.bounding_box()
    assert us_box["x"] < prc_box["x"] and abs(us_box["y"] - prc_box["y"]) < 2
    page.locator("section.readouts").screenshot(path=str(SCREENSHOTS / "readouts-section-1280.png"))
    page.set_viewport_size({"width": 375, "height": 900})
    us_box, prc_box = us.bounding_box(), prc.bounding_box()
    assert prc_box["y"] >= us_box["y"] + us_box["height"]
    page.locator("section.readouts").screenshot(path=str(SCREENSHOTS / "readouts-section-375.png"))
