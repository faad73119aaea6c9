"""Build a meeting draft from one clause: kind, status, people, place, dates, secrecy."""

from __future__ import annotations

import re
from datetime import date

from . import clauses as cl
from .context import Clause, Context, both_sides, sides_of
from .dates import DateExpr, resolve
from .drafts import PRECISION_RANK, Draft
from .people import PersonRef
from .periods import Period, add_days
from .places import PlaceChoice, place_after_date, place_after_name
from .roles import side_of
from .speakers import speaks_to
from .triggers import TRIGGER
from .types import ParticipantClaim

LEADER_ROLES = frozenset({"president", "party-general-secretary"})
_OTHER_DELEGATION = re.compile(
    r"\b(?:(?:a|an|the|their|his|her)\s+)?(?:(?P<cn>PRC|Chinese|China's)|(?P<us>U\.S\.|US"
    r"|American))\s+(?:delegation|counterparts?|team)\b"
    # "a delegation from the government of China"
    r"|\b(?:a|an|the)\s+delegation\s+(?:from|of)\s+(?:the\s+(?:government|people)\s+of\s+)?"
    r"(?:the\s+)?(?:(?P<cn_from>China|PRC|People's\s+Republic)|(?P<us_from>United\s+States|U\.S\.))"
)
_DATE_AFTER_PLACE = 20  # ", California from Nov. 4": a state name may come between
_UNUSED_PREPOSITIONS = frozenset({"since", "before", "after", "until", "till"})
# "since Brown took office in October": the date of the event the meeting is measured from
_OTHER_EVENT = re.compile(r"\b(?:since|until|till|before|after)\b[^,.;:]{0,50}$", re.IGNORECASE)


def qualifies(ctx: Context, clause: Clause, people: list[PersonRef]) -> bool:
    """Return True when people make a meeting: both sides, or a visitor and a destination.

    Named officials of one side who meet "a PRC delegation" or "their Chinese counterparts"
    make a meeting too: the other side is there, unnamed.
    """
    if both_sides(people):
        return True
    if clause.kind == "visit":
        return _visit_place(ctx, clause, people) is not None
    return _meets_other_delegation(ctx, clause, people)


def _meets_other_delegation(ctx: Context, clause: Clause, people: list[PersonRef]) -> bool:
    sides = sides_of(people)
    if len(sides) != 1 or not sides <= {"us", "cn"}:
        return False
    other = "cn" if "us" in sides else "us"
    for found in _OTHER_DELEGATION.finditer(ctx.doc.norm, *clause.span):
        if found.group(other) is not None or found.group(f"{other}_from") is not None:
            return True
    return False


def _visit_place(ctx: Context, clause: Clause, people: list[PersonRef]) -> PlaceChoice | None:
    """Return the destination when one side's official visits the other side's country."""
    sides = sides_of(people)
    if len(sides) != 1 or not sides <= {"us", "cn"}:
        return None
    other = "cn" if "us" in sides else "us"
    for choice in ctx.places_near(clause.span, clause.trigger):
        if side_of(ctx.compiled.location_country.get(choice.slug, "")) == other:
            return choice
    return None


# "A and B will travel to Shanghai to continue negotiations": a trip for one round of talks
_JOINT_PURPOSE = re.compile(
    r"\bto\s+(?:continue|hold|conduct|resume|begin|open|start|lead)\s+(?:the\s+|a\s+|new\s+)?"
    r"(?:[\w-]+\s+){0,2}?(?:negotiations|talks|consultations|discussions)\b"
)


def visitor_groups(ctx: Context, clause: Clause, people: list[PersonRef]) -> list[list[PersonRef]]:
    """Split "Blinken, Yellen and Kerry visited Beijing" into one visit per visitor, unless the
    trip's stated purpose is one round of talks."""
    if clause.kind != "visit" or len(sides_of(people)) != 1 or len(people) < 2:
        return [people]
    if _JOINT_PURPOSE.search(ctx.doc.norm, clause.trigger[1], clause.span[1]):
        return [people]
    unique = {p.slug: p for p in people}
    return [[p] for p in unique.values()]


