"""How a meeting candidate finds its meeting, and how a meeting's fields follow its evidence.

A meeting's extracted fields are a function of the claims in its evidence, recomputed whenever
evidence is added or replaced, so re-extracting an article gives the same timeline; ties are
settled by what reports say, never by which came first. A report dated to the day joins its
meeting when it arrives; vague and undated reports are placed again after every article that
touches their people, by these rules over all reports (`services.resettling`), so that the
meetings do not depend on the order reports arrive in. Fields a curator fixed are never
recomputed.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from itertools import chain, repeat

from diplomacy.choices import MeetingKind, MeetingStatus

PRECISION_RANK = {"day": 3, "month": 2, "year": 1, "unknown": 0}
# A vague future ("in the coming days") without an end covers this long.
OPEN_WINDOW = timedelta(days=21)
KIND_NOUNS = {
    MeetingKind.SUMMIT: "summit",
    MeetingKind.MEETING: "talks",
    MeetingKind.CALL: "call",
    MeetingKind.WORKING_GROUP: "working group",
    MeetingKind.DIALOGUE: "dialogue",
    MeetingKind.VISIT: "visit",
}
COUNTRY_NAMES = {"us": "US", "cn": "China", "tw": "Taiwan"}


@dataclass(frozen=True)
class DateClaim:
    start: date | None
    end: date | None
    precision: str

    def interval(self) -> tuple[date, date] | None:
        """Return the days this claim allows, widened to its precision."""
        return self._interval

    @cached_property
    def _interval(self) -> tuple[date, date] | None:  # claims are compared many times
        if self.start is None:
            return None
        end = self.end or self.start
        if self.precision == "day":
            return self.start, max(end, self.start)
        if self.precision == "month":
            last = calendar.monthrange(end.year, end.month)[1]
            return self.start.replace(day=1), end.replace(day=last)
        if self.precision == "year":
            return date(self.start.year, 1, 1), date(end.year, 12, 31)
        return self.start, self.end or self.start + OPEN_WINDOW


def dates_overlap(first: DateClaim, second: DateClaim) -> bool:
    """Return whether two dates may be one day; an undated claim agrees with any date, so a
    report of "the Woodside summit" or "their meeting in Bali" finds it whatever its age."""
    a, b = first.interval(), second.interval()
    if a is None or b is None:
        return True
    return a[0] <= b[1] and b[0] <= a[1]


def kinds_compatible(first: str, second: str) -> bool:
    """Return True when two kinds may describe one event ("talks" are generic, calls are not)."""
    if first == second:
        return True
    kinds = {first, second}
    return MeetingKind.MEETING in kinds and MeetingKind.CALL not in kinds


def ancestors(location_id: int | None, parents: dict[int, int | None]) -> list[int]:
    """Return the location and its parents, innermost first."""
    chain: list[int] = []
    while location_id is not None and location_id not in chain:
        chain.append(location_id)
        location_id = parents.get(location_id)
    return chain


def places_compatible(first: int | None, second: int | None, parents: dict) -> bool:
    if first is None or second is None or first == second:
        return True
    return first in ancestors(second, parents) or second in ancestors(first, parents)


def places_related(location_id: int, parents: dict) -> set[int]:
    """Return the places compatible with this one: itself, the places it is in, and those in it."""
    inside = {place for place in parents if location_id in ancestors(place, parents)}
    return inside | set(ancestors(location_id, parents))


def status_fits(candidate_status: str, meeting: DateClaim, published: date | None) -> bool:
    """A report of a planned meeting cannot be about one long past, nor a held one the future."""
    span = meeting.interval()
    if published is None or span is None:
        return True
    if candidate_status == MeetingStatus.PLANNED:
        return span[1] >= published - timedelta(days=3)
    if candidate_status == MeetingStatus.HELD:
        return span[0] <= published + timedelta(days=1)
    return True


def best_date(claims: list[tuple[DateClaim, str, float]]) -> DateClaim | None:
    """Pick the most precise date; prefer reports of the held meeting, then confidence."""
    dated = [item for item in claims if item[0].start is not None]
    if not dated:
        return None
    return max(dated, key=_date_rank)[0]


def _date_rank(item: tuple[DateClaim, str, float]) -> tuple:
    # Then the narrowest claim, then the earliest: what reports say, not when they came.
    claim, status, confidence = item
    first, last = claim.interval()
    return (
        PRECISION_RANK.get(claim.precision, 0),
        status == MeetingStatus.HELD,
        confidence,
        first.toordinal() - last.toordinal(),
        -claim.start.toordinal(),
        -(claim.end or claim.start).toordinal(),
    )


def best_status(statuses: list[str]) -> str:
    if MeetingStatus.HELD in statuses:
        return MeetingStatus.HELD
    if MeetingStatus.CANCELLED in statuses:
        return MeetingStatus.CANCELLED
    return MeetingStatus.PLANNED if statuses else MeetingStatus.HELD


def _weights(claims) -> dict:
    """Sum (key, confidence, reports) per key exactly, so the order of reports cannot round."""
    parts: dict = {}
    for key, confidence, reports in claims:
        parts.setdefault(key, []).append(repeat(confidence, reports))
    return {key: math.fsum(chain.from_iterable(part)) for key, part in parts.items()}


def _reports(rest: list) -> int:
    # An item may say how many reports made the same claim with the same confidence.
    return rest[0] if rest else 1


def best_kind(kinds: list[tuple]) -> str | None:
    """Return the kind with the most weight; a specific kind beats generic talks on a tie.

    Each item is (kind, confidence), or (kind, confidence, reports) for that many alike.
    """
    weights = _weights((kind, confidence, _reports(rest)) for kind, confidence, *rest in kinds)
    if not weights:
        return None
    return max(weights, key=lambda kind: (weights[kind], kind != MeetingKind.MEETING, kind))


def best_location(candidates: list[tuple], parents: dict) -> tuple[int, str] | None:
    """Pick the most specific place that agrees with the best-supported one.

    Each item is (location id, note, confidence), or with a fourth count of reports alike.
    """
    if not candidates:
        return None
    notes: dict[int, str] = {}
    flows = []
    for location_id, note, confidence, *rest in candidates:
        # Support flows up: a claim for Bangkok also supports Thailand and Southeast Asia.
        for place in ancestors(location_id, parents):
            flows.append((place, confidence, _reports(rest)))
        notes.setdefault(location_id, note)
    support = _weights(flows)
    claimed = {location_id for location_id, *_ in candidates}
    # Equal support and depth are settled by the place itself, never by which report came first.
    anchor = max(
        claimed, key=lambda place: (support[place], len(ancestors(place, parents)), -place)
    )
    deepest = max(
        (place for place in claimed if anchor in ancestors(place, parents)),
        key=lambda place: (len(ancestors(place, parents)), -place),
    )
    return deepest, notes.get(deepest, "")


def best_announced(values: list[bool]) -> bool | None:
    """Secret talks stay secret: one report that they were not announced settles it."""
    if False in values:
        return False
    if True in values:
        return True
    return None


# Generational suffixes are not surnames: "Charles Q. Brown Jr." is Brown.
NAME_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}


def surname(name: str) -> str:
    """Return the last word of a name that is not a suffix such as "Jr."."""
    words = [word.rstrip(",") for word in name.split()]
    while len(words) > 1 and words[-1].lower() in NAME_SUFFIXES:
        words.pop()
    return words[-1] if words else name


def meeting_title(
    names: list[tuple[str, str]], kind: str, place: str | None, topic: str | None = None
) -> str:
    """Compose a title such as "Sullivan–Wang Yi talks in Bangkok".

    `names` holds (name, country) pairs; Chinese and Taiwanese names keep the surname-first
    full name, others use the surname.
    """
    short = [name if country in ("CN", "TW") else surname(name) for name, country in names[:3]]
    who = "–".join(short) if short else "US–China"
    title = f"{who} {KIND_NOUNS.get(kind, 'talks')}"
    if topic and not short:
        title += f" on {topic}"
    if place:
        title += f" {'to' if kind == MeetingKind.VISIT else 'in'} {place}"
    return title
