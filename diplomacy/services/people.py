"""Curating people: merging a duplicate person into the one that stays, adding a name read
in a sentence, confirming an official that extraction discovered."""

from __future__ import annotations

from django.db import transaction

from diplomacy.choices import CurationAction, PersonReviewState
from diplomacy.gazetteer import gazetteer_changed
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
    gazetteer_changed()
    revision_bump()
    return into


# An alias is a name: at least two letters, at most this long (the field's limit).
ALIAS_MAX_LENGTH = 200


@transaction.atomic
def person_alias_add(
    person: Person, alias: str, evidence: Evidence, *, actor=None, reason: str = ""
) -> Person:
    """Add a name of the person, as written in an evidence sentence; extraction then knows it.

    The alias must occur in the sentence (ignoring case and runs of spaces), so every name a
    curator adds is traced to the text that uses it.
    """
    alias = " ".join((alias or "").split())
    _check_alias(person, alias, evidence)
    before = list(person.aliases)
    person.aliases = [*before, alias]
    person.save(update_fields=["aliases"])
    changes = {
        "aliases": [before, person.aliases],
        "alias": alias,
        "evidence": evidence.pk,
        "quote": evidence.quote[:300],
    }
    action_record(CurationAction.ALIAS, actor, person=person, changes=changes, reason=reason)
    gazetteer_changed()
    revision_bump()
    return person


def _check_alias(person: Person, alias: str, evidence: Evidence) -> None:
    if sum(character.isalpha() for character in alias) < 2:
        raise CurationError("An alias needs at least two letters.", field="alias")
    if len(alias) > ALIAS_MAX_LENGTH:
        raise CurationError(f"An alias has at most {ALIAS_MAX_LENGTH} characters.", field="alias")
    if alias.casefold() not in " ".join(evidence.quote.split()).casefold():
        raise CurationError(
            f"{alias!r} does not occur in evidence sentence {evidence.pk}.", field="alias"
        )
    known = {name.casefold() for name in (person.name, *person.aliases)}
    if alias.casefold() in known:
        raise CurationError(f"{person.name} is already known as {alias!r}.", field="alias")


@transaction.atomic
def person_confirm(person: Person, *, actor=None, reason: str = "") -> Person:
    """Confirm an official that extraction discovered: a curator vouches for the record."""
    if person.review_state == PersonReviewState.CONFIRMED:
        raise CurationError(f"{person.name} is already confirmed.", 409, field="review_state")
    before = person.review_state
    person.review_state = PersonReviewState.CONFIRMED
    person.save(update_fields=["review_state"])
    action_record(
        CurationAction.PERSON_CONFIRM,
        actor,
        person=person,
        changes={"review_state": [before, person.review_state]},
        reason=reason,
    )
    revision_bump()
    return person


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
