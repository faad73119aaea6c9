"""Shared state of meeting detection: the document, its people, places and dates, and drafts."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date

from . import clauses as cl
from .dates import DateExpr
from .drafts import Draft
from .matcher import CompiledGazetteer
from .people import PersonRef
from .periods import Period
from .places import PlaceChoice, PlaceRef, places_for
from .roles import side_of
from .text import Document


@dataclass(slots=True)
class Context:
    """What meeting detection knows about one document, and the drafts found so far."""

    doc: Document
    compiled: CompiledGazetteer
    published: date | None
    people: list[PersonRef]
    places: list[PlaceRef]
    dates: list[DateExpr]
    drafts: list[Draft] = field(default_factory=list)
    trigger_sentences: set[int] = field(default_factory=set)
    dateline: PlaceRef | None = None  # "BEIJING, Aug. 29 -": where the story was filed
    _places: dict[tuple[tuple[int, int], tuple[int, int]], list[PlaceChoice]] = field(
        default_factory=dict
    )

    _starts: dict[str, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # positional indexes keep long documents linear: every lookup below is a bisection
        self._starts = {
            "people": [p.start for p in self.people],
            "places": [p.start for p in self.places],
            "dates": [d.start for d in self.dates],
        }

    def _slice(self, name: str, items: list, start: int, end: int) -> list:
        starts = self._starts[name]
        return items[bisect_left(starts, start) : bisect_left(starts, end)]

    def people_in(self, start: int, end: int) -> list[PersonRef]:
        """Return the person references starting within [start, end)."""
        return self._slice("people", self.people, start, end)

    def dates_in(self, start: int, end: int) -> list[DateExpr]:
        """Return the date expressions starting within [start, end)."""
        return self._slice("dates", self.dates, start, end)

    def focus(self) -> Draft | None:
        """Return the meeting reported most so far, the earliest on a tie."""
        return max(self.drafts, key=lambda d: (d.weight, -d.first), default=None)

    def places_near(self, clause: tuple[int, int], trigger: tuple[int, int]) -> list[PlaceChoice]:
        """Return the places of the meeting at trigger, computed once per clause."""
        key = (clause, trigger)
        if key not in self._places:
            inside = self._slice("places", self.places, *clause)
            self._places[key] = places_for(self.doc, inside, self.compiled, clause, trigger)
        return self._places[key]


@dataclass(slots=True)
class Clause:
    """A clause holding meeting words, with the people named in it and its tense."""

    span: tuple[int, int]
    sentence: int
    trigger: tuple[int, int]
    kind: str
    weak: bool
    people: list[PersonRef]
    cues: cl.Cues
    # adjacent clauses of the sentence without meeting words, for dates reported beside one
    neighbours: tuple[tuple[int, int], ...] = ()
    later: tuple[tuple[int, int, str], ...] = ()  # further meeting words after the first
    # computed once on first use
    period: tuple[Period | None, int | None] | None = None
    announced: dict[bool, bool | None] = field(default_factory=dict)


def sides_of(people: list[PersonRef]) -> set[str]:
    """Return the sides ("us", "cn", ...) the people belong to."""
    return {side_of(p.country) for p in people}


def both_sides(people: list[PersonRef]) -> bool:
    """Return True for people of the US and China, or of two different countries."""
    sides = sides_of(people)
    countries = {p.country for p in people if p.country}
    return {"us", "cn"} <= sides or len(countries) >= 2


def with_people(probe: Draft, like: Draft) -> Draft:
    """Give a participant-less probe the people of the draft it is compared with."""
    probe.people, probe.parties_only = dict(like.people), like.parties_only
    return probe
