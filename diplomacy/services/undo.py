"""Undoing a curator's last action where that is safe: the values it replaced come back.

An action can be undone while it is the newest one on its meeting or person, while the values
it left are still there, and while no newer evidence speaks to the fields it touched. Merges
and splits are not undone: see NOT_UNDONE for why, shown to curators instead of a button.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Q
from rest_framework import status as http

from diplomacy.choices import CurationAction, ReviewState
from diplomacy.gazetteer import gazetteer_changed
from diplomacy.models import CurationEvent, Evidence, Location, Meeting, Person, Topic
from diplomacy.revision import revision_bump
from diplomacy.services.curation import (
    EDIT_LOCKS,
    CurationError,
    action_record,
    field_value,
    participants_set,
    topics_set,
)
from diplomacy.services.recompute import meetings_recompute

NOT_UNDONE = {
    CurationAction.MERGE: "A merge cannot be undone: the two meetings' sentences, people and "
    "topics were combined and a sentence both held was kept once, so they cannot be told apart "
    "again. Split the sentences off instead.",
    CurationAction.SPLIT: "A split cannot be undone here: merge the meeting that received the "
    "sentences back instead, which keeps both histories.",
    CurationAction.PERSON_MERGE: "A merge of people cannot be undone: the merged person's "
    "record is gone and their names now belong to the survivor.",
    CurationAction.UNDO: "An undo cannot itself be undone: make the change again.",
}
# The evidence field that feeds each lock; title, summary and announced have none.
LOCK_EVIDENCE = {
    "dates": "date",
    "location": "location",
    "participants": "participants",
    "topics": "topics",
    "status": "status",
    "kind": "kind",
}
STATE_ACTIONS = {CurationAction.CONFIRM, CurationAction.REJECT, CurationAction.REOPEN}


def _refused(message: str) -> CurationError:
    return CurationError(message, http.HTTP_409_CONFLICT, field="action")


def _restored_values(event: CurationEvent) -> dict:
    """Return {field: [value it left, value to restore]} for a meeting action's fields."""
    changes = event.changes
    if event.action in STATE_ACTIONS:
        before, after = changes["review_state"]
        return {"review_state": [after, before]}
    return {
        field: [change[1], change[0]] for field, change in changes.items() if field in EDIT_LOCKS
    }


def _lock_change(event: CurationEvent) -> tuple[set[str], set[str]]:
    """Return the locks the action set and the locks it released."""
    locked = event.changes.get("locked")
    if not locked:
        return set(), set()
    before, after = locked
    before = set(before if isinstance(before, list) else [before] if before else [])
    after = set(after if isinstance(after, list) else [after] if after else [])
    return after - before, before - after


def _touched_locks(event: CurationEvent) -> set[str]:
    added, released = _lock_change(event)
    fields = {EDIT_LOCKS[f] for f in _restored_values(event) if f in EDIT_LOCKS}
    return fields | added | released


def _newer(event: CurationEvent):
    if event.meeting_id:
        subject = {"meeting_id": event.meeting_id}
    else:
        subject = {"person_id": event.person_id}
    return CurationEvent.objects.filter(**subject).filter(
        Q(created_at__gt=event.created_at) | Q(created_at=event.created_at, pk__gt=event.pk)
    )


def undo_refusal(event: CurationEvent) -> str | None:
    """Return why the action cannot be undone now, or None when it can."""
    if event.action in NOT_UNDONE:
        return NOT_UNDONE[event.action]
    if _newer(event).exists():
        return "A newer action changed this record since; only the newest action can be undone."
    if event.meeting_id is not None:
        return _meeting_refusal(event, event.meeting)
    if event.person_id is not None:
        return _person_refusal(event, event.person)
    return "This action concerns no meeting or person any more."


def _meeting_refusal(event: CurationEvent, meeting: Meeting) -> str | None:
    if meeting.merged_into_id is not None:
        return f"This meeting was merged into meeting {meeting.merged_into_id} since."
    for field, (left, _) in _restored_values(event).items():
        now = meeting.review_state if field == "review_state" else field_value(meeting, field)
        if now != left:
            return f"The {field.replace('_', ' ')} changed since this action; undo would lose that."
    added, released = _lock_change(event)
    locks = set(meeting.locked_fields)
    if not added <= locks or released & locks:
        return "The locks changed since this action; undo would lose that."
    touched = _touched_locks(event)
    evidence_fields = sorted({LOCK_EVIDENCE[k] for k in touched if k in LOCK_EVIDENCE})
    if evidence_fields and _newer_evidence(meeting, event, evidence_fields):
        return (
            f"New evidence about {', '.join(evidence_fields)} arrived since this action; "
            "check the record and edit it instead."
        )
    return None


