"""React to diplomacy's news by queueing work: never deliver from inside ingestion."""

import logging

from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from diplomacy.models import ChannelSuspension
from diplomacy.signals import meetings_reported

logger = logging.getLogger(__name__)


@receiver(meetings_reported, dispatch_uid="alerts.match_reported_meetings")
def match_reported_meetings(sender, created, held, **kwargs):
    """Queue matching of new and newly held meetings against the watches (when there are any:
    a bulk load with nobody watching queues nothing)."""
    from alerts.selectors import active_watches
    from alerts.tasks import meetings_match_task

    try:
        if active_watches().exists():
            meetings_match_task.delay(list(created), list(held))
    except Exception:  # a broker outage must not fail the ingestion that announced them
        logger.exception("Could not queue alert matching for meetings %s %s", created, held)


@receiver(pre_save, sender=ChannelSuspension, dispatch_uid="alerts.suspension_before")
def remember_suspension_end(sender, instance, **kwargs):
    """Note whether the suspension was open before this save."""
    before = None
    if instance.pk:
        before = sender.objects.filter(pk=instance.pk).values_list("end_date", flat=True).first()
    instance._alerts_was_open = before is None


@receiver(post_save, sender=ChannelSuspension, dispatch_uid="alerts.suspension_after")
def announce_channel_resumed(sender, instance, **kwargs):
    """Queue a resumed-channel event when a suspension gets its end date."""
    if instance.end_date is None or not getattr(instance, "_alerts_was_open", False):
        return
    suspension_id = instance.pk

    def enqueue():
        from alerts.tasks import channel_resumed_task

        try:
            channel_resumed_task.delay(suspension_id)
        except Exception:
            logger.exception("Could not queue alerts for suspension %s", suspension_id)

    transaction.on_commit(enqueue, robust=True)
