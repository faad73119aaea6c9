"""Alerts' background work: matching news to watches, posting webhooks, sending digests."""

from celery import shared_task

from alerts.services import (
    digests_send,
    events_for_meetings,
    events_for_resumed_channel,
    retry_delay,
    webhook_deliver,
)
from diplomacy.services import TRANSIENT_ERRORS


@shared_task(
    name="alerts.meetings_match",
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    max_retries=8,
)
def meetings_match_task(created: list[int], held: list[int]) -> int:
    """Record events for watches matching new or newly held meetings; a re-run adds nothing."""
    return len(events_for_meetings(created, held))


@shared_task(
    name="alerts.channel_resumed",
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    max_retries=8,
)
def channel_resumed_task(suspension_id: int) -> int:
    """Record events for watches of a channel whose suspension ended."""
    return len(events_for_resumed_channel(suspension_id))


@shared_task(name="alerts.webhook_deliver", bind=True, acks_late=True, max_retries=None)
def webhook_deliver_task(self, event_id: int) -> str:
    """Make one attempt at posting an event; schedule the next one, backing off, if it failed.

    The service bounds the attempts (WEBHOOK_MAX_RETRIES) and pauses a failing watch.
    """
    outcome = webhook_deliver(event_id)
    if outcome == "retry":
        raise self.retry(countdown=retry_delay(self.request.retries + 1))
    return outcome


@shared_task(name="alerts.digests_send", acks_late=True, autoretry_for=TRANSIENT_ERRORS)
def digests_send_task() -> int:
    """Send the daily email digests; a second run the same day finds nothing left to send."""
    return digests_send()
