"""Curating people: merging a duplicate person into the one that stays."""

from __future__ import annotations

from django.db import transaction

from diplomacy.choices import CurationAction
from diplomacy.models import (
    Evidence,
    Mention,
    Office,
    Participation,
    Person,
    PersonRedirect,
)
from diplomacy.revision import revision_bump
from diplomacy.services.curation import CurationError, action_record
from diplomacy.services.recompute import meetings_recompute


@transaction.atomic
def person_merge(source: Person, into: Person, *, actor=None, reason: str = "") -> Person:
    """Merge `source` into `into`: offices, names, participations and mentions move, evidence
    names the survivor, and the old page redirects to it. Return the survivor."""
    if source.pk == into.pk:
        raise CurationError("A person cannot be merged into themself.", field="into")
    offices = Office.objects.filter(person=source)
    for office in offices:
        if Office.objects.filter(
            person=into, role=office.role, country=office.country, start_date=office.start_date
        ).exists():
            office.delete()  # the survivor already holds this term
    offices_moved = Office.objects.filter(person=source).update(person=into)
    meetings = set(Participation.objects.filter(person=source).values_list("meeting_id", flat=True))
    Participation.objects.filter(person=source, meeting__participations__person=into).delete()
    Participation.objects.filter(person=source).update(person=into)
    mentions = Mention.objects.filter(person=source).update(person=into)
    names = [source.name, *source.aliases]
    into.aliases = [*into.aliases, *(n for n in names if n not in into.aliases and n != into.name)]
    if source.review_state == "confirmed" and into.review_state != "confirmed":
        into.review_state = source.review_state
    into.save()
    _rename_in_claims(source.slug, into.slug)
    PersonRedirect.objects.filter(person=source).update(person=into)
    changes = {
        "merged": [source.slug, into.slug],
        "name": source.name,
        "offices_moved": offices_moved,
        "meetings": len(meetings),
        "mentions_moved": mentions,
    }
    slug = source.slug
    source.delete()
    PersonRedirect.objects.create(slug=slug, person=into)
    meetings_recompute(meetings)
    action_record(CurationAction.PERSON_MERGE, actor, person=into, changes=changes, reason=reason)
    from diplomacy.gazetteer import gazetteer_forget

    gazetteer_forget()
    revision_bump()
    return into


def _rename_in_claims(old: str, new: str) -> None:
    """Make evidence that named the merged person name the survivor."""
    rows = list(Evidence.objects.filter(claims__participants__contains=[{"slug": old}]))
    for row in rows:
        seen = set()
        participants = []
        for participant in row.claims["participants"]:
            slug = new if participant["slug"] == old else participant["slug"]
            if slug not in seen:
                seen.add(slug)
                participants.append({**participant, "slug": slug})
        row.claims = {**row.claims, "participants": participants}
    Evidence.objects.bulk_update(rows, ["claims"], batch_size=500)
