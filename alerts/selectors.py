"""Reads for alerts: a user's watches, a watch's delivery log, what events are about."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet
from django.urls import reverse

from alerts.choices import Delivery, EventState
from alerts.models import DeliveryAttempt, Watch, WatchEvent
from diplomacy.models import Meeting
from diplomacy.selectors import MEETING_CORE_FIELDS

MEETING_SUMMARY_FIELDS = MEETING_CORE_FIELDS


def watches_of(user) -> QuerySet[Watch]:
    """Return the user's watches, newest first: nobody else's is ever reachable."""
    return Watch.objects.filter(user=user)


def watch_list(user) -> QuerySet[Watch]:
    """Return the user's watches with their waiting and delivered events and last attempt."""
    return watches_of(user).annotate(
        # distinct: the join to the attempts repeats each event once per attempt.
        pending_count=Count("events", filter=Q(events__state=EventState.PENDING), distinct=True),
        delivered_count=Count(
            "events", filter=Q(events__state=EventState.DELIVERED), distinct=True
        ),
        last_attempt_at=Max("attempts__at"),
    )


def watch_deliveries(watch: Watch) -> QuerySet[DeliveryAttempt]:
    """Return a watch's delivery log, newest first, with each attempt's event."""
    return DeliveryAttempt.objects.filter(watch=watch).select_related("event")


def active_watches() -> QuerySet[Watch]:
    return Watch.objects.filter(paused_at__isnull=True).order_by("pk")


def channel_watches(slug: str) -> QuerySet[Watch]:
    """Return the active watches whose filter names the channel."""
    return active_watches().filter(filters__channel__contains=[slug])


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def meeting_summaries(ids) -> dict[int, dict]:
    """Return what an event says about each meeting: its fields and page and API addresses."""
    rows = Meeting.objects.filter(pk__in=list(ids)).values(*MEETING_SUMMARY_FIELDS)
    summaries = {}
    for row in rows:
        for field in ("start_date", "end_date"):
            row[field] = row[field].isoformat() if row[field] else None
        row["url"] = absolute(reverse("diplomacy:meeting", args=[row["slug"]]))
        row["api_url"] = absolute(reverse("api:meeting-detail", args=[row["id"]]))
        summaries[row["id"]] = row
    return summaries


def pending_digest_events(user_id: int) -> QuerySet[WatchEvent]:
    """Return a user's email events not sent yet, oldest first, locked against a second run."""
    return (
        WatchEvent.objects.filter(
            watch__user_id=user_id,
            watch__delivery=Delivery.EMAIL,
            watch__paused_at__isnull=True,
            state=EventState.PENDING,
        )
        .select_for_update(of=("self",), skip_locked=True)
        .select_related("watch")
        .order_by("watch_id", "created_at", "pk")
    )


def digest_user_ids() -> list[int]:
    """Return the users who have email events waiting."""
    return list(
        WatchEvent.objects.filter(
            watch__delivery=Delivery.EMAIL,
            watch__paused_at__isnull=True,
            state=EventState.PENDING,
        )
        .values_list("watch__user_id", flat=True)
        .distinct()
        .order_by("watch__user_id")
    )
