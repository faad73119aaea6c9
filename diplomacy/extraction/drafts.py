"""Meeting drafts: what one clause says about a meeting, and how drafts of one event merge."""

from __future__ import annotations

from dataclasses import dataclass, field

from .matcher import CompiledGazetteer
from .periods import Period
from .types import ParticipantClaim

_KIND_RANK = {"summit": 5, "visit": 4, "call": 4, "working_group": 3, "dialogue": 2, "meeting": 1}
PRECISION_RANK = {"day": 3, "month": 2, "year": 1, "unknown": 0}


@dataclass(slots=True)
class Draft:
    kind: str
    status: str
    status_strong: bool
    sentence: int  # index of the sentence that introduced the meeting
    possible: bool = False
    people: dict[str, ParticipantClaim] = field(default_factory=dict)
    parties_only: bool = False  # "the United States and China will hold ... talks"
    period: Period | None = None
    period_own: bool = True  # False when taken from context rather than the meeting's sentences
    duration: int | None = None
    location: str | None = None
    location_note: str = ""
    announced: bool | None = None
    evidence: dict[tuple[int, int], tuple[set[str], float]] = field(default_factory=dict)
    confidence: float = 0.5

    def add_evidence(self, span: tuple[int, int], fields: set[str], confidence: float) -> None:
        """Record that the sentence at span supports the given fields."""
        known, best = self.evidence.get(span, (set(), 0.0))
        self.evidence[span] = (known | fields, max(best, confidence))

    @property
    def first(self) -> int:
        return min((span[0] for span in self.evidence), default=0)

    @property
    def weight(self) -> int:
        return len(self.evidence)

    @property
    def specified(self) -> bool:
        """Return True when the draft has a date or a place of its own."""
        return (self.period is not None and self.period_own) or self.location is not None


def kinds_compatible(a: str, b: str) -> bool:
    """Return True when two kinds may describe the same event."""
    if a == b:
        return True
    if "call" in (a, b):
        return False
    return "meeting" in (a, b) or {a, b} == {"summit", "visit"}


def compatible(a: Draft, b: Draft, compiled: CompiledGazetteer) -> bool:
    """Return True when b may be the same event as a."""
    if not kinds_compatible(a.kind, b.kind):
        return False
    if a.status != b.status and a.status_strong and b.status_strong:
        return False
    if not _people_compatible(a, b):
        return False
    slack = 3 if "visit" in (a.kind, b.kind) else 0  # a visit's days are often reported apart
    if a.period and b.period and not _overlap(a.period, b.period, slack):
        return False
    return _places_compatible(a, b, compiled)


def _people_compatible(a: Draft, b: Draft) -> bool:
    if a.parties_only or b.parties_only:
        return a.parties_only and b.parties_only
    mine, theirs = set(a.people), set(b.people)
    if "visit" in (a.kind, b.kind):
        return bool(mine & theirs)  # a visitor meets several hosts during one visit
    return bool(mine and theirs) and (mine <= theirs or theirs <= mine)


def _overlap(a: Period, b: Period, slack: int = 0) -> bool:
    if slack:
        return (a.start - b.end).days <= slack and (b.start - a.end).days <= slack
    return a.start <= b.end and b.start <= a.end


def _places_compatible(a: Draft, b: Draft, compiled: CompiledGazetteer) -> bool:
    if a.location is None or b.location is None:
        return True
    if compiled.is_within(a.location, b.location) or compiled.is_within(b.location, a.location):
        return True
    if "visit" in (a.kind, b.kind) and _shared_parent(a.location, b.location, compiled):
        return True  # two venues of one city during one visit
    # A leaders' summit is rare enough that two towns of one country name the same event.
    same_country = compiled.location_country.get(a.location) == compiled.location_country.get(
        b.location, "?"
    )
    return same_country and a.kind == b.kind == "summit" and set(a.people) == set(b.people)


def _shared_parent(a: str, b: str, compiled: CompiledGazetteer) -> str | None:
    parent_a = (compiled.ancestors.get(a) or (None,))[0]
    parent_b = (compiled.ancestors.get(b) or (None,))[0]
    return parent_a if parent_a is not None and parent_a == parent_b else None


def merge(a: Draft, b: Draft, compiled: CompiledGazetteer) -> None:
    """Fold b into a."""
    if _KIND_RANK[b.kind] > _KIND_RANK[a.kind]:
        a.kind = b.kind
    if b.status_strong and not a.status_strong:
        a.status, a.status_strong, a.possible = b.status, True, b.possible
    elif b.status == a.status and b.status_strong:
        a.possible = a.possible and b.possible
    if "visit" in (a.kind, b.kind) and _same_days(a.period, b.period):
        a.period = Period(
            min(a.period.start, b.period.start), max(a.period.end, b.period.end), "day"
        )
    else:
        _merge_period(a, b)
    a.duration = a.duration or b.duration
    _merge_place(a, b, compiled)
    if a.announced is None or b.announced is False:
        a.announced = b.announced if b.announced is not None else a.announced
    for slug, claim in b.people.items():
        if slug not in a.people or not a.people[slug].role:
            a.people[slug] = claim
    for span, (fields, confidence) in b.evidence.items():
        a.add_evidence(span, fields, confidence)
    a.confidence = max(a.confidence, b.confidence)


def _merge_period(a: Draft, b: Draft) -> None:
    if b.period is None:
        return
    if a.period is None or (b.period_own and not a.period_own):
        a.period, a.period_own = b.period, b.period_own
        return
    if a.period.precision == b.period.precision == "day":
        # two reports of a multi-day event: "on Monday to Wednesday", "on Tuesday"
        start, end = min(a.period.start, b.period.start), max(a.period.end, b.period.end)
        a.period = Period(start, end, "day")
        return
    narrower = _length(b.period) < _length(a.period)
    inside = a.period.start <= b.period.start and b.period.end <= a.period.end
    if narrower and (inside or b.period_own == a.period_own):
        a.period = b.period


def _same_days(a: Period | None, b: Period | None) -> bool:
    """Return True for two day-precise periods of one visit, to be joined."""
    return bool(a and b and a.precision == b.precision == "day" and a != b)


def _length(period: Period) -> int:
    return (period.end - period.start).days


def _merge_place(a: Draft, b: Draft, compiled: CompiledGazetteer) -> None:
    if b.location is None:
        return
    if a.location is None or (
        b.location != a.location and compiled.is_within(b.location, a.location)
    ):
        a.location, a.location_note = b.location, b.location_note
    elif not a.location_note and b.location == a.location:
        a.location_note = b.location_note
    elif _venue(a.location, compiled) and _venue(b.location, compiled):
        # two venues in one city (the Great Hall, a guesthouse) make the city the place
        parent = _shared_parent(a.location, b.location, compiled)
        if parent is not None:
            a.location, a.location_note = parent, ""


def _venue(slug: str, compiled: CompiledGazetteer) -> bool:
    entry = compiled.locations.get(slug)
    return entry is not None and entry.kind == "venue"
