"""Curators' decisions: edit, lock and unlock, confirm, reject, merge and split meetings, merge
people. Each one is recorded as a CurationEvent and pins the evidence it concerns, so that
re-running extraction sends those sentences back to the meeting the curator chose.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from rest_framework import status as http

from config.exceptions import DomainError
from diplomacy.choices import CurationAction, DatePrecision, MeetingStatus, ReviewState, Side
from diplomacy.models import (
    CurationEvent,
    Evidence,
    EvidencePin,
    Location,
    Meeting,
    MeetingTopic,
    Office,
    Participation,
    Person,
    Topic,
)
from diplomacy.revision import revision_bump
from diplomacy.services.matching import meeting_free_slug
from diplomacy.services.recompute import meetings_recompute
from diplomacy.signals import meetings_announce

# The fields a curator may edit, and the lock each one sets (recompute's names).
EDIT_LOCKS = {
    "title": "title",
    "kind": "kind",
    "status": "status",
    "start_date": "dates",
    "end_date": "dates",
    "date_precision": "dates",
    "location": "location",
    "announced": "announced",
    "summary": "summary",
    "participants": "participants",
    "topics": "topics",
}
LOCKABLE = sorted(set(EDIT_LOCKS.values()))
SIDES = {"US": Side.US, "CN": Side.CN, "TW": Side.TW}


class CurationError(DomainError):
    """A curator's request that would leave the data wrong; nothing was changed."""


def _live(meeting: Meeting) -> None:
    if meeting.merged_into_id is not None:
        raise CurationError(
            f"This meeting was merged into meeting {meeting.merged_into_id}; edit that one.",
            http.HTTP_409_CONFLICT,
        )


def action_record(
    action, actor, meeting=None, person=None, changes=None, reason=""
) -> CurationEvent:
    return CurationEvent.objects.create(
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        meeting=meeting,
        person=person,
        changes=changes or {},
        reason=reason or "",
    )


def _pin(*meetings: Meeting) -> None:
    """Pin every sentence of the articles supporting these meetings where it now is.

    The whole article is pinned, not only these meetings' sentences: a sentence supporting
    two meetings then returns to both when extraction runs again.
    """
    articles = Evidence.objects.filter(meeting__in=meetings).values("article_id")
    rows = Evidence.objects.filter(article_id__in=articles).values_list(
        "article_id", "start", "meeting_id"
    )
    EvidencePin.objects.filter(article_id__in=articles).delete()
    EvidencePin.objects.bulk_create(
        [EvidencePin(article_id=a, start=s, meeting_id=m) for a, s, m in rows.distinct()]
    )


def _shown(value):
    """Return a field's value as history stores it (JSON, slugs for rows)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Location):
        return value.slug
    if isinstance(value, list | tuple):
        return [_shown(item) for item in value]
    if isinstance(value, Person | Topic):
        return value.slug
    return value


def field_value(meeting: Meeting, field: str):
    """Return a field's current value as history stores it."""
    if field == "participants":
        return sorted(meeting.participations.order_by().values_list("person__slug", flat=True))
    if field == "topics":
        return sorted(meeting.meeting_topics.order_by().values_list("topic__slug", flat=True))
    if field == "location":
        return meeting.location.slug if meeting.location_id else None
    return _shown(getattr(meeting, field))


def _check_dates(start, end, precision) -> None:
    if start is not None and end is not None and end < start:
        raise CurationError("The end date is before the start date.", field="end_date")
    if precision != DatePrecision.UNKNOWN and start is None:
        raise CurationError(
            f"A date precision of {precision!r} needs a start date.", field="date_precision"
        )
    if start is not None and end is not None:
        if precision == DatePrecision.MONTH and (start.year, start.month) != (end.year, end.month):
            # A month-precise meeting lies within one month.
            raise CurationError(
                "Dates in different months contradict the precision 'month'.",
                field="date_precision",
            )
        if precision == DatePrecision.YEAR and start.year != end.year:
            raise CurationError(
                "Dates in different years contradict the precision 'year'.",
                field="date_precision",
            )


