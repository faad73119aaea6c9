"""Writes for alerts: watches, the events they catch, webhook deliveries and email digests."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from alerts.choices import Delivery, EventKind, EventState
from alerts.filters import filters_clean, filters_query, filters_summary
from alerts.models import DeliveryAttempt, Watch, WatchEvent
from alerts.selectors import (
    absolute,
    active_watches,
    channel_watches,
    digest_user_ids,
    meeting_summaries,
    pending_digest_events,
)
from alerts.webhooks import WebhookRefused, webhook_post, webhook_url_check
from diplomacy.filtersets import MeetingFilterSet
from diplomacy.models import ChannelSuspension, Meeting

logger = logging.getLogger(__name__)

WATCH_FIELDS = ("name", "filters", "delivery", "webhook_url", "webhook_secret")
SECRET_MIN_CHARS = 16


class WatchInvalid(Exception):
    """A watch's fields were refused; `errors` maps each field (and each filter) to why."""

    def __init__(self, errors: dict):
        super().__init__("The watch has invalid fields.")
        self.errors = errors


# --- watches -------------------------------------------------------------------------------


def watch_clean(values: dict, watch: Watch | None = None) -> dict:
    """Check a watch's fields (merged over the watch's current ones); raise WatchInvalid
    naming each field that is wrong. Return the values to store."""
    current = {field: getattr(watch, field) for field in WATCH_FIELDS} if watch else {}
    merged = {**current, **{k: v for k, v in values.items() if k in WATCH_FIELDS}}
    errors: dict = {}
    if not str(merged.get("name") or "").strip():
        errors["name"] = "Give the watch a name."
    try:
        merged["filters"] = filters_clean(merged.get("filters") or {})
    except ValidationError as error:
        errors["filters"] = error.message_dict
    delivery = merged.get("delivery")
    if delivery == Delivery.WEBHOOK:
        errors.update(
            _webhook_problems(merged.get("webhook_url", ""), merged.get("webhook_secret", ""))
        )
    elif delivery == Delivery.EMAIL:
        merged["webhook_url"], merged["webhook_secret"] = "", ""
    else:
        errors["delivery"] = "Choose webhook or email."
    if errors:
        raise WatchInvalid(errors)
    return merged


def _webhook_problems(url: str, secret: str) -> dict[str, str]:
    problems = {}
    try:
        webhook_url_check(url or "")
    except WebhookRefused as refused:
        problems["webhook_url"] = str(refused)
    if len(secret or "") < SECRET_MIN_CHARS:
        problems["secret"] = f"A webhook needs a secret of at least {SECRET_MIN_CHARS} characters."
    return problems


def watch_create(user, values: dict) -> Watch:
    """Save a new watch for the user after checking it."""
    return Watch.objects.create(user=user, **watch_clean(values))


def watch_update(watch: Watch, values: dict) -> Watch:
    """Change a watch's fields after checking them; a secret left out is kept."""
    for field, value in watch_clean(values, watch).items():
        setattr(watch, field, value)
    watch.save()
    return watch


def watch_pause(watch: Watch, reason: str = "Paused by its owner.") -> Watch:
    watch.paused_at, watch.paused_reason = timezone.now(), reason[:500]
    watch.save(update_fields=["paused_at", "paused_reason", "updated_at"])
    return watch


def watch_resume(watch: Watch) -> Watch:
    """Resume a watch, forget its failures, and send what waited while it was paused."""
    watch.paused_at, watch.paused_reason, watch.consecutive_failures = None, "", 0
    watch.save(update_fields=["paused_at", "paused_reason", "consecutive_failures", "updated_at"])
    if watch.delivery == Delivery.WEBHOOK:
        waiting = list(watch.events.filter(state=EventState.PENDING).values_list("pk", flat=True))
        transaction.on_commit(lambda: _enqueue_deliveries(waiting))
    return watch


# --- events --------------------------------------------------------------------------------


