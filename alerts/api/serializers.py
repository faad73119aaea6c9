from rest_framework import serializers

from alerts.choices import Delivery, EventKind, EventState
from alerts.filters import WATCH_FILTERS
from alerts.models import DeliveryAttempt, Watch

FILTERS_HELP = (
    "Timeline filters, as on GET /api/v1/meetings/: an object whose keys are filter names ("
    + ", ".join(WATCH_FILTERS)
    + ") and whose values are a string or a list of strings. Empty: every new meeting."
)


class WatchSerializer(serializers.ModelSerializer):
    """A watch as its owner sees it; the secret is accepted but never returned."""

    filters = serializers.JSONField(required=False, help_text=FILTERS_HELP)
    delivery = serializers.ChoiceField(choices=Delivery.choices)
    webhook_url = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="http(s) address (webhook)."
    )
    secret = serializers.CharField(
        source="webhook_secret",
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Signs each body (HMAC-SHA256); at least 16 characters. Never shown again; "
        "left out on update, the current one is kept.",
    )
    paused = serializers.BooleanField(
        required=False, help_text="Pause (true) or resume (false) deliveries."
    )
    url = serializers.HyperlinkedIdentityField(view_name="api:watch-detail")
    deliveries_url = serializers.HyperlinkedIdentityField(view_name="api:watch-deliveries")

    class Meta:
        model = Watch
        fields = [
            "id",
            "name",
            "filters",
            "delivery",
            "webhook_url",
            "secret",
            "paused",
            "paused_at",
            "paused_reason",
            "consecutive_failures",
            "created_at",
            "updated_at",
            "url",
            "deliveries_url",
        ]
        read_only_fields = [
            "paused_at",
            "paused_reason",
            "consecutive_failures",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"name": {"max_length": 200}}


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    event = serializers.ChoiceField(source="event.kind", choices=EventKind.choices)
    idempotency_key = serializers.CharField(source="event.idempotency_key")
    event_state = serializers.ChoiceField(source="event.state", choices=EventState.choices)

    class Meta:
        model = DeliveryAttempt
        fields = [
            "id",
            "at",
            "event",
            "idempotency_key",
            "event_state",
            "succeeded",
            "status_code",
            "error",
            "duration_ms",
        ]