@transaction.atomic
def meeting_edit(meeting: Meeting, values: dict, *, actor=None, reason: str = "") -> Meeting:
    """Set the given fields of a meeting and lock each one against extraction.

    `values` holds field names of EDIT_LOCKS; `location` is a Location or None,
    `participants` a list of Persons, `topics` a list of Topics.
    """
    _check_edit(meeting, values)
    changes = _edit_changes(meeting, values)
    _announce_if_held(meeting, values)
    plain = [f for f in values if f not in ("participants", "topics")]
    for field in plain:
        setattr(meeting, field, values[field])
    if "participants" in values:
        participants_set(meeting, values["participants"])
    if "topics" in values:
        topics_set(meeting, values["topics"])
    locks = {EDIT_LOCKS[field] for field in values}
    before_locks = sorted(meeting.locked_fields)
    meeting.locked_fields = sorted(set(meeting.locked_fields) | locks)
    if changes and meeting.locked_fields != before_locks:
        # Undo releases exactly the locks this edit set.
        changes["locked"] = [before_locks, meeting.locked_fields]
    meeting.save(update_fields=[*plain, "locked_fields", "updated_at"])
    _pin(meeting)
    meetings_recompute({meeting.pk})
    if changes:
        action_record(CurationAction.EDIT, actor, meeting, changes=changes, reason=reason)
    revision_bump()
    meeting.refresh_from_db()
    return meeting


def _announce_if_held(meeting: Meeting, values: dict) -> None:
    """Announce a planned meeting a curator reports held (alerts watch for it)."""
    if meeting.status == MeetingStatus.PLANNED and values.get("status") == MeetingStatus.HELD:
        meetings_announce(held=[meeting.pk])


def _check_edit(meeting: Meeting, values: dict) -> None:
    """Refuse an edit of a merged-away meeting, of a field that is not editable, of dates out
    of order or at a precision they contradict, and an empty title."""
    _live(meeting)
    unknown = set(values) - set(EDIT_LOCKS)
    if unknown:
        raise CurationError(f"Not an editable field: {sorted(unknown)[0]}.", field="non_field")
    if {"start_date", "end_date", "date_precision"} & set(values):
        _check_dates(
            values.get("start_date", meeting.start_date),
            values.get("end_date", meeting.end_date),
            values.get("date_precision", meeting.date_precision),
        )
    if "title" in values and not (values["title"] or "").strip():
        raise CurationError("A meeting needs a title.", field="title")


def _edit_changes(meeting: Meeting, values: dict) -> dict:
    """Return {field: [before, after]} for the values that differ from the meeting's."""
    changes = {}
    for field, value in values.items():
        before, after = field_value(meeting, field), _shown(value)
        if field in ("participants", "topics"):
            after = sorted(after)
        if before != after:
            changes[field] = [before, after]
    return changes


def participants_set(meeting: Meeting, people: list[Person]) -> None:
    wanted = {person.pk: person for person in people}
    meeting.participations.exclude(person_id__in=wanted).delete()
    present = set(meeting.participations.values_list("person_id", flat=True))
    day = meeting.start_date
    new = []
    for pk, person in wanted.items():
        if pk in present:
            continue
        office = (
            Office.objects.held_on(day).filter(person=person).first()
            if day
            else Office.objects.filter(person=person).first()
        )
        new.append(
            Participation(
                meeting=meeting,
                person=person,
                role=office.title if office else "",
                side=SIDES.get(person.country, Side.OTHER),
            )
        )
    Participation.objects.bulk_create(new, ignore_conflicts=True)


def topics_set(meeting: Meeting, topics: list[Topic]) -> None:
    wanted = {topic.pk for topic in topics}
    meeting.meeting_topics.exclude(topic_id__in=wanted).delete()
    present = set(meeting.meeting_topics.values_list("topic_id", flat=True))
    MeetingTopic.objects.bulk_create(
        [MeetingTopic(meeting=meeting, topic_id=pk) for pk in wanted - present],
        ignore_conflicts=True,
    )


@transaction.atomic
def meeting_unlock(meeting: Meeting, field: str, *, actor=None, reason: str = "") -> Meeting:
    """Let extraction set a field again, and recompute it from the evidence now."""
    _live(meeting)
    field = EDIT_LOCKS.get(field, field)
    if field not in meeting.locked_fields:
        raise CurationError(f"The field {field!r} is not locked.", field="field")
    shown = lock_fields(field)
    before = {name: field_value(meeting, name) for name in shown}
    meeting.locked_fields = [f for f in meeting.locked_fields if f != field]
    meeting.save(update_fields=["locked_fields", "updated_at"])
    meetings_recompute({meeting.pk})
    meeting.refresh_from_db()
    changes = {"locked": [field, None]}
    for name in shown:
        after = field_value(meeting, name)
        if before[name] != after:
            changes[name] = [before[name], after]
    action_record(CurationAction.UNLOCK, actor, meeting, changes=changes, reason=reason)
    revision_bump()
    return meeting