def place_choices(ctx: Context, clause: Clause, people) -> list[PlaceChoice]:
    """Return where the clause's meeting happened; one draft is made per place."""
    if clause.kind == "visit" and len(sides_of(people)) == 1:
        found = _visit_place(ctx, clause, people)
        return [found] if found else []
    return ctx.places_near(clause.span, clause.trigger)


def build(
    ctx, clause: Clause, people, confidence, choice: PlaceChoice | None = None, weak=False
) -> Draft:
    """Build a draft from the clause, with the given people, and record its evidence."""
    sentence = ctx.doc.sentences[clause.sentence]
    cues = clause.cues
    strong = cues.strong and not weak
    draft = Draft(clause.kind, cues.status, strong, clause.sentence, cues.possible)
    fields = {"kind", "status"} if strong or not weak else {"kind"}
    for person in people:
        if person.slug not in draft.people:
            draft.people[person.slug] = claim(ctx, person)
    if people:
        fields.add("participants")
    period, duration = clause_period(ctx, clause)
    if choice is not None:
        period = _period_after_place(ctx, clause, choice) or period
    if period is None and _at_the_occasion(ctx, cues, people):
        period = Period(ctx.published, ctx.published, "day")
        draft.status, draft.status_strong = "held", True
    if period is not None:
        draft.period = period
        fields.add("date")
        _status_from_period(draft, period, ctx.published)
    if draft.kind == "meeting" and _leaders_meet(ctx, people, period):
        draft.kind = "summit"
    draft.duration = duration
    if period is not None and duration:
        draft.period = _spread(period, duration, draft.status, ctx.published)
    if choice is None and clause.kind != "visit":
        choice = _place_of_meeting(ctx, clause, people, sentence.end)
    if choice is not None:
        draft.location, draft.location_note = choice.slug, choice.note
        fields.add("location")
    draft.announced = _announced(ctx, clause, draft.status == "planned")
    if cues.possible:
        confidence = min(confidence, 0.4)
    draft.confidence = confidence
    draft.add_evidence((sentence.start, sentence.end), fields, confidence)
    return draft


def _period_after_place(ctx: Context, clause: Clause, choice: PlaceChoice) -> Period | None:
    """Return the date right after one of several places: in "met in Beijing from July 16 to
    19 and at Sunnylands from Nov. 4 to 7" each place has its own days."""
    choices = ctx.places_near(clause.span, clause.trigger)
    if len(choices) < 2:
        return None
    following = [c.start for c in choices if c.start > choice.start]
    end = min(following, default=clause.span[1])
    found = _usable_dates(ctx, choice.end, end)
    if not found or found[0].start - choice.end > _DATE_AFTER_PLACE:
        return None
    return resolve(found[0], ctx.published, clause.cues.future)


def _at_the_occasion(ctx: Context, cues, people) -> bool:
    """Return True for a speaker's "a pleasure to meet with you here" in remarks published that
    day: the meeting is the one the remarks are given at, held on the day they are published."""
    return ctx.published is not None and cues.status != "planned" and speaks_to(people)


def _announced(ctx: Context, clause: Clause, planned: bool) -> bool | None:
    """Read once per clause whether the meeting was announced beforehand."""
    if planned not in clause.announced:
        norm, trigger = ctx.doc.norm, clause.trigger[0]
        clause.announced[planned] = cl.read_announced(norm, *clause.span, trigger, planned)
    return clause.announced[planned]


def _place_of_meeting(ctx: Context, clause: Clause, people, sentence_end) -> PlaceChoice | None:
    """Return the one place named by the meeting words, right after a participant's name, or
    right after a date later in the sentence ("..., on May 14 in Geneva")."""
    found = ctx.places_near(clause.span, clause.trigger)
    if found:
        return found[0] if len(found) == 1 else None
    for person in people:
        if person.start > clause.trigger[0]:
            choice = place_after_name(ctx.doc, ctx.places, ctx.compiled, person.end)
            if choice is not None:
                return choice
    return place_after_date(ctx.doc, ctx.places, ctx.compiled, clause.span[1], sentence_end)


def _spread(period: Period, days: int, status: str, published: date | None) -> Period:
    """Stretch one day to "two days of talks"; a past meeting cannot end after publication."""
    if period.precision != "day" or period.start != period.end:
        return period
    start, end = period.start, add_days(period.start, days - 1)
    if end is None:
        return period
    if status == "held" and published is not None and end > published:
        start, end = add_days(published, 1 - days) or start, published
    return Period(start, end, "day")


