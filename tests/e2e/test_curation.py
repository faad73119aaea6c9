"""Curation in a real browser: the meeting page's controls and the review queue's keys."""

import time
from datetime import date

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from diplomacy.models import Meeting
from tests.diplomacy.conftest import BEIJING, MALTA, VIENNA, ingest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def meetings():
    """Three extracted meetings: Sullivan–Wang in Vienna and (a duplicate) in Malta, and
    Blinken–Qin in Beijing."""
    call_command("load_reference", gazetteer_only=True, verbosity=0)
    ingest(VIENNA, date(2023, 5, 12))
    ingest(MALTA, date(2023, 5, 14))
    ingest(BEIJING, date(2023, 6, 20))
    return {
        "vienna": Meeting.objects.get(location__slug="vienna"),
        "malta": Meeting.objects.get(location__slug="malta"),
        "beijing": Meeting.objects.get(location__slug="beijing"),
    }


def open_meeting(tab, live_server, meeting):
    tab.goto(live_server.url + reverse("diplomacy:meeting", args=[meeting.slug]))


def participants(tab):
    return tab.locator("#fact-participants .participant-list")


def test_it_replaces_a_wrong_participant(signed_in_page, live_server, meetings, screenshot):
    """Type a name, pick the person, remove the wrong one: the page shows the fix and the
    history records it."""
    tab = signed_in_page
    open_meeting(tab, live_server, meetings["vienna"])
    started = time.monotonic()
    tab.get_by_label("Add a participant").fill("Blink")
    tab.get_by_role("button", name="Antony Blinken").click()
    expect(participants(tab)).to_contain_text("Antony Blinken")
    tab.get_by_role("button", name="Remove Jake Sullivan").click()
    expect(participants(tab)).not_to_contain_text("Jake Sullivan")
    elapsed = time.monotonic() - started
    expect(tab.locator("#curation-history")).to_contain_text("participants")
    expect(tab.locator("[data-lock=participants] .badge-locked")).to_be_visible()
    screenshot(tab, "curation-participant-fixed")
    assert elapsed < 10


def test_it_locks_and_unlocks_a_field(signed_in_page, live_server, meetings, screenshot):
    """Lock shows the field locked; unlock opens it again."""
    tab = signed_in_page
    open_meeting(tab, live_server, meetings["vienna"])
    place = tab.locator("[data-lock=location]")
    place.get_by_role("button", name="Lock").click()
    expect(tab.locator("[data-lock=location] .badge-locked")).to_be_visible()
    screenshot(tab, "curation-locked")
    tab.locator("[data-lock=location]").get_by_role("button", name="Unlock").click()
    expect(tab.locator("[data-lock=location] .badge-unlocked")).to_be_visible()


def test_it_confirms_a_meeting(signed_in_page, live_server, meetings):
    """Confirm marks the meeting curated."""
    tab = signed_in_page
    open_meeting(tab, live_server, meetings["vienna"])
    tab.get_by_test_id("confirm").click()
    expect(tab.locator(".meeting-head .badge-curated")).to_be_visible()
    assert Meeting.objects.get(pk=meetings["vienna"].pk).review_state == "confirmed"


def test_it_rejects_a_meeting(signed_in_page, live_server, meetings, screenshot):
    """Reject shows the banner, and the meeting leaves the timeline."""
    tab = signed_in_page
    open_meeting(tab, live_server, meetings["beijing"])
    tab.get_by_test_id("reject").click()
    expect(tab.locator(".banner-rejected")).to_be_visible()
    screenshot(tab, "curation-rejected")
    tab.goto(live_server.url + reverse("diplomacy:timeline"))
    expect(tab.locator("main")).not_to_contain_text(meetings["beijing"].title)


def test_it_merges_a_suggested_duplicate(signed_in_page, live_server, meetings, screenshot):
    """One click merges the suggested duplicate; its old address leads to the survivor."""
    tab = signed_in_page
    vienna, malta = meetings["vienna"], meetings["malta"]
    open_meeting(tab, live_server, vienna)
    screenshot(tab, "curation-duplicates")
    started = time.monotonic()
    tab.get_by_test_id(f"merge-{malta.pk}").click()
    expect(tab.locator(".messages")).to_contain_text("Merged")
    assert time.monotonic() - started < 10
    expect(tab.locator("main")).to_contain_text("The two discussed Taiwan.")
    screenshot(tab, "curation-merged")
    open_meeting(tab, live_server, malta)
    tab.wait_for_url(live_server.url + reverse("diplomacy:meeting", args=[vienna.slug]))


def test_it_splits_a_sentence_off(signed_in_page, live_server, meetings, screenshot):
    """Tick a sentence and split: the new meeting's page shows it."""
    tab = signed_in_page
    malta = meetings["malta"]
    open_meeting(tab, live_server, malta)
    tab.locator("#curate-split summary").click()
    tab.locator("#curate-split label", has_text="The two discussed Taiwan.").click()
    screenshot(tab, "curation-split-chosen")
    tab.get_by_role("button", name="Split into a new meeting").click()
    expect(tab.locator(".messages")).to_contain_text("split off")
    assert tab.url != live_server.url + reverse("diplomacy:meeting", args=[malta.slug])
    expect(tab.locator("#fact-topics")).to_contain_text("Taiwan")
    screenshot(tab, "curation-split-new")


def test_it_moves_through_the_review_queue_with_keys(
    signed_in_page, live_server, meetings, screenshot
):
    """j and k select, o opens; the nav shows the queue's length."""
    tab = signed_in_page
    tab.goto(live_server.url + reverse("diplomacy:review"))
    expect(tab.get_by_test_id("review-count")).to_have_text(
        str(tab.locator("[data-review-item]").count())
    )
    items = tab.locator("[data-review-item]")
    assert items.count() >= 2
    tab.keyboard.press("j")
    expect(items.nth(0)).to_have_class("card review-item is-selected")
    tab.keyboard.press("j")
    expect(items.nth(1)).to_have_class("card review-item is-selected")
    tab.keyboard.press("k")
    expect(items.nth(0)).to_have_class("card review-item is-selected")
    screenshot(tab, "review-queue")
    href = items.nth(0).locator("[data-review-link]").get_attribute("href")
    tab.keyboard.press("o")
    tab.wait_for_url(live_server.url + href)


def test_a_curators_navigation_and_merge_box_keep_their_shape(
    signed_in_page, live_server, meetings, screenshot
):
    """At 1280 pixels the staff curator's navigation (every link, the review count, search and
    sign out) fits on one line, and the merge-by-id box looks like the other inputs."""
    tab = signed_in_page
    open_meeting(tab, live_server, meetings["beijing"])
    nav = tab.locator(".site-nav")
    brand = nav.locator(".brand").bounding_box()
    for item in (
        nav.locator(".nav-links a").last,
        nav.locator("#nav-search-q"),
        nav.get_by_role("button", name="Sign out"),
    ):
        box = item.bounding_box()
        assert abs((box["y"] + box["height"] / 2) - (brand["y"] + brand["height"] / 2)) < 8
    tab.locator("details:has(#merge-into) > summary").click()
    merge_box = tab.locator("#merge-into")
    style = "e => [getComputedStyle(e).borderRadius, getComputedStyle(e).paddingLeft]"
    assert merge_box.evaluate(style) == tab.locator("#nav-search-q").evaluate(style)
    screenshot(tab, "curation-merge-box")