def lock_fields(lock: str) -> list[str]:
    """Return the editable fields one lock covers (dates cover three)."""
    return [field for field, name in EDIT_LOCKS.items() if name == lock]


def _set_state(meeting: Meeting, state: str, action: str, actor, reason: str) -> Meeting:
    _live(meeting)
    before = meeting.review_state
    meeting.review_state = state
    meeting.save(update_fields=["review_state", "updated_at"])
    _pin(meeting)
    if state != ReviewState.REJECTED:
        meetings_recompute({meeting.pk})  # flags conflicting evidence on confirmed meetings
    action_record(action, actor, meeting, changes={"review_state": [before, state]}, reason=reason)
    revision_bump()
    return meeting


@transaction.atomic
def meeting_confirm(meeting: Meeting, *, actor=None, reason: str = "") -> Meeting:
    """Confirm a meeting: its fields are curated and extraction only flags disagreement."""
    return _set_state(meeting, ReviewState.CONFIRMED, CurationAction.CONFIRM, actor, reason)


@transaction.atomic
def meeting_reject(meeting: Meeting, *, actor=None, reason: str = "") -> Meeting:
    """Reject a meeting: hidden from readers, and never recreated from the same sentences."""
    return _set_state(meeting, ReviewState.REJECTED, CurationAction.REJECT, actor, reason)


@transaction.atomic
def meeting_merge(source: Meeting, into: Meeting, *, actor=None, reason: str = "") -> Meeting:
    """Merge `source` into `into`: evidence, people, topics and curated fields move; the source
    stays as a rejected stub pointing at the survivor. Return the survivor."""
    if source.pk == into.pk:
        raise CurationError("A meeting cannot be merged into itself.", field="into")
    _live(source)
    if into.merged_into_id is not None:
        raise CurationError(
            f"Meeting {into.pk} was itself merged into meeting {into.merged_into_id}.",
            http.HTTP_409_CONFLICT,
            field="into",
        )
    if into.review_state == ReviewState.REJECTED:
        raise CurationError(
            "Cannot merge into a rejected meeting.", http.HTTP_409_CONFLICT, field="into"
        )
    moved = _move_evidence(into, Evidence.objects.filter(meeting=source))
    Participation.objects.filter(meeting=source, person__participations__meeting=into).delete()
    Participation.objects.filter(meeting=source).update(meeting=into)
    MeetingTopic.objects.filter(meeting=source, topic__meeting_topics__meeting=into).delete()
    MeetingTopic.objects.filter(meeting=source).update(meeting=into)
    Meeting.objects.filter(merged_into=source).update(merged_into=into)
    # Fields the source's curator fixed and the survivor's did not move with it.
    taken = [f for f in source.locked_fields if f not in into.locked_fields]
    for lock in taken:
        for field in [f for f, lk in EDIT_LOCKS.items() if lk == lock]:
            if field not in ("participants", "topics"):
                setattr(into, field, getattr(source, field))
    if taken:
        into.locked_fields = sorted({*into.locked_fields, *taken})
    if source.review_state == ReviewState.CONFIRMED:
        into.review_state = ReviewState.CONFIRMED
    into.save()
    before = source.review_state
    source.review_state = ReviewState.REJECTED
    source.merged_into = into
    source.evidence_count = source.article_count = 0
    source.save()
    _pin(into)
    meetings_recompute({into.pk})
    # Each side's history says what happened to it: the survivor took the source in, the
    # source went into the survivor.
    took = {"merged_from": f"{source.title} (id {source.pk})", "evidence_moved": moved}
    if taken:
        took["locks_moved"] = taken
    action_record(CurationAction.MERGE, actor, into, changes=took, reason=reason)
    went = {
        "merged_into": [None, into.pk],
        "review_state": [before, ReviewState.REJECTED],
        "evidence_moved": moved,
    }
    action_record(CurationAction.MERGE, actor, source, changes=went, reason=reason)
    revision_bump()
    into.refresh_from_db()
    return into


def _move_evidence(into: Meeting, rows) -> int:
    """Move evidence rows to `into`; a sentence it already has is dropped, not doubled."""
    ids = list(rows.values_list("pk", flat=True))
    held = set(Evidence.objects.filter(meeting=into).values_list("article_id", "start"))
    doubles = [
        pk
        for pk, article_id, start in Evidence.objects.filter(pk__in=ids).values_list(
            "pk", "article_id", "start"
        )
        if (article_id, start) in held
    ]
    Evidence.objects.filter(pk__in=doubles).delete()
    return Evidence.objects.filter(pk__in=ids).update(meeting=into)


