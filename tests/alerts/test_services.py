"""Events caught by watches, each once; the email digest; the webhook address rules."""

from datetime import date
from unittest.mock import patch

import pytest
from django.core import mail

from alerts import services
from alerts.models import WatchEvent
from alerts.tasks import channel_resumed_task, meetings_match_task, webhook_deliver_task
from alerts.webhooks import signature, webhook_post
from diplomacy.services import meeting_edit
from tests.alerts.conftest import make_watch
from tests.factories import ChannelFactory, ChannelSuspensionFactory, MeetingFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_webhook_queue():
    with patch.object(webhook_deliver_task, "delay") as delay:
        yield delay


def test_it_records_a_new_matching_meeting_once(owner, taiwan_meeting):
    """Matching the same news twice (a task run twice) records one event."""
    watch = make_watch(owner)
    other = make_watch(owner, name="Trade", filters={"kind": ["summit"]})
    assert len(services.events_for_meetings([taiwan_meeting.pk], [])) == 1
    assert services.events_for_meetings([taiwan_meeting.pk], []) == []
    event = WatchEvent.objects.get()
    assert event.watch == watch and event.kind == "meeting.new"
    assert event.idempotency_key == f"watch:{watch.pk}:meeting.new:meeting:{taiwan_meeting.pk}"
    assert event.payload["meeting"]["api_url"].endswith(f"/api/v1/meetings/{taiwan_meeting.pk}/")
    assert not other.events.exists()


def test_it_skips_paused_watches_and_rejected_meetings(owner, taiwan_meeting):
    make_watch(owner, paused_at="2024-01-01T00:00Z")
    rejected = MeetingFactory(review_state="rejected")
    make_watch(owner, name="All", filters={})
    assert len(services.events_for_meetings([taiwan_meeting.pk, rejected.pk], [])) == 1


def test_it_records_held_news_only_for_meetings_now_held(owner, taiwan_meeting):
    make_watch(owner)
    taiwan_meeting.status = "planned"
    taiwan_meeting.save()
    assert services.events_for_meetings([], [taiwan_meeting.pk]) == []
    taiwan_meeting.status = "held"
    taiwan_meeting.save()
    assert len(services.events_for_meetings([], [taiwan_meeting.pk])) == 1
    assert WatchEvent.objects.get().idempotency_key.endswith(":held")


