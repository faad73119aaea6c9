from django.db import models


class Delivery(models.TextChoices):
    WEBHOOK = "webhook", "Webhook"
    EMAIL = "email", "Daily email digest"


class EventKind(models.TextChoices):
    MEETING_NEW = "meeting.new", "New meeting"
    MEETING_HELD = "meeting.held", "Planned meeting reported held"
    CHANNEL_RESUMED = "channel.resumed", "Channel resumed after a suspension"


class EventState(models.TextChoices):
    PENDING = "pending", "Waiting"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
