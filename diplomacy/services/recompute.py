"""Recomputing meetings from their evidence: every extracted field follows the claims."""

from __future__ import annotations

from datetime import date

from django.db import connection

from diplomacy import merging
from diplomacy.choices import MeetingStatus, ReviewState
from diplomacy.models import Evidence, Location, Meeting, MeetingTopic, Participation, Person, Topic
from diplomacy.selectors import tables
from diplomacy.selectors.ingestion import (
    Claim,
    Link,
    claims_by_meeting,
    links_by_meeting,
    totals_by_meeting,
)
from diplomacy.services.channels import channel_assign
from diplomacy.services.reference import Ref, Reference, reference_current
from diplomacy.signals import meetings_announce

# Titles name the US side first, then China, then Taiwan.
SIDE_ORDER = {"us": 0, "cn": 1, "tw": 2}


# The fields that decide which reports a meeting may take.
SHAPE = {"kind", "start_date", "end_date", "date_precision", "location_id"}


def meetings_recompute(meeting_ids: set[int], lookups: Reference | None = None) -> set[int]:
    """Derive each meeting's fields from its evidence; drop extracted meetings left bare.

    Return the meetings whose kind, dates, place or people changed.
    """
    if not meeting_ids:
        return set()
    reference = lookups or reference_current()
    ids = sorted(meeting_ids)
    claims = claims_by_meeting(ids)
    totals = totals_by_meeting(ids)
    # A meeting merged away keeps no evidence: it stays as the redirect to its survivor.
    meetings = list(Meeting.objects.filter(pk__in=ids, merged_into__isnull=True))
    # A meeting a curator edited is kept even when its evidence is gone.
    bare = [
        m.pk
        for m in meetings
        if m.pk not in claims and m.review_state == ReviewState.AUTO and not m.locked_fields
    ]
    if bare:
        Meeting.objects.filter(pk__in=bare).delete()
    kept = [meeting for meeting in meetings if meeting.pk not in bare]
    participants, topics = links_by_meeting([meeting.pk for meeting in kept])
    reshaped, counted = set(), []
    for meeting in kept:
        if _recompute(
            meeting,
            claims.get(meeting.pk, []),
            totals.get(meeting.pk, {}),
            reference,
            participants.get(meeting.pk, []),
            topics.get(meeting.pk, []),
            counted,
        ):
            reshaped.add(meeting.pk)
    _save_counts(counted)
    channel_assign([meeting.pk for meeting in kept])
    return reshaped


class _Changes:
    """The fields of one meeting set during a recompute, and which of them changed."""

    def __init__(self, meeting: Meeting):
        self.meeting = meeting
        self.changed: set[str] = set()

    def put(self, field: str, value) -> None:
        if getattr(self.meeting, field) != value:
            setattr(self.meeting, field, value)
            self.changed.add(field)


def _recompute(
    meeting, claims: list[Claim], totals, reference, participants, topics, counted: list
) -> bool:
    """Recompute one meeting; return whether its kind, dates, place or people changed. A
    meeting whose counts alone changed is added to `counted`, to be written with the others."""
    changes = _Changes(meeting)
    people = {link.slug for link in participants}
    _recompute_status_and_kind(changes, claims)
    _recompute_date(changes, claims)
    _recompute_place(changes, claims, reference)
    announced = [c.claims["announced"] for c in claims if "announced" in c.claims]
    if announced and not _locked(meeting, "announced"):
        changes.put("announced", merging.best_announced(announced))
    changes.put("first_reported_at", totals.get("first_reported_at"))
    if not _locked(meeting, "participants"):
        participants = _sync_participants(meeting, claims, participants, reference)
    if not _locked(meeting, "topics"):
        topics = _sync_topics(meeting, claims, topics, reference)
    if not _locked(meeting, "title"):
        _retitle(changes, participants, topics, reference)
    _save(meeting, changes.changed, totals, counted)
    if meeting.review_state == ReviewState.CONFIRMED:
        _flag_conflicts(meeting, claims)
    return bool(changes.changed & SHAPE) or people != {link.slug for link in participants}


def _locked(meeting: Meeting, field: str) -> bool:
    return meeting.review_state == ReviewState.CONFIRMED or field in meeting.locked_fields


