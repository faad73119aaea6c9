"""What curators leave behind: pinned evidence, redirects of merged people, and history."""

from django.conf import settings
from django.db import models

from articles.models import Article
from diplomacy.choices import (
    CurationAction,
)
from diplomacy.models.core import Meeting, Person


class EvidencePin(models.Model):
    """A sentence of an article left on a meeting when a curator's decision touched it.

    Re-running extraction on the article sends the evidence of that sentence to the pinned
    meetings instead of matching it again, so merges, splits, rejections and edits survive.
    """

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="evidence_pins", db_index=False
    )
    start = models.PositiveIntegerField()
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="pins")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "start", "meeting"], name="evidence_pin_unique"
            )
        ]

    def __str__(self):
        return f"{self.article_id}:{self.start} -> {self.meeting_id}"


class PersonRedirect(models.Model):
    """The slug of a person merged into another; the old page redirects to the survivor."""

    slug = models.SlugField(max_length=200, unique=True)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="redirects")

    def __str__(self):
        return f"{self.slug} -> {self.person_id}"


class CurationEvent(models.Model):
    """One curator action: who did what to which meeting or person, when, and why."""

    action = models.CharField(max_length=20, choices=CurationAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.CASCADE, related_name="curation_events"
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="curation_events"
    )
    # {field: [before, after]}, plus what a merge or split moved.
    changes = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    # The action this one undid; one-to-one, so an action is never undone twice.
    undoes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="undone_by"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_action_display()} by {self.actor} at {self.created_at:%Y-%m-%d %H:%M}"