def events_for_meetings(created: list[int], held: list[int]) -> list[int]:
    """Record an event for every active watch whose filter matches a new meeting or a planned
    meeting now held; return the ids of events recorded now (not those seen before)."""
    visible = Meeting.objects.visible()
    held = list(visible.filter(pk__in=held, status="held").values_list("pk", flat=True))
    ids = sorted(set(created) | set(held))
    if not ids:
        return []
    summaries = meeting_summaries(ids)
    recorded = []
    for watch in active_watches():
        for meeting_id in _matching(watch, visible.filter(pk__in=ids)):
            if meeting_id in created:
                recorded += _record(watch, EventKind.MEETING_NEW, summaries[meeting_id])
            if meeting_id in held:
                recorded += _record(watch, EventKind.MEETING_HELD, summaries[meeting_id], "held")
    return recorded


def _matching(watch: Watch, meetings) -> list[int]:
    filterset = MeetingFilterSet(data=filters_query(watch.filters), queryset=meetings)
    if not filterset.is_valid():  # a topic or person deleted since the watch was saved
        return []
    return list(filterset.qs.values_list("pk", flat=True))


def _record(watch: Watch, kind: str, meeting: dict, state: str = "") -> list[int]:
    key = f"watch:{watch.pk}:{kind}:meeting:{meeting['id']}" + (f":{state}" if state else "")
    payload = {"meeting": meeting}
    return _event_store(watch, kind, key, payload, meeting_id=meeting["id"])


def events_for_resumed_channel(suspension_id: int) -> list[int]:
    """Record an event for every active watch of a channel whose suspension has ended."""
    suspension = (
        ChannelSuspension.objects.filter(pk=suspension_id, end_date__isnull=False)
        .select_related("channel")
        .first()
    )
    if suspension is None:
        return []
    channel = suspension.channel
    payload = {
        "channel": {
            "id": channel.pk,
            "slug": channel.slug,
            "name": channel.name,
            "url": absolute(channel.get_absolute_url()),
            "api_url": absolute(f"/api/v1/channels/{channel.slug}/"),
        },
        "suspension": {
            "start_date": suspension.start_date.isoformat(),
            "end_date": suspension.end_date.isoformat(),
            "side": suspension.side,
        },
    }
    recorded = []
    for watch in channel_watches(channel.slug):
        key = (
            f"watch:{watch.pk}:{EventKind.CHANNEL_RESUMED}:channel:{channel.pk}"
            f":suspension:{suspension.pk}:{suspension.end_date.isoformat()}"
        )
        recorded += _event_store(
            watch, EventKind.CHANNEL_RESUMED, key, payload, channel_id=channel.pk
        )
    return recorded


def _event_store(watch: Watch, kind: str, key: str, payload: dict, **subject) -> list[int]:
    """Insert the event unless its key exists; return [its id] when inserted now."""
    body = {
        "event": kind,
        "watch": watch.pk,
        "idempotency_key": key,
        "occurred_at": timezone.now().isoformat(),
        **payload,
    }
    try:
        with transaction.atomic():
            event = WatchEvent.objects.create(
                watch=watch, kind=kind, idempotency_key=key, payload=body, **subject
            )
    except IntegrityError:
        return []  # seen before: the same news is never sent twice
    if watch.delivery == Delivery.WEBHOOK:
        transaction.on_commit(lambda: _enqueue_deliveries([event.pk]))
    return [event.pk]


def _enqueue_deliveries(event_ids: list[int]) -> None:
    from alerts.tasks import webhook_deliver_task

    for event_id in event_ids:
        webhook_deliver_task.delay(event_id)


# --- webhook delivery ----------------------------------------------------------------------


def retry_delay(attempt: int) -> float:
    """Seconds to wait before retry `attempt` (1, 2, …): doubling, capped."""
    return min(settings.WEBHOOK_RETRY_DELAY * 2 ** (attempt - 1), settings.WEBHOOK_RETRY_MAX_DELAY)


