"""Matching a meeting candidate to a meeting already recorded, or recording a new one."""

from __future__ import annotations

from datetime import date

from django.db.models import Q
from django.utils.text import slugify

from diplomacy import merging
from diplomacy.choices import ReviewState
from diplomacy.extraction.types import MeetingCandidate
from diplomacy.models import Meeting, Participation
from diplomacy.selectors.ingestion import NO_DISTANCE, match_candidates
from diplomacy.services.reference import Ref, Reference
from diplomacy.signals import meetings_announce


def meeting_for_candidate(
    candidate: MeetingCandidate, lookups: Reference, published: date | None, siblings=None
) -> Meeting | None:
    """Return the meeting this candidate reports: an existing match or a new meeting.

    `siblings` maps the meetings the article's earlier candidates went to to those candidates.
    """
    people = [lookups.people[p.slug] for p in candidate.participants if p.slug in lookups.people]
    if not people and not candidate.topics and candidate.location not in lookups.locations:
        return None  # nothing to recognise the meeting by
    match = meeting_match(candidate, people, lookups, published, siblings)
    if match is not None:
        return match
    return meeting_create(candidate, people, lookups)


def meeting_match(candidate, people, lookups, published, siblings=None) -> Meeting | None:
    """Return the recorded meeting the candidate reports, or None.

    The closest compatible meeting wins, one whose place agrees first: an undated report
    ("the Woodside summit") joins the closest dated meeting of its people, however old, but
    never one of two that nothing tells apart. Nor one that a candidate of the same article
    it disagrees with went to: their sentences would become one report there.
    """
    claim = merging.DateClaim(candidate.start_date, candidate.end_date, candidate.date_precision)
    location = lookups.locations.get(candidate.location or "")
    place_id = location.pk if location else None
    found = match_candidates(candidate, claim, people, place_id, lookups.parents, published)
    compatible = []
    for meeting in found:
        existing = merging.DateClaim(meeting.start_date, meeting.end_date, meeting.date_precision)
        if not _compatible(candidate, claim, place_id, meeting, existing, lookups, published):
            continue
        earlier = (siblings or {}).get(meeting.pk, ())
        if not all(_agree(candidate, other, lookups) for other in earlier):
            continue
        # A place both name ("at Woodside" and Filoli) is the strongest sign after the people;
        # then a meeting known to the day, so that vague reports gather on the real meetings.
        place_agrees = place_id is not None and meeting.location_id is not None
        vague = meeting.date_precision != "day"
        distance = date_distance(claim, existing, published)
        compatible.append((not place_agrees, vague, distance, meeting))
    if not compatible:
        return None
    compatible.sort(key=lambda item: item[:3])
    if claim.start is None and len(compatible) > 1 and _tied(*compatible[:2], published):
        return None  # nothing tells these meetings apart: do not guess
    return compatible[0][3]


def _tied(best, runner_up, published) -> bool:
    """Return whether an undated report cannot choose between its two best dated meetings
    (or any two, without a publication date): as close to publication, as agreed on place."""
    if best[:3] != runner_up[:3]:
        return False
    return published is None or best[2] != NO_DISTANCE


def _compatible(candidate, claim, place_id, meeting, existing, lookups, published) -> bool:
    """Return whether the merge rules allow the candidate to be this meeting."""
    return (
        merging.kinds_compatible(candidate.kind, meeting.kind)
        and merging.places_compatible(place_id, meeting.location_id, lookups.parents)
        and merging.status_fits(candidate.status, existing, published)
        and merging.dates_overlap(claim, existing)
    )


def _agree(candidate, other, lookups) -> bool:
    """Return whether two candidates of one article may be one meeting."""
    first, second = (lookups.locations.get(c.location or "") for c in (candidate, other))
    return (
        merging.kinds_compatible(candidate.kind, other.kind)
        and merging.places_compatible(
            first.pk if first else None, second.pk if second else None, lookups.parents
        )
        and merging.dates_overlap(
            merging.DateClaim(candidate.start_date, candidate.end_date, candidate.date_precision),
            merging.DateClaim(other.start_date, other.end_date, other.date_precision),
        )
    )


def date_distance(claim, existing, published: date | None) -> int:
    """Return the days between the claimed (or publication) date and a meeting's start."""
    reference = claim.start or published
    if reference is None or existing.start is None:
        return NO_DISTANCE
    return abs((existing.start - reference).days)


def meeting_create(candidate: MeetingCandidate, people: list[Ref], lookups: Reference) -> Meeting:
    """Record a new meeting for a candidate that matched none; its fields come from evidence."""
    location = lookups.locations.get(candidate.location or "")
    topic = lookups.topics.get(candidate.topics[0]) if candidate.topics else None
    title = merging.meeting_title(
        [(p.name, p.country) for p in people],
        candidate.kind,
        location.name if location else None,
        topic.name if topic else None,
    )
    slug = meeting_free_slug(f"{title} {candidate.start_date or ''}")
    # Its place and people at once, as the recompute will set them: another candidate of the
    # same article is matched before that, and must not take this meeting for a bare one. Its
    # date waits for the recompute: until then it is a meeting not yet known to the day.
    meeting = Meeting.objects.create(
        title=title,
        slug=slug,
        kind=candidate.kind,
        status=candidate.status,
        location_id=location.pk if location else None,
        review_state=ReviewState.AUTO,
    )
    sides = {p.slug: p for p in candidate.participants}
    Participation.objects.bulk_create(
        [
            Participation(
                meeting=meeting,
                person_id=person.pk,
                role=sides[person.slug].role,
                side=sides[person.slug].side,
            )
            for person in people
        ],
        ignore_conflicts=True,
    )
    meetings_announce(created=[meeting.pk])
    return meeting


def meeting_free_slug(text: str) -> str:
    """Return a meeting slug made from the text that no meeting uses yet."""
    stem = slugify(text)[:280] or "meeting"
    # One query for the stem and its numbered forms: records of one pair of people with no
    # date share a stem by the thousand.
    taken = set(
        Meeting.objects.filter(Q(slug=stem) | Q(slug__regex=rf"^{stem}-[0-9]+$"))
        .order_by()
        .values_list("slug", flat=True)
    )
    slug, suffix = stem, 2
    while slug in taken:
        slug, suffix = f"{stem}-{suffix}", suffix + 1
    return slug