def _recompute_status_and_kind(changes: _Changes, claims: list[Claim]) -> None:
    statuses = [c.claims["status"] for c in claims if "status" in c.claims]
    kinds = [(c.claims["kind"], c.confidence, c.reports) for c in claims if "kind" in c.claims]
    if statuses and not _locked(changes.meeting, "status"):
        was = changes.meeting.status
        changes.put("status", merging.best_status(statuses))
        if was == MeetingStatus.PLANNED and changes.meeting.status == MeetingStatus.HELD:
            meetings_announce(held=[changes.meeting.pk])
    if kinds and not _locked(changes.meeting, "kind"):
        changes.put("kind", merging.best_kind(kinds))


def _recompute_date(changes: _Changes, claims: list[Claim]) -> None:
    dates = [
        (date_claim(c.claims["date"]), c.claims.get("status", ""), c.confidence)
        for c in claims
        if "date" in c.claims
    ]
    chosen = merging.best_date(dates)
    if chosen and not _locked(changes.meeting, "dates"):
        changes.put("start_date", chosen.start)
        changes.put("end_date", chosen.end)
        changes.put("date_precision", chosen.precision)


def _recompute_place(changes: _Changes, claims: list[Claim], reference: Reference) -> None:
    if _locked(changes.meeting, "location"):
        return
    located = [c for c in claims if c.claims.get("location")]
    places = [
        (reference.locations[slug].pk, c.claims["location"]["note"], c.confidence, c.reports)
        for c in located
        if (slug := c.claims["location"].get("slug")) in reference.locations
    ]
    chosen = merging.best_location(places, reference.parents)
    if chosen:
        changes.put("location_id", chosen[0])
        changes.put("location_note", chosen[1][:300])
    elif located:
        changes.put("location_note", located[0].claims["location"]["note"][:300])


def _save(meeting: Meeting, changed: set[str], totals: dict, counted: list) -> None:
    """Write the changed fields; counts alone are left to _save_counts, which writes them
    without touching updated_at."""
    counts = []
    for field in ("evidence_count", "article_count"):
        if getattr(meeting, field) != totals.get(field, 0):
            setattr(meeting, field, totals.get(field, 0))
            counts.append(field)
    if changed:
        meeting.save(update_fields=[*changed, *counts, "updated_at"])
    elif counts:
        counted.append(meeting)


_COUNTS_SQL = f"""
UPDATE {tables.MEETING} AS m SET evidence_count = c.evidence, article_count = c.articles
FROM unnest(%s::bigint[], %s::int[], %s::int[]) AS c (id, evidence, articles)
WHERE m.id = c.id
"""


def _save_counts(meetings: list[Meeting]) -> None:
    """Write the counts of meetings whose counts alone changed, in one statement (in the
    order of their ids, as other writers lock them)."""
    meetings = sorted(meetings, key=lambda meeting: meeting.pk)
    if meetings:
        with connection.cursor() as cursor:
            cursor.execute(
                _COUNTS_SQL,
                [
                    [m.pk for m in meetings],
                    [m.evidence_count for m in meetings],
                    [m.article_count for m in meetings],
                ],
            )


def date_claim(claim: dict) -> merging.DateClaim:
    """Return a date claim stored in evidence as a merging.DateClaim."""
    end = claim.get("end")
    return merging.DateClaim(
        date.fromisoformat(claim["start"]),
        date.fromisoformat(end) if end else None,
        claim["precision"],
    )


def _sync_participants(meeting, claims: list[Claim], current: list[Link], reference):
    """Make the meeting's participants those its evidence names; return them as now stored."""
    wanted: dict[str, dict] = {}
    for claim in claims:  # the first claim, in the order of content, gives role and side
        for participant in claim.claims.get("participants", []):
            wanted.setdefault(participant["slug"], participant)
    people = _refs(Person, wanted, reference.people)
    present = {link.slug for link in current}
    gone = [link.pk for link in current if link.slug not in wanted]
    new = [
        Participation(meeting=meeting, person_id=people[slug].pk, role=p["role"], side=p["side"])
        for slug, p in wanted.items()
        if slug in people and slug not in present
    ]
    if gone:
        Participation.objects.filter(pk__in=gone).delete()
    if not new:
        return [link for link in current if link.slug in wanted]
    Participation.objects.bulk_create(new, ignore_conflicts=True)
    # Read them again: ignore_conflicts leaves the new rows without ids, and ids order the title.
    return links_by_meeting([meeting.pk])[0][meeting.pk]


