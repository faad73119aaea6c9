"""Undo, an alias picked from a sentence, confirming a discovered person, and how long the two
commonest fixes take a curator, in a real browser."""

import json
import time
from datetime import date

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from diplomacy.models import Meeting, Person
from tests.diplomacy.conftest import BEIJING, MALTA, VIENNA, ingest
from tests.e2e.conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GENEVA = "Jake Sullivan and Tony B. met Foreign Minister Wang Yi in Geneva on Friday."
NARROW = {"width": 375, "height": 800}
WIDE = {"width": 1280, "height": 900}


@pytest.fixture
def meetings():
    call_command("load_reference", gazetteer_only=True, verbosity=0)
    ingest(VIENNA, date(2023, 5, 12))
    ingest(MALTA, date(2023, 5, 14))
    ingest(BEIJING, date(2023, 6, 20))
    return {
        "vienna": Meeting.objects.get(location__slug="vienna"),
        "malta": Meeting.objects.get(location__slug="malta"),
        "beijing": Meeting.objects.get(location__slug="beijing"),
    }


def url(live_server, meeting) -> str:
    return live_server.url + reverse("diplomacy:meeting", args=[meeting.slug])


def both_widths(tab, screenshot, name):
    """Screenshot the page at 1280 px and at 375 px, and come back to 1280."""
    screenshot(tab, f"{name}-1280")
    tab.set_viewport_size(NARROW)
    screenshot(tab, f"{name}-375")
    tab.set_viewport_size(WIDE)


def record_timing(name: str, clicks: int, seconds: float) -> None:
    path = SCREENSHOTS.parent / "curation-timings.json"
    timings = json.loads(path.read_text()) if path.exists() else {}
    timings[name] = {"clicks": clicks, "seconds": round(seconds, 2)}
    path.write_text(json.dumps(timings, indent=2) + "\n")


def test_it_undoes_the_last_action_from_the_history(
    signed_in_page, live_server, meetings, screenshot
):
    """Remove a participant, press Undo in History: the participant is back, the history
    says so, and no further undo is offered."""
    tab = signed_in_page
    tab.goto(url(live_server, meetings["vienna"]))
    tab.get_by_role("button", name="Remove Wang Yi").click()
    expect(tab.locator("#fact-participants .participant-list")).not_to_contain_text("Wang Yi")
    history = tab.locator("#curation-history")
    expect(history.get_by_test_id("undo")).to_be_visible()
    both_widths(tab, screenshot, "curation-undo-offered")
    history.get_by_label("Reason for the undo").fill("Removed the wrong one")
    history.get_by_test_id("undo").click()
    expect(tab.locator(".messages")).to_contain_text("Undone")
    expect(tab.locator("#fact-participants .participant-list")).to_contain_text("Wang Yi")
    expect(history).to_contain_text("Removed the wrong one")
    expect(history.get_by_test_id("undo-refusal")).to_contain_text("cannot itself be undone")
    both_widths(tab, screenshot, "curation-undone")
    assert Meeting.objects.get(pk=meetings["vienna"].pk).locked_fields == []


def test_it_adds_an_alias_by_selecting_words_in_a_sentence(
    signed_in_page, live_server, meetings, screenshot
):
    """Selecting "Tony B." in a quote fills the alias form; picking Blinken saves it."""
    article = ingest(GENEVA, date(2023, 9, 16))
    geneva = Meeting.objects.get(evidence__article=article)
    tab = signed_in_page
    tab.goto(url(live_server, geneva))
    quote = tab.locator("blockquote[data-evidence]", has_text="Tony B.").first
    quote.evaluate(
        """(element) => {
            const text = element.firstChild;
            const start = text.textContent.indexOf("Tony B.");
            const range = document.createRange();
            range.setStart(text, start);
            range.setEnd(text, start + "Tony B.".length);
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
            element.dispatchEvent(new MouseEvent("mouseup", {bubbles: true}));
        }"""
    )
    form = tab.locator("#curate-alias")
    expect(form.get_by_label("Name as written")).to_have_value("Tony B.")
    expect(form.get_by_label("Sentence")).not_to_have_value("")
    form.get_by_label("Person").fill("Blink")
    choice = form.locator("#alias-person-choices").get_by_role("button", name="Antony Blinken")
    expect(choice).to_be_visible()
    both_widths(tab, screenshot, "curation-alias-chosen")
    choice.click()
    expect(tab.locator(".messages")).to_contain_text("also recognised as “Tony B.”")
    assert "Tony B." in Person.objects.get(slug="antony-blinken").aliases
    tab.goto(live_server.url + reverse("diplomacy:person", args=["antony-blinken"]))
    expect(tab.locator(".lede")).to_contain_text("Tony B.")
    expect(tab.locator("#curation-history")).to_contain_text("Alias added")
    both_widths(tab, screenshot, "curation-alias-person")