def test_it_announces_a_planned_meeting_reported_held(
    owner, taiwan_meeting, django_capture_on_commit_callbacks
):
    """Diplomacy announces the status change after commit; alerts only queues the matching."""
    make_watch(owner)
    taiwan_meeting.status = "planned"
    taiwan_meeting.save()
    with (
        patch.object(meetings_match_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        meeting_edit(taiwan_meeting, {"status": "held"})
    delay.assert_called_once_with([], [taiwan_meeting.pk])


def test_it_announces_new_meetings_found_in_an_article(owner, django_capture_on_commit_callbacks):
    from django.core.management import call_command

    from tests.diplomacy.conftest import BEIJING, ingest

    call_command("load_reference", gazetteer_only=True, verbosity=0)
    make_watch(owner, filters={})
    with (
        patch.object(meetings_match_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        ingest(BEIJING, date(2023, 6, 20))
    created = [call.args[0] for call in delay.call_args_list]
    from diplomacy.models import Meeting

    assert [Meeting.objects.get().pk] in created


def test_it_records_a_channel_resuming_when_its_suspension_ends(
    owner, django_capture_on_commit_callbacks
):
    channel = ChannelFactory(name="Defense Policy Talks", slug="defense-policy-talks")
    suspension = ChannelSuspensionFactory(channel=channel, side="cn", end_date=None)
    watch = make_watch(owner, filters={"channel": [channel.slug]})
    make_watch(owner, name="Other", filters={"kind": ["summit"]})
    with patch.object(
        channel_resumed_task, "delay", side_effect=services.events_for_resumed_channel
    ) as delay:
        with django_capture_on_commit_callbacks(execute=True):
            suspension.note = "still off"
            suspension.save()  # still open: nothing
        assert not delay.called
        with django_capture_on_commit_callbacks(execute=True):
            suspension.end_date = date(2024, 1, 9)
            suspension.save()
        with django_capture_on_commit_callbacks(execute=True):
            suspension.note = "resumed"
            suspension.save()  # already ended: nothing new
    event = WatchEvent.objects.get()
    assert event.watch == watch and event.kind == "channel.resumed"
    assert event.payload["suspension"]["end_date"] == "2024-01-09"
    assert delay.call_count == 1


def test_it_sends_one_digest_per_user_with_links_and_marks_events_delivered(owner, taiwan_meeting):
    """locmem backend: one message per user, text and HTML, then nothing on a second run."""
    second = UserFactory(username="second")
    nobody = UserFactory(username="nobody")
    make_watch(owner)
    make_watch(owner, name="Wang Yi", filters={"participant": ["wang-yi"]})
    make_watch(second, name="Everything", filters={})
    make_watch(nobody, name="Summits", filters={"kind": ["summit"]})
    services.events_for_meetings([taiwan_meeting.pk], [])
    assert services.digests_send() == 2
    assert sorted(message.to[0] for message in mail.outbox) == [
        "owner@example.org",
        "second@example.org",
    ]
    message = next(m for m in mail.outbox if m.to == ["owner@example.org"])
    link = f"/meetings/{taiwan_meeting.slug}/"
    assert "Talks on Taiwan" in message.body and link in message.body
    html, kind = message.alternatives[0]
    assert kind == "text/html" and f'href="http://127.0.0.1:8000{link}"' in html
    assert "Wang Yi" in message.body and "Taiwan" in message.body
    assert not WatchEvent.objects.filter(state="pending").exists()
    assert services.digests_send() == 0
    assert len(mail.outbox) == 2


def test_it_sends_no_digest_without_events(owner):
    make_watch(owner)
    assert services.digests_send() == 0
    assert mail.outbox == []


def test_it_signs_the_body_with_hmac_sha256():
    import hashlib
    import hmac

    body = b'{"event": "meeting.new"}'
    expected = hmac.new(b"key-key-key-key-key", body, hashlib.sha256).hexdigest()
    assert signature("key-key-key-key-key", body) == f"sha256={expected}"


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254/latest/", "http://[fe80::1]/", "http://10.1.2.3/"]
)
def test_it_never_posts_to_metadata_or_private_addresses(url):
    """Checked again when sending, so a name that later resolves inward is refused too."""
    outcome = webhook_post(url, "secret-secret-secret", b"{}", "meeting.new")
    assert not outcome.succeeded and outcome.status_code is None
    assert "private, local or metadata" in outcome.error


def test_it_refuses_loopback_when_it_is_not_allowed(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    outcome = webhook_post("http://127.0.0.1:9/", "secret-secret-secret", b"{}", "meeting.new")
    assert "private, local or metadata" in outcome.error


def test_it_queues_nothing_while_nobody_watches(taiwan_meeting, django_capture_on_commit_callbacks):
    taiwan_meeting.status = "planned"
    taiwan_meeting.save()
    with (
        patch.object(meetings_match_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        meeting_edit(taiwan_meeting, {"status": "held"})
    assert not delay.called


def test_it_backs_off_exponentially_within_a_bound(settings):
    settings.WEBHOOK_RETRY_DELAY, settings.WEBHOOK_RETRY_MAX_DELAY = 30, 200
    assert [services.retry_delay(n) for n in (1, 2, 3, 4, 5)] == [30, 60, 120, 200, 200]


def test_it_never_posts_an_event_that_is_delivered_or_being_sent(owner, taiwan_meeting):
    """A duplicate message finds the event taken or done, and posts nothing."""
    watch = make_watch(
        owner, delivery="webhook", webhook_url="http://127.0.0.1:9/", webhook_secret="x" * 16
    )
    [event_id] = services.events_for_meetings([taiwan_meeting.pk], [])
    with patch("alerts.services.webhook_post") as post:
        for state in ("sending", "delivered"):
            WatchEvent.objects.filter(pk=event_id).update(
                state=state, claimed_at="2999-01-01T00:00Z"
            )
            assert services.webhook_deliver(event_id) == "skipped"
        WatchEvent.objects.filter(pk=event_id).update(state="pending")
        watch.paused_at = "2024-01-01T00:00Z"
        watch.save()
        assert services.webhook_deliver(event_id) == "skipped"
    assert not post.called
