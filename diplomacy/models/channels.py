"""Channels: recurring lines of contact, their suspensions and their meetings."""

from django.db import models
from django.urls import reverse

from articles.fields import XmlSafeCharField, XmlSafeTextField
from articles.models import Source
from diplomacy.choices import (
    ChannelKind,
    ChannelLinkBy,
    Side,
)
from diplomacy.models.core import Evidence, Meeting, alias_list


class Channel(models.Model):
    """A recurring line of contact: a pair of counterpart offices or a named mechanism."""

    name = XmlSafeCharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=ChannelKind.choices)
    us_role = models.SlugField(
        max_length=60, blank=True, help_text="Office role key on the US side (office pairs)"
    )
    cn_role = models.SlugField(
        max_length=60, blank=True, help_text="Office role key on the Chinese side (office pairs)"
    )
    aliases = alias_list()
    start_date = models.DateField(null=True, blank=True)
    description = XmlSafeTextField(blank=True)
    meetings = models.ManyToManyField(
        Meeting, through="MeetingChannel", related_name="channels", blank=True
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind=ChannelKind.OFFICE_PAIR)
                | (~models.Q(us_role="") & ~models.Q(cn_role="")),
                name="channel_office_pair_roles",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("diplomacy:channel", args=[self.slug])


class ChannelSuspension(models.Model):
    """A dated interval in which one side suspended a channel; an open end means still off."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="suspensions")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    side = models.CharField(max_length=10, choices=Side.choices)
    note = XmlSafeTextField(blank=True)
    evidence = models.ForeignKey(
        Evidence, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["channel", "start_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "start_date"], name="channel_suspension_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="channel_suspension_dates_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.channel} suspended from {self.start_date}"


class MeetingChannel(models.Model):
    """A meeting held through a channel, and what tied it there."""

    # Served by meeting_channel_unique and meeting_channel_channel_idx.
    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="meeting_channels", db_index=False
    )
    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="meeting_channels", db_index=False
    )
    linked_by = models.CharField(max_length=20, choices=ChannelLinkBy.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "channel"], name="meeting_channel_unique")
        ]
        indexes = [models.Index(fields=["channel", "meeting"], name="meeting_channel_channel_idx")]

    def __str__(self):
        return f"{self.meeting} through {self.channel}"
