"""Matching vague reports again once a meeting of theirs is known to the day.

A report of "their talks earlier this month" that arrives before the readout dated to the day
starts a vague meeting of its own, or is held by the first dated meeting that came; arriving
after, it would have joined the closest dated meeting. So whenever a meeting becomes known to
the day, each vague or undated report of the same people is matched again with the rules it
was first matched by, and moves when they now name another meeting known to the day: the
grouping no longer depends on the order reports arrive in. Curated meetings (confirmed,
rejected, or with a locked field) neither give nor receive reports here.
"""

from __future__ import annotations

from collections import defaultdict

from diplomacy.choices import ReviewState
from diplomacy.extraction.types import MeetingCandidate, ParticipantClaim
from diplomacy.models import Evidence, Meeting, Participation
from diplomacy.services.matching import meeting_match
from diplomacy.services.recompute import date_claim, meetings_recompute
from diplomacy.services.reference import Reference

# Moving a report can date another meeting to the day; settle again, at most this often.
ROUNDS = 3


def meetings_resettle(newly_dated: set[int], lookups: Reference, published_of) -> set[int]:
    """Move vague reports of the people of `newly_dated` meetings to where the rules put them.

    `published_of(article_id)` gives the publication date a report was matched with. Return
    the meetings whose evidence changed (recomputed already).
    """
    changed: set[int] = set()
    for _ in range(ROUNDS):
        dated = set(
            Meeting.objects.filter(pk__in=newly_dated, date_precision="day").values_list(
                "pk", flat=True
            )
        )
        if not dated:
            break
        moved = _resettle_once(dated, lookups, published_of)
        if not moved:
            break
        meetings_recompute(moved, lookups)
        changed |= moved
        newly_dated = moved
    return changed


def _resettle_once(dated: set[int], lookups: Reference, published_of) -> set[int]:
    people = Participation.objects.filter(meeting_id__in=dated).values("person_id")
    meetings = (
        Meeting.objects.filter(review_state=ReviewState.AUTO, locked_fields=[])
        .filter(participations__person_id__in=people)
        .values("pk")
    )
    groups: dict[tuple[int, int], dict] = defaultdict(dict)
    rows = Evidence.objects.filter(meeting_id__in=meetings).values_list(
        "article_id", "meeting_id", "claims"
    )
    for article_id, meeting_id, claims in rows.order_by("article_id", "start"):
        group = groups[(article_id, meeting_id)]
        for field, value in claims.items():
            group.setdefault(field, value)
    moved: set[int] = set()
    for (article_id, meeting_id), claims in sorted(groups.items()):
        if claims.get("date", {}).get("precision") == "day":
            continue  # a report dated to the day found its meeting by its date
        candidate = _candidate(claims)
        people_refs = [
            lookups.people[p.slug] for p in candidate.participants if p.slug in lookups.people
        ]
        if not people_refs:
            continue
        match = meeting_match(candidate, people_refs, lookups, published_of(article_id))
        if match is None or match.pk == meeting_id or match.date_precision != "day":
            continue
        if match.review_state != ReviewState.AUTO or match.locked_fields:
            continue
        Evidence.objects.filter(article_id=article_id, meeting_id=meeting_id).update(
            meeting_id=match.pk
        )
        moved |= {meeting_id, match.pk}
    return moved


def _candidate(claims: dict) -> MeetingCandidate:
    """Rebuild what a report claimed of a meeting from its evidence rows' claims."""
    date = date_claim(claims["date"]) if claims.get("date") else None
    location = claims.get("location") or {}
    return MeetingCandidate(
        kind=claims.get("kind", "meeting"),
        status=claims.get("status", "held"),
        participants=[
            ParticipantClaim(p["slug"], p.get("role", ""), p.get("side", ""))
            for p in claims.get("participants", [])
        ],
        start_date=date.start if date else None,
        end_date=date.end if date else None,
        date_precision=date.precision if date else "unknown",
        location=location.get("slug"),
        topics=list(claims.get("topics", [])),
    )