def _event_claim(event_id: int) -> WatchEvent | None:
    """Take the event for one attempt, or None when it is delivered, being sent, or its watch
    is paused. A claim older than the attempt can last is taken over (a worker died).

    The update's conditions are on the event's own row, so of two workers claiming at once
    PostgreSQL lets one through and re-checks the state for the other, which then finds none.
    """
    active = Watch.objects.filter(
        events__pk=event_id, paused_at__isnull=True, delivery=Delivery.WEBHOOK
    )
    if not active.exists():
        return None
    stale = timezone.now() - timedelta(seconds=settings.WEBHOOK_TIMEOUT * 4 + 60)
    claimable = Q(state=EventState.PENDING) | Q(state=EventState.SENDING, claimed_at__lt=stale)
    claimed = WatchEvent.objects.filter(claimable, pk=event_id).update(
        state=EventState.SENDING, claimed_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    return WatchEvent.objects.select_related("watch").get(pk=event_id)


def webhook_deliver(event_id: int) -> str:
    """Make one attempt at posting an event; return "delivered", "retry", "failed" or "skipped".

    The claim makes a duplicate message or a second run harmless: only one attempt holds an
    event at a time, and a delivered event is never posted again.
    """
    event = _event_claim(event_id)
    if event is None:
        return "skipped"
    watch = event.watch
    body = json.dumps(event.payload, cls=DjangoJSONEncoder, sort_keys=True).encode()
    outcome = webhook_post(watch.webhook_url, watch.webhook_secret, body, event.kind)
    DeliveryAttempt.objects.create(
        watch=watch,
        event=event,
        succeeded=outcome.succeeded,
        status_code=outcome.status_code,
        error=outcome.error,
        duration_ms=outcome.duration_ms,
    )
    if outcome.succeeded:
        WatchEvent.objects.filter(pk=event.pk).update(
            state=EventState.DELIVERED, delivered_at=timezone.now()
        )
        Watch.objects.filter(pk=watch.pk, consecutive_failures__gt=0).update(consecutive_failures=0)
        return "delivered"
    return _delivery_failed(event, outcome.error)


def _delivery_failed(event: WatchEvent, error: str) -> str:
    """Count the failure against the watch (pausing it after too many) and decide what next."""
    limit = settings.WEBHOOK_PAUSE_AFTER_FAILURES
    Watch.objects.filter(pk=event.watch_id).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    paused = Watch.objects.filter(
        pk=event.watch_id, paused_at__isnull=True, consecutive_failures__gte=limit
    ).update(
        paused_at=timezone.now(),
        paused_reason=f"Paused after {limit} failed deliveries in a row. Last error: {error}"[:500],
    )
    watch_paused = (
        paused or Watch.objects.filter(pk=event.watch_id, paused_at__isnull=False).exists()
    )
    retry = watch_paused or event.attempts <= settings.WEBHOOK_MAX_RETRIES
    # A paused watch keeps its event waiting: resuming the watch sends it.
    state = EventState.PENDING if retry else EventState.FAILED
    WatchEvent.objects.filter(pk=event.pk).update(state=state)
    if watch_paused:
        return "paused"
    return "retry" if retry else "failed"


# --- email digests -------------------------------------------------------------------------


def digests_send() -> int:
    """Send each user one message with their email watches' new events; return how many."""
    sent = 0
    for user_id in digest_user_ids():
        sent += digest_send(user_id)
    return sent


@transaction.atomic
def digest_send(user_id: int) -> int:
    """Send one user's digest and mark its events delivered; 0 when there is nothing to send.

    The events stay locked until the message is out, so a second run at the same time skips
    them; if sending fails, nothing is marked and tomorrow's digest carries them.
    """
    events = list(pending_digest_events(user_id))
    user = events[0].watch.user if events else None
    if user is None or not user.email:
        return 0
    context = {"user": user, "watches": _by_watch(events), "site_url": settings.SITE_URL}
    message = EmailMultiAlternatives(
        subject=f"Backchannel: {len(events)} new event{'s' if len(events) != 1 else ''}",
        body=render_to_string("alerts/digest.txt", context),
        to=[user.email],
    )
    message.attach_alternative(render_to_string("alerts/digest.html", context), "text/html")
    message.send()
    WatchEvent.objects.filter(pk__in=[event.pk for event in events]).update(
        state=EventState.DELIVERED, delivered_at=timezone.now()
    )
    return 1


def _by_watch(events: list[WatchEvent]) -> list[dict]:
    groups: dict[int, dict] = {}
    for event in events:
        group = groups.setdefault(
            event.watch_id,
            {
                "watch": event.watch,
                "summary": filters_summary(event.watch.filters),
                "url": absolute(event.watch.get_absolute_url()),
                "events": [],
            },
        )
        group["events"].append(event)
    return list(groups.values())
