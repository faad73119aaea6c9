"""Watches (saved filters with a delivery), the events they caught, and each delivery attempt."""

from django.conf import settings
from django.db import models
from django.urls import reverse

from alerts.choices import Delivery, EventKind, EventState
from articles.fields import XmlSafeCharField
from diplomacy.models import Channel, Meeting


class Watch(models.Model):
    """A user's saved meeting filter, delivered by webhook or in a daily email digest."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = XmlSafeCharField(max_length=200)
    # Timeline filter parameters (MeetingFilterSet names), each a list of strings.
    filters = models.JSONField(default=dict, blank=True)
    delivery = models.CharField(max_length=10, choices=Delivery.choices)
    webhook_url = models.URLField(max_length=500, blank=True)
    # Kept to sign each body (HMAC needs the secret itself); never shown after it is set.
    webhook_secret = models.CharField(max_length=200, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_reason = models.CharField(max_length=500, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="watch_user_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(delivery="webhook") | ~models.Q(webhook_url=""),
                name="watch_webhook_has_url",
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("alerts:watch", args=[self.pk])

    @property
    def paused(self) -> bool:
        return self.paused_at is not None


class WatchEvent(models.Model):
    """Something a watch caught, delivered once: its key makes a second copy impossible."""

    watch = models.ForeignKey(Watch, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    # watch, kind, subject and the state reached: the same news for the same watch is one row.
    idempotency_key = models.CharField(max_length=200, unique=True)
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payload = models.JSONField(help_text="The body sent: what the event said when it happened.")
    state = models.CharField(max_length=10, choices=EventState.choices, default=EventState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["watch", "created_at"],
                condition=models.Q(state="pending"),
                name="watch_event_pending_idx",
            )
        ]

    def __str__(self):
        return self.idempotency_key


class DeliveryAttempt(models.Model):
    """One try at delivering an event: the answer, or the error, and how long it took."""

    watch = models.ForeignKey(Watch, on_delete=models.CASCADE, related_name="attempts")
    event = models.ForeignKey(WatchEvent, on_delete=models.CASCADE, related_name="delivery_log")
    at = models.DateTimeField(auto_now_add=True)
    succeeded = models.BooleanField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["watch", "-at"], name="delivery_attempt_watch_idx")]

    def __str__(self):
        return f"{self.event} at {self.at}"