def test_it_confirms_a_discovered_person(signed_in_page, live_server, meetings, screenshot):
    """The person page offers Confirm for an official found by extraction; afterwards the
    badge is gone and their meeting leaves the queue's discovered-person reason."""
    Person.objects.filter(slug="qin-gang").update(review_state="auto")
    tab = signed_in_page
    tab.goto(live_server.url + reverse("diplomacy:review") + "?reason=discovered_person")
    expect(tab.locator("main")).to_contain_text(meetings["beijing"].title)
    tab.goto(live_server.url + reverse("diplomacy:person", args=["qin-gang"]))
    expect(tab.locator(".lede")).to_contain_text("not yet confirmed")
    both_widths(tab, screenshot, "curation-person-discovered")
    tab.get_by_test_id("confirm-person").click()
    expect(tab.locator(".messages")).to_contain_text("Qin Gang confirmed")
    expect(tab.locator(".lede")).not_to_contain_text("not yet confirmed")
    both_widths(tab, screenshot, "curation-person-confirmed")
    tab.goto(live_server.url + reverse("diplomacy:review") + "?reason=discovered_person")
    expect(tab.locator("main")).not_to_contain_text(meetings["beijing"].title)


def test_it_times_fixing_a_wrong_participant(signed_in_page, live_server, meetings):
    """Open the meeting, remove the wrong person, add the right one: clicks and seconds."""
    tab = signed_in_page
    clicks = 0
    started = time.monotonic()
    tab.goto(url(live_server, meetings["vienna"]))
    tab.get_by_role("button", name="Remove Jake Sullivan").click()
    clicks += 1
    field = tab.get_by_label("Add a participant")
    field.click()
    clicks += 1
    field.press_sequentially("Blink", delay=80)  # typed as a person types
    tab.locator("#person-choices").get_by_role("button", name="Antony Blinken").click()
    clicks += 1
    expect(tab.locator(".messages")).to_contain_text("Antony Blinken added")
    seconds = time.monotonic() - started
    record_timing("fix a wrong participant", clicks, seconds)
    assert sorted(meetings["vienna"].participants.values_list("slug", flat=True)) == [
        "antony-blinken",
        "wang-yi",
    ]
    assert clicks == 3 and seconds < 15


def test_it_times_merging_a_duplicate_from_the_review_queue(signed_in_page, live_server, meetings):
    """From the review queue to merged: clicks and seconds."""
    vienna, malta = meetings["vienna"], meetings["malta"]
    tab = signed_in_page
    clicks = 0
    started = time.monotonic()
    tab.goto(live_server.url + reverse("diplomacy:review") + "?reason=duplicate")
    tab.locator("[data-review-item]", has_text=vienna.title).locator("[data-review-link]").click()
    clicks += 1
    tab.get_by_test_id(f"merge-{malta.pk}").click()
    clicks += 1
    expect(tab.locator(".messages")).to_contain_text("Merged")
    seconds = time.monotonic() - started
    record_timing("merge a duplicate", clicks, seconds)
    assert Meeting.objects.get(pk=malta.pk).merged_into_id == vienna.pk
    assert clicks == 2 and seconds < 15