def _newer_evidence(meeting: Meeting, event: CurationEvent, fields: list[str]) -> bool:
    return Evidence.objects.filter(
        meeting=meeting, created_at__gt=event.created_at, fields__overlap=fields
    ).exists()


def _person_refusal(event: CurationEvent, person: Person) -> str | None:
    for field, change in event.changes.items():
        if field in ("aliases", "review_state") and getattr(person, field) != change[1]:
            return f"The person's {field.replace('_', ' ')} changed since this action."
    return None


@transaction.atomic
def curation_undo(event: CurationEvent, *, actor=None, reason: str = "") -> CurationEvent:
    """Restore what a curator's action replaced, and record the undo; return that record.

    Refused with 409 (nothing changed) when the action is not the newest on its record, when
    its values were changed since, or when newer evidence touches its fields.
    """
    # Lock the record so that two undos, or an undo and an edit, run one after the other.
    if event.meeting_id is not None:
        Meeting.objects.select_for_update().filter(pk=event.meeting_id).first()
    elif event.person_id is not None:
        Person.objects.select_for_update().filter(pk=event.person_id).first()
    event = CurationEvent.objects.select_related("meeting", "person").get(pk=event.pk)
    refusal = undo_refusal(event)
    if refusal:
        raise _refused(refusal)
    if event.meeting_id is not None:
        changes = _meeting_undo(event, event.meeting)
    else:
        changes = _person_undo(event, event.person)
    record = action_record(
        CurationAction.UNDO,
        actor,
        meeting=event.meeting,
        person=event.person,
        changes={"undid": event.get_action_display(), **changes},
        reason=reason,
    )
    record.undoes = event
    record.save(update_fields=["undoes"])
    revision_bump()
    return record


def _meeting_undo(event: CurationEvent, meeting: Meeting) -> dict:
    restored = _restored_values(event)
    changes = {field: values for field, values in restored.items()}
    if "review_state" in restored:
        meeting.review_state = restored["review_state"][1]
    plain = _restore_fields(meeting, restored)
    added, released = _lock_change(event)
    before_locks = sorted(meeting.locked_fields)
    meeting.locked_fields = sorted((set(meeting.locked_fields) - added) | released)
    if meeting.locked_fields != before_locks:
        changes["locked"] = [before_locks, meeting.locked_fields]
    meeting.save(update_fields=[*plain, "review_state", "locked_fields", "updated_at"])
    if meeting.review_state != ReviewState.REJECTED:
        meetings_recompute({meeting.pk})
    return changes


def _restore_fields(meeting: Meeting, restored: dict) -> list[str]:
    """Set each field back to the value it had; return the plain fields set."""
    plain = []
    for field, (_, value) in restored.items():
        if field == "review_state":
            continue
        if field == "participants":
            participants_set(meeting, _rows(Person, value, "person"))
        elif field == "topics":
            topics_set(meeting, _rows(Topic, value, "topic"))
        else:
            setattr(meeting, field, _stored(field, value))
            plain.append(field)
    return plain


def _rows(model, slugs: list[str], label: str) -> list:
    found = list(model.objects.filter(slug__in=slugs))
    missing = set(slugs) - {row.slug for row in found}
    if missing:
        raise _refused(f"The {label} {sorted(missing)[0]!r} no longer exists; edit instead.")
    return found


def _stored(field: str, value):
    if value is None:
        return None
    if field in ("start_date", "end_date"):
        return date.fromisoformat(value)
    if field == "location":
        location = Location.objects.filter(slug=value).first()
        if location is None:
            raise _refused(f"The place {value!r} no longer exists; edit instead.")
        return location
    return value


def _person_undo(event: CurationEvent, person: Person) -> dict:
    changes = {}
    for field in ("aliases", "review_state"):
        if field in event.changes:
            left, restored = event.changes[field][1], event.changes[field][0]
            setattr(person, field, restored)
            changes[field] = [left, restored]
    person.save(update_fields=list(changes))
    gazetteer_changed()
    return changes