@transaction.atomic
def meeting_split(
    meeting: Meeting,
    evidence_ids: list[int],
    into: Meeting | None = None,
    *,
    actor=None,
    reason: str = "",
) -> Meeting:
    """Move some of a meeting's evidence to a new meeting (or `into`); recompute both.

    Return the meeting that received the evidence.
    """
    _live(meeting)
    wanted = set(evidence_ids)
    own = set(Evidence.objects.filter(meeting=meeting).values_list("pk", flat=True))
    if not wanted:
        raise CurationError("Choose at least one sentence to split off.", field="evidence")
    strangers = wanted - own
    if strangers:
        raise CurationError(
            f"Evidence {sorted(strangers)} does not support this meeting.", field="evidence"
        )
    if wanted == own:
        raise CurationError(
            "Splitting off every sentence leaves nothing; merge instead.", field="evidence"
        )
    if into is not None:
        if into.pk == meeting.pk:
            raise CurationError("Split into another meeting, not the same one.", field="into")
        _live(into)
        if into.review_state == ReviewState.REJECTED:
            raise CurationError(
                "Cannot split into a rejected meeting.", http.HTTP_409_CONFLICT, field="into"
            )
    else:
        into = Meeting.objects.create(
            title=f"{meeting.title} (split)",
            slug=meeting_free_slug(f"{meeting.title} split"),
            kind=meeting.kind,
            status=meeting.status,
        )
    moved = _move_evidence(into, Evidence.objects.filter(pk__in=wanted))
    _pin(meeting, into)
    meetings_recompute({meeting.pk, into.pk})
    changes = {"evidence_moved": moved, "split_into": [None, into.pk], "evidence": sorted(wanted)}
    action_record(CurationAction.SPLIT, actor, meeting, changes=changes, reason=reason)
    action_record(
        CurationAction.SPLIT,
        actor,
        into,
        changes={**changes, "split_from": [None, meeting.pk]},
        reason=reason,
    )
    revision_bump()
    into.refresh_from_db()
    return into


@transaction.atomic
def meeting_lock(meeting: Meeting, field: str, *, actor=None, reason: str = "") -> Meeting:
    """Keep a field's current value: extraction no longer changes it."""
    _live(meeting)
    field = EDIT_LOCKS.get(field, field)
    if field not in LOCKABLE:
        raise CurationError(f"Not a field that can be locked: {field!r}.", field="field")
    if field in meeting.locked_fields:
        return meeting
    meeting.locked_fields = sorted({*meeting.locked_fields, field})
    meeting.save(update_fields=["locked_fields", "updated_at"])
    _pin(meeting)
    action_record(
        CurationAction.LOCK, actor, meeting, changes={"locked": [None, field]}, reason=reason
    )
    revision_bump()
    return meeting


@transaction.atomic
def meeting_reopen(meeting: Meeting, *, actor=None, reason: str = "") -> Meeting:
    """Put a confirmed or rejected meeting back in extraction's hands (review state auto)."""
    return _set_state(meeting, ReviewState.AUTO, CurationAction.REOPEN, actor, reason)


@transaction.atomic
def meeting_curate(
    meeting: Meeting,
    values: dict,
    *,
    review_state: str | None = None,
    locked_fields: list[str] | None = None,
    actor=None,
    reason: str = "",
) -> Meeting:
    """Apply one request's changes at once: edits, then locks kept or released, then the
    review state. Nothing is changed when any of them is refused."""
    _live(meeting)
    if values:
        meeting = meeting_edit(meeting, values, actor=actor, reason=reason)
    if locked_fields is not None:
        wanted = set(locked_fields)
        for field in sorted(set(meeting.locked_fields) - wanted):
            meeting = meeting_unlock(meeting, field, actor=actor, reason=reason)
        for field in sorted(wanted - set(meeting.locked_fields)):
            meeting = meeting_lock(meeting, field, actor=actor, reason=reason)
    if review_state is not None and review_state != meeting.review_state:
        change = {
            ReviewState.CONFIRMED: meeting_confirm,
            ReviewState.REJECTED: meeting_reject,
            ReviewState.AUTO: meeting_reopen,
        }[review_state]
        meeting = change(meeting, actor=actor, reason=reason)
    return meeting