def _leaders_meet(ctx: Context, people: list[PersonRef], period: Period | None) -> bool:
    """Return True when heads of state or party leaders of two sides meet in person."""
    day = period.start if period else ctx.published
    sides = set()
    for person in people:
        entry = ctx.compiled.people.get(person.slug)
        offices = entry.offices if entry else ()
        if any(o.role in LEADER_ROLES and (day is None or o.held_on(day)) for o in offices):
            sides.add(side_of(person.country))
    return len(sides) >= 2


def _status_from_period(draft: Draft, period: Period, published: date | None) -> None:
    if published is None or draft.status == "cancelled":
        return
    if period.end < published and not draft.status_strong:
        draft.status, draft.status_strong = "held", True
    elif period.start > published and not draft.status_strong:
        draft.status, draft.status_strong = "planned", True


def claim(ctx: Context, person: PersonRef) -> ParticipantClaim:
    """Describe a participant with the title held on the publication date when known."""
    role = person.role_text
    entry = ctx.compiled.people.get(person.slug)
    if entry is not None:
        day = ctx.published
        offices = [o for o in entry.offices if day is None or o.held_on(day)]
        preferred = [o for o in offices if o.role == person.role] or offices
        if preferred and (day is not None or len(preferred) == 1):
            role = preferred[0].title or role
    return ParticipantClaim(person.slug, role, side_of(person.country))


def _usable_dates(ctx: Context, start: int, end: int) -> list[DateExpr]:
    return [
        d
        for d in ctx.dates_in(start, end)
        if start <= d.start < end
        and d.form != "du"
        and not d.vague
        and d.preposition not in _UNUSED_PREPOSITIONS
        and not d.reported
        and not _dates_other_event(ctx, max(start, d.start - 60), d.start)
    ]


def _dates_other_event(ctx: Context, start: int, end: int) -> bool:
    """Return True for "since Brown took office in October"; not for "since they met in Bali"."""
    found = _OTHER_EVENT.search(ctx.doc.norm, start, end)
    return found is not None and TRIGGER.search(ctx.doc.lower, found.start(), end) is None


def clause_period(ctx: Context, clause: Clause) -> tuple[Period | None, int | None]:
    """Return the clause's date (finest, then nearest the meeting words) and duration."""
    if clause.period is None:
        clause.period = _clause_period(ctx, clause)
    return clause.period


def _clause_period(ctx: Context, clause: Clause) -> tuple[Period | None, int | None]:
    span, trigger = clause.span, clause.trigger
    duration = next((d.duration for d in ctx.dates_in(*span) if d.form == "du"), None)
    resolved = []
    found = _usable_dates(ctx, *span)
    if not found:
        # "agreed on Wednesday ..., after four hours of talks": the date sits in a clause
        # of the same sentence that reports no other meeting
        found = [d for near in clause.neighbours for d in _usable_dates(ctx, *near)]
    for expr in found:
        period = resolve(expr, ctx.published, clause.cues.future)
        if period is not None:
            distance = min(abs(expr.start - trigger[1]), abs(trigger[0] - expr.end))
            resolved.append((-PRECISION_RANK[period.precision], distance, period))
    if not resolved:
        return None, duration
    return min(resolved, key=lambda item: item[:2])[2], duration


def inherit_date(ctx: Context, clause: Clause, draft: Draft) -> None:
    """Carry "last year" from the previous sentence about talks to a past meeting without a date."""
    if draft.period is not None or draft.status != "held" or clause.sentence == 0:
        return
    index = clause.sentence - 1
    if index not in ctx.trigger_sentences:
        return
    previous = ctx.doc.sentences[index]
    found = _usable_dates(ctx, previous.start, previous.end)
    periods = [resolve(d, ctx.published, False) for d in found]
    if len(periods) != 1 or periods[0] is None or periods[0].precision not in ("year", "month"):
        return
    if ctx.published is None or periods[0].end < ctx.published:
        draft.period, draft.period_own = periods[0], False
        draft.add_evidence((previous.start, previous.end), {"date"}, 0.4)
