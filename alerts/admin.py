from django.contrib import admin

from alerts.models import DeliveryAttempt, Watch, WatchEvent


@admin.register(Watch)
class WatchAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "delivery", "paused_at", "consecutive_failures", "created_at"]
    list_filter = ["delivery"]
    search_fields = ["name", "user__username"]
    raw_id_fields = ["user"]
    exclude = ["webhook_secret"]  # write-only: set through the owner's pages or the API


@admin.register(WatchEvent)
class WatchEventAdmin(admin.ModelAdmin):
    list_display = ["idempotency_key", "kind", "state", "attempts", "created_at", "delivered_at"]
    list_filter = ["kind", "state"]
    raw_id_fields = ["watch", "meeting", "channel"]


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(admin.ModelAdmin):
    list_display = ["event", "at", "succeeded", "status_code", "duration_ms"]
    list_filter = ["succeeded"]
    raw_id_fields = ["watch", "event"]
