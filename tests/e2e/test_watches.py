"""Making a watch from the timeline's "Watch these results" button, in a real browser."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from alerts.models import Watch
from tests.factories import MeetingFactory, MeetingTopicFactory, TopicFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def taiwan_meetings():
    topic = TopicFactory(name="Taiwan", slug="taiwan")
    for number in range(3):
        MeetingTopicFactory(
            meeting=MeetingFactory(title=f"Cross-strait talks {number}"), topic=topic
        )


def no_sideways_scroll(page, name):
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, f"{name} is {overflow}px too wide"


@pytest.mark.parametrize("width", [1280, 375])
def test_it_saves_a_watch_from_the_timeline_filters(
    live_server, signed_in_page, taiwan_meetings, screenshot, width
):
    """The button carries the filters into the form; saving shows the watch and its log."""
    page = signed_in_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + reverse("diplomacy:timeline") + "?topic=taiwan&status=held")
    screenshot(page, f"timeline-watch-button-{width}")
    page.get_by_role("link", name="Watch these results").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New watch")
    expect(page.get_by_label("Filters")).to_have_value("topic=taiwan&status=held")
    no_sideways_scroll(page, f"the watch form at {width}")
    screenshot(page, f"watch-form-{width}")

    page.get_by_label("Name").fill(f"Taiwan at {width}")
    page.get_by_role("radio", name="Webhook").check()
    page.get_by_label("Webhook URL").fill("http://127.0.0.1:9/hook")
    page.get_by_label("Webhook secret").fill("a-secret-of-enough-length")
    page.get_by_role("button", name="Save the watch").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Taiwan at {width}")
    expect(page.get_by_text("topic: taiwan; status: held")).to_be_visible()
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    no_sideways_scroll(page, f"the watch page at {width}")
    screenshot(page, f"watch-{width}")
    watch = Watch.objects.get()
    assert watch.filters == {"topic": ["taiwan"], "status": ["held"]}
    assert watch.delivery == "webhook" and watch.webhook_secret == "a-secret-of-enough-length"

    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_text("Paused by its owner.")).to_be_visible()
    page.get_by_role("link", name="Watches", exact=True).first.click()
    expect(page.get_by_role("link", name=f"Taiwan at {width}")).to_be_visible()
    no_sideways_scroll(page, f"the watches list at {width}")
    screenshot(page, f"watches-{width}")