def _sync_topics(meeting, claims: list[Claim], current: list[Link], reference):
    """Make the meeting's topics those its evidence names; return them, or the oldest ones."""
    wanted = {slug for claim in claims for slug in claim.claims.get("topics", [])}
    topics = _refs(Topic, wanted, reference.topics)
    present = {link.slug for link in current}
    gone = [link.pk for link in current if link.slug not in wanted]
    # Added in the database's order of names, as Topic's ordering did: the first is the title's.
    new = sorted((ref for slug, ref in topics.items() if slug not in present), key=_by_rank)
    if gone:
        MeetingTopic.objects.filter(pk__in=gone).delete()
    kept = [link for link in current if link.slug in wanted]
    if not new:
        return kept
    MeetingTopic.objects.bulk_create(
        [MeetingTopic(meeting=meeting, topic_id=ref.pk) for ref in new], ignore_conflicts=True
    )
    # The title names the oldest topic: one kept is older than any added now.
    return kept or links_by_meeting([meeting.pk])[1][meeting.pk]


def _by_rank(ref: Ref) -> int:
    return ref.rank


def _refs(model, slugs, known: dict[str, Ref]) -> dict[str, Ref]:
    """Return the rows of these slugs, from the reference unless it lacks one.

    Evidence may name a person or topic added since the reference was read: then all of them
    are read from the database, ranked by name there.
    """
    if all(slug in known for slug in slugs):
        return {slug: known[slug] for slug in slugs}
    rows = model.objects.filter(slug__in=slugs).order_by("name", "id")
    return {
        slug: Ref(pk, slug, name, rank=rank)
        for rank, (pk, slug, name) in enumerate(rows.values_list("id", "slug", "name"))
    }


def _retitle(changes: _Changes, participants, topics, reference) -> None:
    meeting = changes.meeting
    seats = sorted(participants, key=lambda p: (SIDE_ORDER.get(p.side, len(SIDE_ORDER)), p.pk))
    people = [(p.name, p.country) for p in seats]
    first_topic = min(topics, key=lambda t: t.pk, default=None)
    changes.put(
        "title",
        merging.meeting_title(
            people,
            meeting.kind,
            _location_name(meeting.location_id, reference),
            first_topic.name if first_topic else None,
        ),
    )


def _location_name(location_id: int | None, reference: Reference) -> str | None:
    if location_id is None:
        return None
    if location_id in reference.locations_by_id:
        return reference.locations_by_id[location_id].name
    return Location.objects.filter(pk=location_id).values_list("name", flat=True).first()


def _flag_conflicts(meeting: Meeting, claims: list[Claim]) -> None:
    """Mark evidence whose claims disagree with a curated meeting's values.

    The flag depends on the claims alone, so rows are updated by claims, at most two updates.
    """
    flips: dict[bool, list[dict]] = {True: [], False: []}
    for claim in claims:
        conflicting = _conflicts(meeting, claim.claims)
        if claim.conflicting != conflicting:
            flips[conflicting].append(claim.claims)
    for conflicting, values in flips.items():
        if values:
            Evidence.objects.filter(
                meeting=meeting, conflicting=not conflicting, claims__in=values
            ).update(conflicting=conflicting)


def _conflicts(meeting: Meeting, claims: dict) -> bool:
    status_differs = (
        "status" in claims
        and claims["status"] != meeting.status
        and not (claims["status"] == "planned" and meeting.status == "held")
    )
    kind_differs = "kind" in claims and not merging.kinds_compatible(claims["kind"], meeting.kind)
    date_differs = (
        "date" in claims
        and meeting.start_date is not None
        and not merging.dates_overlap(
            date_claim(claims["date"]),
            merging.DateClaim(meeting.start_date, meeting.end_date, meeting.date_precision),
        )
    )
    return status_differs or kind_differs or date_differs
