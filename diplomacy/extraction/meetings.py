"""Find meetings: a meeting expression plus participants from both sides.

Each clause holding a meeting expression becomes a draft when it names people from both sides
(or a visitor and a destination on the other side). Otherwise it attaches to a meeting in the
same sentence, to the article's focus or to the previous sentence ("The talks come as ..."),
or borrows participants from the rest of the sentence or the previous sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from . import clauses as cl
from .dates import DateExpr, is_reported, resolve
from .drafts import PRECISION_RANK, Draft, compatible, kinds_compatible, merge
from .matcher import CompiledGazetteer
from .people import PersonRef
from .periods import Period, add_days
from .places import PlaceChoice, PlaceRef, places_for
from .roles import side_of
from .text import Document
from .types import ParticipantClaim

MAX_SENTENCE = 3000  # longer "sentences" are debris; matching them costs more than it finds
# Words a meeting expression can start with; checked first so ordinary words are skipped fast.
_TRIGGER_FIRST = (
    r"phone|telephone|video|virtual|spoke|speak\w*|talk|a|the|their|held|had|hold|calls?|working|counter-?drug"
    r"|counter-?narcotics|anti-?drug|anti-?narcotics|counternarcotics|drug-control|dialogues?"
    r"|consultations|summits?|state|visit\w*|trips?|travel\w*|tour|met|meet\w*|talks|talked|sat"
    r"|discussions?|conversation|hosted|hosts|negotiations|raised|receiv\w+|greeted|strategic"
)
_TRIGGER = re.compile(
    rf"""\b(?=(?:{_TRIGGER_FIRST})\b)(?:
    (?P<call>(?:tele)?phone\s+(?:call|conversation|talks?)|video\s*(?:call|conference|link|talks?
        |summit|meeting)|virtual\s+(?:meeting|summit|talks?|call)
        |(?:spoke|speak|speaks|speaking|talked|talk|talks)\s+(?:by|over\s+the|on\s+the)
        \s+(?:tele)?phone|(?:a|the|their|held\s+a|had\s+a|hold\s+a)\s+call(?!\s+(?:for|to|on)\b)
        |calls?\s+with)
    |(?P<working_group>working\s+groups?|(?:counter-?(?:drug|narcotics)|anti-?(?:drug|narcotics)
        |counternarcotics|drug-control)\s+(?:talks|dialogue|meetings?|consultations))
    |(?P<dialogue>dialogues?|consultations)
    |(?P<summit>summits?)
    |(?P<visit>state\s+visit|visit(?:s|ed|ing)?|trips?|travel(?:s|ed|led|ing|ling)?\s+to|tour\s+of)
    |(?P<meeting>met|meet(?:s|ing|ings)?|talks|sat\s+down\s+(?:with|together)|spoke\s+(?:with|to)
        |talked\s+(?:with|to)|discussions?\s+with|conversation|hosted|hosts|negotiations
        |receiv(?:ed|es|ing)|greeted|strategic\s+communication)
    |(?P<weak>raised\s+(?:[\w'-]+\s+){{0,4}}?with)
    )\b""",
    re.VERBOSE,  # matched against the lowercased text: faster than IGNORECASE
)
_REFERENCE = re.compile(
    r"\b(?:prepar(?:e|es|ed|ing|ation)\s+for|pav(?:e|ed|es|ing)\s+the\s+way\s+for|ahead\s+of"
    r"|in\s+the\s+run-up\s+to|lay(?:ing)?\s+the\s+groundwork\s+for|groundwork\s+for"
    r"|preparations?\s+for)\s+"
    r"(?:(?:the|a|an|their|its|his|her|first|next|possible|new|further|[\w-]+'s)\s+){0,3}$",
    re.IGNORECASE,
)
_GENERIC = re.compile(
    r"\s+(?:between|among|with|of)\s+(?:the\s+)?(?:(?:senior|top|high-level|military|defense)\s+)?"
    r"(?:U\.S\.|US|American|Chinese|China|Beijing|Washington)(?:'s)?(?:\s+and\s+(?:the\s+)?"
    r"(?:U\.S\.|US|American|Chinese|China)(?:'s)?)?\s+(?:officials|ministers|delegations|diplomats"
    r"|counterparts|militaries|negotiators|generals|teams|governments)\b"
)
_DEFINITE = re.compile(r"\b(?:the|this|that|these|those|such)\s+(?:[\w-]+\s+){0,2}$", re.IGNORECASE)
# "further talks", "another meeting": a new event, not the one already reported
_NEW_EVENT = re.compile(
    r"\b(?:further|more|new|another|additional|future|other)\s+(?:[\w-]+\s+)?$", re.IGNORECASE
)
_PRONOUN = re.compile(r"\b(?:he|she|his|her|him|they|their|them)\b", re.IGNORECASE)
_PARTIES = re.compile(
    r"\b(?:(?:the\s+)?(?:United\s+States|U\.S\.|US|Washington|America)\s+and\s+(?:China|Beijing)"
    r"|China\s+and\s+the\s+(?:United\s+States|U\.S\.)|Beijing\s+and\s+Washington)\b"
)
_LEADER_ROLES = frozenset({"president", "party-general-secretary"})
_LEADERS = re.compile(
    r"\b(?:the\s+two\s+(?:leaders|presidents|heads\s+of\s+state)|both\s+leaders|the\s+leaders'"
    r"|the\s+two\s+men\s+who\s+lead)",
    re.IGNORECASE,
)
_PAIR = re.compile(
    r"\b(?:the\s+two\s+(?:men|women|officials|ministers|envoys|diplomats)|both\s+men)\b",
    re.IGNORECASE,
)
_THE_BEFORE = re.compile(r"\b(?:the|these|those)\s+$", re.IGNORECASE)
_BETWEEN_AFTER = re.compile(r"\s+(?:between|with|of|by|among)\b", re.IGNORECASE)
_THEIR = re.compile(r"\b(?:their|they)\b", re.IGNORECASE)
_US_WORD = re.compile(r"\b(?:U\.S\.|US|American|United States|Washington|White House)\b")
_CN_WORD = re.compile(r"\b(?:Chinese|China|Beijing|PRC)\b")
_LEADS = re.compile(
    r"\b(?:led|headed|chaired|co-chaired|opened)\s+(?:by|the)\b|\bwill\s+(?:lead|head)\b",
    re.IGNORECASE,
)
_DATELINE_REST = re.compile(
    r"(?:,\s*[A-Z][A-Za-z.]*)?,\s*(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2}|\d{1,2}\s+[A-Z][a-z]{2,8}"
    r"|\d{4}-\d\d-\d\d)\b"
)
_RELATIVE = re.compile(r"[\s,]*(?:who|whom|whose|which)\b")
_AND_CONTINUES = re.compile(r"\s*and\s+(?:the\s+)?[A-Z]")
_UNUSED_PREPOSITIONS = frozenset({"since", "before", "after", "until", "till"})


@dataclass(slots=True)
class Context:
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

    def places_near(self, clause: tuple[int, int], trigger: tuple[int, int]) -> list[PlaceChoice]:
        """Return the places of the meeting at trigger, computed once per clause."""
        key = (clause, trigger)
        if key not in self._places:
            self._places[key] = places_for(self.doc, self.places, self.compiled, clause, trigger)
        return self._places[key]


@dataclass(slots=True)
class _Clause:
    span: tuple[int, int]
    sentence: int
    trigger: tuple[int, int]
    kind: str
    weak: bool
    people: list[PersonRef]
    cues: cl.Cues
    neighbours: tuple[
        tuple[int, int], ...
    ] = ()  # adjacent clauses of the sentence without triggers


def detect(ctx: Context) -> list[Draft]:
    """Return merged meeting drafts for the document."""
    ctx.dateline = _dateline_place(ctx)
    by_sentence: dict[int, list[tuple[int, int, str]]] = {}
    for match in _TRIGGER.finditer(ctx.doc.lower):
        index = ctx.doc.sentence_index(match.start())
        if index >= 0:
            by_sentence.setdefault(index, []).append((match.start(), match.end(), match.lastgroup))
    for index in sorted(by_sentence):
        sentence = ctx.doc.sentences[index]
        if sentence.end - sentence.start <= MAX_SENTENCE:
            ctx.trigger_sentences.add(index)
            _sentence(ctx, index, by_sentence[index])
    return ctx.drafts


def _dateline_place(ctx: Context) -> PlaceRef | None:
    """Return the place of a leading dateline: "WOODSIDE, Calif., Nov. 15 -"."""
    starts = {p.start: p for p in ctx.places}
    for paragraph in ctx.doc.paragraphs[:3]:
        place = starts.get(paragraph.start)
        if place is not None and _DATELINE_REST.match(ctx.doc.norm, place.end, paragraph.end):
            return place
    return None


def _sentence(ctx: Context, index: int, triggers: list[tuple[int, int, str]]) -> None:
    sentence = ctx.doc.sentences[index]
    spans = ctx.doc.clauses_of(index)
    quiet = [not any(s <= t[0] < e for t in triggers) for s, e in spans]
    found = []
    for i, span in enumerate(spans):
        neighbours = tuple(
            spans[j]
            for j in (i - 1, i + 1)
            if 0 <= j < len(spans) and quiet[j] and not _RELATIVE.match(ctx.doc.norm, *spans[j])
        )
        clause = _clause(ctx, index, span, triggers, neighbours)
        if clause is not None:
            found.append(clause)
    sentence_people = [p for p in ctx.people if sentence.start <= p.start < sentence.end]
    claimed = {
        p.slug for c in found if not c.weak and _qualifies(ctx, c, c.people) for p in c.people
    }
    made: list[Draft] = []
    for clause in found:
        _decide(ctx, clause, sentence_people, claimed, made)


def _clause(ctx: Context, index: int, span, triggers, neighbours) -> _Clause | None:
    norm = ctx.doc.norm
    usable: list[tuple[int, int, str]] = []
    reference_at = -1
    for start, end, kind in triggers:
        if not (span[0] <= start < span[1]):
            continue
        if _REFERENCE.search(norm, max(span[0], start - 80), start) or _GENERIC.match(norm, end):
            reference_at = start
            continue
        if reference_at >= 0 and start - reference_at < 30:
            continue  # "the first meeting of a working group" after "prepare for"
        usable.append((start, end, kind))
    if not usable:
        return None
    strong = [t for t in usable if t[2] != "weak"]
    kinds = [t[2] for t in strong] or ["meeting"]
    kind = max(
        kinds,
        key=lambda k: ("meeting", "summit", "dialogue", "visit", "working_group", "call").index(k),
    )
    trigger = (strong or usable)[0]
    people_span = span
    for start, end in neighbours:
        # "met the premier, Li Qiang, and Vice Premier He Lifeng": the list runs on after "and"
        if start == span[1] + 1 and _AND_CONTINUES.match(norm, start, end):
            people_span = (span[0], end)
    people = [
        p
        for p in ctx.people
        if people_span[0] <= p.start < people_span[1] and _participates(norm, p, trigger[0])
    ]
    cues = ctx.doc.cues(span)
    return _Clause(span, index, trigger[:2], kind, not strong, people, cues, neighbours)


def _participates(norm: str, person: PersonRef, trigger: int) -> bool:
    """Reject possessives of other things ("Mr. Wang's successor"), not "Biden's summit"."""
    if not norm.startswith("'s", person.end):
        return True
    return 0 <= trigger - person.end <= 25


def _sides(people: list[PersonRef]) -> set[str]:
    return {side_of(p.country) for p in people}


def _both_sides(people: list[PersonRef]) -> bool:
    sides = _sides(people)
    countries = {p.country for p in people if p.country}
    return {"us", "cn"} <= sides or len(countries) >= 2


def _qualifies(ctx: Context, clause: _Clause, people: list[PersonRef]) -> bool:
    if _both_sides(people):
        return True
    return clause.kind == "visit" and _visit_place(ctx, clause, people) is not None


def _visit_place(ctx: Context, clause: _Clause, people: list[PersonRef]) -> PlaceChoice | None:
    """Return the destination when one side's official visits the other side's country."""
    sides = _sides(people)
    if len(sides) != 1 or not sides <= {"us", "cn"}:
        return None
    other = "cn" if "us" in sides else "us"
    for choice in ctx.places_near(clause.span, clause.trigger):
        if side_of(ctx.compiled.location_country.get(choice.slug, "")) == other:
            return choice
    return None


def _decide(ctx: Context, clause: _Clause, sentence_people, claimed, made: list[Draft]) -> None:
    if _refers_back(ctx, clause) and _attach(ctx, clause, _build(ctx, clause, [], 0.5, weak=True)):
        return  # "after the talks, Mr. Biden said ...": the talks already reported
    if _qualifies(ctx, clause, clause.people):
        _add_new(ctx, clause, clause.people, 0.75, made)
        return
    if clause.weak:
        return
    probe = _build(ctx, clause, [], 0.5)
    for draft in made:
        if kinds_compatible(draft.kind, probe.kind) and compatible(
            draft, _with_people(probe, draft), ctx.compiled
        ):
            merge(draft, _with_people(probe, draft), ctx.compiled)
            if draft.kind == "visit":  # "..., where she will meet Premier Li Qiang"
                _add_people(ctx, draft, clause)
            return
    if clause.people and _join_visit(ctx, clause):
        return
    norm = ctx.doc.norm
    before = (max(clause.span[0], clause.trigger[0] - 60), clause.trigger[0])
    anaphoric = not sentence_people or _DEFINITE.search(norm, *before)
    if anaphoric and not _NEW_EVENT.search(norm, *before) and _attach(ctx, clause, probe):
        return
    pronoun = _PRONOUN.search(norm, clause.span[0], clause.span[1]) is not None
    pool = [p for p in sentence_people if pronoun or p.slug not in claimed]
    if clause.people and not _qualifies(ctx, clause, pool):
        pool = _complement(clause.people, sentence_people)
    if not _qualifies(ctx, clause, pool):
        pool = pool + _leaders_meant(ctx, clause, pool) + _pair_meant(ctx, clause)
    if pool and _qualifies(ctx, clause, pool):
        _add_new(ctx, clause, pool, 0.65, made)
    elif clause.kind in ("working_group", "dialogue") and _two_parties(ctx, clause):
        draft = _add_new(ctx, clause, [], 0.55, made, parties_only=True)
        if draft is not None:
            _add_delegation_leads(ctx, clause.sentence, draft)
    elif pool and (clause.people or pronoun):
        _borrow_from_previous(ctx, clause, pool, made)


def _refers_back(ctx: Context, clause: _Clause) -> bool:
    """Return True for "the talks", "the summit" standing alone, without "between X and Y"."""
    norm = ctx.doc.norm
    start, end = clause.trigger
    if not _THE_BEFORE.search(norm, max(clause.span[0], start - 12), start):
        return False
    return _BETWEEN_AFTER.match(norm, end) is None and bool(ctx.drafts)


def _two_parties(ctx: Context, clause: _Clause) -> bool:
    """Return True when the sentence makes the United States and China the two parties."""
    sentence = ctx.doc.sentences[clause.sentence]
    if _PARTIES.search(ctx.doc.norm, *clause.span):
        return True
    text = ctx.doc.norm[sentence.start : sentence.end]
    return bool(_US_WORD.search(text) and _CN_WORD.search(text))


def _add_delegation_leads(ctx: Context, index: int, draft: Draft) -> None:
    """Add "The U.S. delegation will be led by ..." from the next two sentences."""
    for following in ctx.doc.sentences[index + 1 : index + 3]:
        if not _LEADS.search(ctx.doc.norm, following.start, following.end):
            continue
        found = [p for p in ctx.people if following.start <= p.start < following.end]
        for person in found:
            draft.people.setdefault(person.slug, _claim(ctx, person))
        if found:
            draft.parties_only = False
            draft.add_evidence((following.start, following.end), {"participants"}, 0.5)


def _leaders_meant(ctx: Context, clause: _Clause, pool: list[PersonRef]) -> list[PersonRef]:
    """Read "the two leaders" (or "their" beside one leader) as both sides' presidents."""
    if clause.kind not in ("meeting", "summit", "call") or ctx.published is None:
        return []
    # the leaders come first: "the two leaders met", "the two leaders, who ..., met"
    span = (_subject_start(ctx, clause), clause.trigger[0])
    named = _LEADERS.search(ctx.doc.norm, *span)
    if named is None:
        if not _THEIR.search(ctx.doc.norm, *span):
            return []
        sentence_start = ctx.doc.sentences[clause.sentence].start
        # "the plans the two leaders had laid when they met in Bali"
        earlier = _LEADERS.search(ctx.doc.norm, sentence_start, span[0])
        if not (earlier or _leaders_meet_one(ctx, pool) or _recent_leaders(ctx, clause)):
            return []
        named_at = clause.trigger
    else:
        named_at = named.span()
    period, _ = _clause_period(ctx, clause)
    day = period.start if period else ctx.published
    found = []
    for country in ("US", "CN"):
        holders = ctx.compiled.holders_on("president", country, day)
        if len(holders) == 1 and holders[0] not in {p.slug for p in pool}:
            found.append(PersonRef(named_at[0], named_at[1], holders[0], country))
    return found


def _pair_meant(ctx: Context, clause: _Clause) -> list[PersonRef]:
    """Read "the two men" as the two sides' people of the meeting reported just before."""
    match = _PAIR.search(ctx.doc.norm, _subject_start(ctx, clause), clause.trigger[0])
    if match is None:
        return []
    start = ctx.doc.sentences[clause.sentence].start
    earlier = [d for d in ctx.drafts if d.first < start and len(d.people) == 2]
    if not earlier:
        return []
    draft = max(earlier, key=lambda d: d.first)
    if {claim.side for claim in draft.people.values()} != {"us", "cn"}:
        return []
    country = {"us": "US", "cn": "CN"}
    return [
        PersonRef(match.start(), match.end(), claim.slug, country[claim.side])
        for claim in draft.people.values()
    ]


def _join_visit(ctx: Context, clause: _Clause) -> bool:
    """Add hosts met during a visit or a meeting on their soil: "The envoy also met Li Qiang"."""
    sides = _sides(clause.people)
    if len(sides) != 1 or not sides <= {"us", "cn"} or clause.cues.status == "cancelled":
        return False
    probe = _build(ctx, clause, [], 0.5, weak=True)
    for draft in sorted(ctx.drafts, key=lambda d: d.weight, reverse=True):
        where = draft.location or (ctx.dateline.slug if ctx.dateline else "")
        host = side_of(ctx.compiled.location_country.get(where, ""))
        visitors = {claim.side for claim in draft.people.values()} - sides
        if draft.kind == "call" or host not in sides or not visitors & {"us", "cn"}:
            continue
        if draft.kind != "visit" and (clause.kind == "visit" or probe.period is None):
            continue  # a meeting on the hosts' soil takes them only on the same day
        if compatible(draft, _with_people(probe, draft), ctx.compiled):
            merge(draft, probe, ctx.compiled)
            _add_people(ctx, draft, clause)
            return True
    return False


def _subject_start(ctx: Context, clause: _Clause) -> int:
    """Return where the clause's subject may start: before "who" when it is a relative clause."""
    spans = ctx.doc.clauses_of(clause.sentence)
    index = spans.index(clause.span) if clause.span in spans else 0
    if index > 0 and _RELATIVE.match(ctx.doc.norm, *clause.span):
        return spans[index - 1][0]
    return clause.span[0]


def _recent_leaders(ctx: Context, clause: _Clause) -> bool:
    """Return True when the last meeting reported just before is a leaders' summit."""
    earlier = [d for d in ctx.drafts if d.first < ctx.doc.sentences[clause.sentence].start]
    return bool(earlier) and max(earlier, key=lambda d: d.first).kind == "summit"


def _leaders_meet_one(ctx: Context, pool: list[PersonRef]) -> bool:
    day = ctx.published
    return any(
        o.role in _LEADER_ROLES and (day is None or o.held_on(day))
        for p in pool
        if (entry := ctx.compiled.people.get(p.slug))
        for o in entry.offices
    )


def _complement(own: list[PersonRef], sentence_people: list[PersonRef]) -> list[PersonRef]:
    """Add the missing side from elsewhere in the sentence: "Wang ..., who met Blinken"."""
    sides = _sides(own)
    if len(sides) != 1 or not sides <= {"us", "cn"}:
        return own
    other = "cn" if "us" in sides else "us"
    return own + [p for p in sentence_people if side_of(p.country) == other]


def _add_people(ctx: Context, draft: Draft, clause: _Clause) -> None:
    for person in clause.people:
        draft.people.setdefault(person.slug, _claim(ctx, person))
    if clause.people:
        sentence = ctx.doc.sentences[clause.sentence]
        draft.add_evidence((sentence.start, sentence.end), {"participants"}, draft.confidence)


def _with_people(probe: Draft, like: Draft) -> Draft:
    """Give a participant-less probe the people of the draft it is compared with."""
    probe.people, probe.parties_only = dict(like.people), like.parties_only
    return probe


def _attach(ctx: Context, clause: _Clause, probe: Draft) -> bool:
    """Attach an anaphoric clause to the focus meeting or to meetings of the previous sentence."""
    focus = max(ctx.drafts, key=lambda d: (d.weight, -d.first), default=None)
    previous = ctx.doc.sentences[clause.sentence - 1] if clause.sentence > 0 else None
    recent = [d for d in ctx.drafts if previous and (previous.start, previous.end) in d.evidence]
    probe.period_own = False  # a date near "the talks" may be another event's: never override
    for group in ([focus] if focus else [], recent):
        targets = [d for d in group if _anaphor_fits(ctx, d, probe)]
        for draft in targets:
            merge(draft, _with_people(probe, draft), ctx.compiled)
        if targets:
            return True
    return False


def _anaphor_fits(ctx: Context, draft: Draft, probe: Draft) -> bool:
    if probe.kind != "meeting" and draft.kind != probe.kind:
        return False
    if draft.kind == "call" and probe.kind != "call":
        return False
    return compatible(draft, _with_people(probe, draft), ctx.compiled)


def _borrow_from_previous(ctx: Context, clause: _Clause, pool, made: list[Draft]) -> None:
    """Take the other side from the previous sentence: "Wang arrived. Sullivan met him."."""
    if clause.sentence == 0:
        return
    previous = ctx.doc.sentences[clause.sentence - 1]
    earlier = [p for p in ctx.people if previous.start <= p.start < previous.end]
    if clause.kind == "visit" and _sides(pool) <= {"us", "cn"} and len(_sides(pool)) == 1:
        _borrow_destination(ctx, clause, pool, previous, made)
        return
    if earlier and _both_sides(pool + earlier):
        draft = _add_new(ctx, clause, pool + earlier, 0.5, made)
        if draft is not None:
            draft.add_evidence((previous.start, previous.end), {"participants"}, 0.5)


def _borrow_destination(ctx: Context, clause: _Clause, pool, previous, made) -> None:
    """A second visit right after one with a destination: "Blinken is also discussing a visit"."""
    span = (previous.start, previous.end)
    sides = _sides(pool)
    for draft in ctx.drafts:
        if draft.kind != "visit" or span not in draft.evidence or draft.location is None:
            continue
        host = side_of(ctx.compiled.location_country.get(draft.location, ""))
        if host in sides or host not in ("us", "cn"):
            continue
        new = _build(ctx, clause, pool, 0.3)
        new.location, new.location_note = draft.location, draft.location_note
        new.add_evidence(span, {"location"}, 0.3)
        target = _insert(ctx, new)
        if target is not None:
            made.append(target)
        return


def _add_new(ctx, clause: _Clause, people, confidence, made, parties_only=False) -> Draft | None:
    choices = _place_choices(ctx, clause, people)
    kept: list[Draft] = []
    for group in _visitor_groups(clause, people):
        for choice in choices or [None]:
            draft = _build(ctx, clause, group, confidence, choice)
            draft.parties_only = parties_only
            _inherit_date(ctx, clause, draft)
            target = _insert(ctx, draft)
            if target is not None:
                kept.append(target)
                made.append(target)
    return kept[0] if kept else None


def _visitor_groups(clause: _Clause, people: list[PersonRef]) -> list[list[PersonRef]]:
    """Split "Blinken, Yellen and Kerry visited Beijing" into one visit per visitor."""
    if clause.kind != "visit" or len(_sides(people)) != 1 or len(people) < 2:
        return [people]
    unique = {p.slug: p for p in people}
    return [[p] for p in unique.values()]


def _place_choices(ctx: Context, clause: _Clause, people) -> list[PlaceChoice]:
    if clause.kind == "visit" and len(_sides(people)) == 1:
        found = _visit_place(ctx, clause, people)
        return [found] if found else []
    return ctx.places_near(clause.span, clause.trigger)


def _build(
    ctx, clause: _Clause, people, confidence, choice: PlaceChoice | None = None, weak=False
) -> Draft:
    sentence = ctx.doc.sentences[clause.sentence]
    cues = clause.cues
    strong = cues.strong and not weak
    draft = Draft(clause.kind, cues.status, strong, clause.sentence, cues.possible)
    fields = {"kind", "status"} if strong or not weak else {"kind"}
    for person in people:
        if person.slug not in draft.people:
            draft.people[person.slug] = _claim(ctx, person)
    if people:
        fields.add("participants")
    period, duration = _clause_period(ctx, clause)
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
        found = ctx.places_near(clause.span, clause.trigger)
        choice = found[0] if len(found) == 1 else None
    if choice is not None:
        draft.location, draft.location_note = choice.slug, choice.note
        fields.add("location")
    planned = draft.status == "planned"
    draft.announced = cl.read_announced(ctx.doc.norm, *clause.span, clause.trigger[0], planned)
    if cues.possible:
        confidence = min(confidence, 0.4)
    draft.confidence = confidence
    draft.add_evidence((sentence.start, sentence.end), fields, confidence)
    return draft


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
        if any(o.role in _LEADER_ROLES and (day is None or o.held_on(day)) for o in offices):
            sides.add(side_of(person.country))
    return len(sides) >= 2


def _status_from_period(draft: Draft, period: Period, published: date | None) -> None:
    if published is None or draft.status == "cancelled":
        return
    if period.end < published and not draft.status_strong:
        draft.status, draft.status_strong = "held", True
    elif period.start > published and not draft.status_strong:
        draft.status, draft.status_strong = "planned", True


def _claim(ctx: Context, person: PersonRef) -> ParticipantClaim:
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
        for d in ctx.dates
        if start <= d.start < end
        and d.form != "du"
        and not d.vague
        and d.preposition not in _UNUSED_PREPOSITIONS
        and not is_reported(ctx.doc.norm, d)
    ]


def _clause_period(ctx: Context, clause: _Clause) -> tuple[Period | None, int | None]:
    span, trigger = clause.span, clause.trigger
    duration = next(
        (d.duration for d in ctx.dates if span[0] <= d.start < span[1] and d.form == "du"), None
    )
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


def _inherit_date(ctx: Context, clause: _Clause, draft: Draft) -> None:
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


def _insert(ctx: Context, draft: Draft) -> Draft | None:
    """Merge draft into a compatible earlier draft, or keep it; return where it went."""
    matches = [d for d in ctx.drafts if compatible(d, draft, ctx.compiled)]
    if not matches:
        ctx.drafts.append(draft)
        return draft
    if len(matches) > 1:
        focus = max(ctx.drafts, key=lambda d: (d.weight, -d.first))
        if not draft.specified:
            if focus not in matches:
                return None  # says nothing that tells the candidates apart
            matches = [focus]
        matches.sort(key=lambda d: (_closeness(d, draft), d is focus, d.first))
    merge(matches[-1], draft, ctx.compiled)
    return matches[-1]


def _closeness(a: Draft, b: Draft) -> int:
    score = 0
    if a.location and b.location:
        score += 2
    if a.period and b.period:
        score += 1
    return score
