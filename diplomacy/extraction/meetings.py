"""Find meetings: a meeting expression plus participants from both sides.

Each clause holding a meeting expression becomes a draft when it names people from both sides
(or a visitor and a destination on the other side). Otherwise it attaches to a meeting in the
same sentence, to the article's focus or to the previous sentence ("The talks come as ..."),
or borrows participants from the rest of the sentence or the previous sentence.
"""

from __future__ import annotations

import re

from .building import build, claim, qualifies
from .context import Clause, Context, with_people
from .drafts import Draft, compatible, kinds_compatible, merge
from .inference import (
    add_delegation_leads,
    borrow_from_previous,
    complement,
    join_visit,
    leaders_meant,
    owned_by_named,
    pair_meant,
    they_meant,
    two_parties,
)
from .linking import add_new, add_people, attach
from .places import PlaceRef
from .triggers import RELATIVE, TRIGGER, directs, read_clause

# Work caps for pathological input; a news article stays far below them.
MAX_MEETING_SENTENCES = 1000
MAX_DRAFTS = 100
MAX_SENTENCE = 3000  # longer "sentences" are debris; matching them costs more than it finds
_DEFINITE = re.compile(r"\b(?:the|this|that|these|those|such)\s+(?:[\w-]+\s+){0,2}$", re.IGNORECASE)
# "further talks", "another meeting": a new event, not the one already reported
_NEW_EVENT = re.compile(
    r"\b(?:further|more|new|another|additional|future|other)\s+(?:[\w-]+\s+)?$", re.IGNORECASE
)
_PRONOUN = re.compile(r"\b(?:he|she|his|her|him|they|their|them)\b", re.IGNORECASE)
_THE_BEFORE = re.compile(r"\b(?:the|these|those)\s+$", re.IGNORECASE)
# "A will lead the talks", "B gave remarks at the senior officials meeting": people at it
_LEADS_TALKS = re.compile(
    r"\b(?:will\s+(?:lead|head|chair|co-chair)|(?:leads|led|heads|headed|chairs|chaired)"
    r"|(?:gave|delivered|made)\s+(?:[\w-]+\s+)?remarks\s+at|attended|took\s+part\s+in"
    r"|participated\s+in)\s+the\s+"
    r"(?:[\w-]+\s+){0,2}(?:talks|negotiations|consultations|discussions|delegation|meeting)\b"
)
_NEXT_ITEM = re.compile(r"\b(?:as\s+well\s+as|including\s+between)\b", re.IGNORECASE)
_BETWEEN_AFTER = re.compile(r"\s+(?:between|with|of|by|among)\b", re.IGNORECASE)
_INCLUDING = re.compile(r"\s*(?:including|such\s+as)\b")
_ACRONYM = re.compile(r" \(([A-Z]{2,8})\)")
_DATELINE_REST = re.compile(
    r"(?:,\s*[A-Z][A-Za-z.]*)?,\s*(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2}|\d{1,2}\s+[A-Z][a-z]{2,8}"
    r"|\d{4}-\d\d-\d\d)\b"
)

# A transcript's header: title, place line, time or date line, then the remarks.
_PLACE_LINE_PARAGRAPHS = 6
_PLACE_LINE_REST = re.compile(r"(?:,[ ]*[A-Z][A-Za-z.]*(?:[ ][A-Z][A-Za-z.]*)?)?[ ]*\n*")


def detect(ctx: Context) -> list[Draft]:
    """Return merged meeting drafts for the document."""
    ctx.dateline = _dateline_place(ctx)
    by_sentence: dict[int, list[tuple[int, int, str]]] = {}
    found = [(m.start(), m.end(), m.lastgroup) for m in TRIGGER.finditer(ctx.doc.lower)]
    for start, end, kind in found + _acronym_triggers(ctx.doc.norm, found):
        index = ctx.doc.sentence_index(start)
        if index >= 0:
            by_sentence.setdefault(index, []).append((start, end, kind))
    for triggers in by_sentence.values():
        triggers.sort()
    for index in sorted(by_sentence)[:MAX_MEETING_SENTENCES]:
        sentence = ctx.doc.sentences[index]
        if sentence.end - sentence.start <= MAX_SENTENCE:
            ctx.trigger_sentences.add(index)
            _sentence(ctx, index, by_sentence[index])
        if len(ctx.drafts) >= MAX_DRAFTS:
            break
    return ctx.drafts


def _acronym_triggers(norm: str, found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Return later uses of an acronym a mechanism's name defines: "the Counternarcotics
    Working Group (CNWG)" makes "the July 2024 CNWG" a session of that working group."""
    extra: list[tuple[int, int, str]] = []
    for _, end, kind in found:
        if kind not in ("working_group", "dialogue") or not norm.startswith(" (", end):
            continue
        acronym = _ACRONYM.match(norm, end)
        if acronym is None:
            continue
        uses = re.finditer(rf"\b{acronym.group(1)}\b", norm[acronym.end() :])
        extra.extend((acronym.end() + m.start(), acronym.end() + m.end(), kind) for m in uses)
    return extra


def _dateline_place(ctx: Context) -> PlaceRef | None:
    """Return the place of a leading dateline: "WOODSIDE, Calif., Nov. 15 -", or of a line
    that holds nothing but a place under a transcript's title: "Palm Beach, Florida"."""
    starts = {p.start: p for p in ctx.places}
    norm = ctx.doc.norm
    for i, paragraph in enumerate(ctx.doc.paragraphs[:_PLACE_LINE_PARAGRAPHS]):
        place = starts.get(paragraph.start)
        if place is None:
            continue
        if i < 3 and _DATELINE_REST.match(norm, place.end, paragraph.end):
            return place
        if _PLACE_LINE_REST.fullmatch(norm, place.end, paragraph.end):
            return place
    return None


def _sentence(ctx: Context, index: int, triggers: list[tuple[int, int, str]]) -> None:
    """Read every clause of a sentence that holds meeting words."""
    sentence = ctx.doc.sentences[index]
    spans = ctx.doc.clauses_of(index)
    quiet = [not any(s <= t[0] < e for t in triggers) for s, e in spans]
    found = []
    for i, span in enumerate(spans):
        neighbours = tuple(
            spans[j]
            for j in (i - 1, i + 1)
            if 0 <= j < len(spans) and quiet[j] and not RELATIVE.match(ctx.doc.norm, *spans[j])
        )
        clause = read_clause(ctx, index, span, triggers, neighbours)
        if clause is not None:
            found.append(clause)
    sentence_people = [
        p for p in ctx.people_in(sentence.start, sentence.end) if not directs(ctx.doc.norm, p)
    ]
    claimed = {
        p.slug for c in found if not c.weak and qualifies(ctx, c, c.people) for p in c.people
    }
    made: list[Draft] = []
    for clause in found:
        _decide(ctx, clause, sentence_people, claimed, made)


def _decide(ctx: Context, clause: Clause, sentence_people, claimed, made: list[Draft]) -> None:
    """Turn a clause into a new meeting, evidence for a known one, or nothing."""
    if _refers_back(ctx, clause) and _reported_before(ctx, clause):
        return
    if qualifies(ctx, clause, clause.people):
        add_new(ctx, clause, clause.people, 0.75, made)
        return
    if clause.weak or _joins_made(ctx, clause, made):
        return
    if clause.people and join_visit(ctx, clause):
        return
    if _joins_focus(ctx, clause, sentence_people):
        return
    _from_sentence_people(ctx, clause, sentence_people, claimed, made)


def _reported_before(ctx: Context, clause: Clause) -> bool:
    """Handle "the talks" standing alone: evidence for the meeting already reported."""
    if clause.later:  # "The trip followed a visit earlier this month by Yellen"
        start, end, kind = clause.later[0]
        clause.trigger, clause.kind, clause.period = (start, end), kind, None
        return False
    # "after the talks, Mr. Biden said ...": the talks already reported
    if not attach(ctx, clause, build(ctx, clause, [], 0.5, weak=True)):
        return False
    _add_talks_leads(ctx, clause)
    return True


def _add_talks_leads(ctx: Context, clause: Clause) -> None:
    """Add "Vice Premier Liu He will lead the talks for China" to the talks it refers to."""
    lead = _LEADS_TALKS.search(ctx.doc.norm, clause.span[0], clause.trigger[1])
    if lead is None:
        return
    leads = [p for p in clause.people if p.end <= lead.start()]
    if not leads:
        return
    sentence = ctx.doc.sentences[clause.sentence]
    for draft in ctx.drafts:
        if (sentence.start, sentence.end) in draft.evidence:
            for person in leads:
                draft.people.setdefault(person.slug, claim(ctx, person))
            draft.add_evidence((sentence.start, sentence.end), {"participants"}, 0.5)


def _joins_made(ctx: Context, clause: Clause, made: list[Draft]) -> bool:
    """Fold the clause into a meeting made earlier in the same sentence when they agree."""
    for draft in made:
        if not kinds_compatible(draft.kind, clause.kind):
            continue
        probe = build(ctx, clause, [], 0.5)
        if compatible(draft, with_people(probe, draft), ctx.compiled):
            merge(draft, with_people(probe, draft), ctx.compiled)
            if draft.kind == "visit":  # "..., where she will meet Premier Li Qiang"
                add_people(ctx, draft, clause)
            return True
    return False


def _joins_focus(ctx: Context, clause: Clause, sentence_people) -> bool:
    """Attach "the talks" or a meeting in a sentence naming nobody to a meeting reported before."""
    norm = ctx.doc.norm
    before = (max(clause.span[0], clause.trigger[0] - 60), clause.trigger[0])
    anaphoric = bool(ctx.drafts) and (not sentence_people or _DEFINITE.search(norm, *before))
    joined = (
        anaphoric
        and not _NEW_EVENT.search(norm, *before)
        and attach(ctx, clause, build(ctx, clause, [], 0.5))
    )
    if joined:
        _add_talks_leads(ctx, clause)
    return joined


def _from_sentence_people(ctx, clause: Clause, sentence_people, claimed, made) -> None:
    """Make a meeting from people elsewhere in the sentence, the leaders meant, or "they"."""
    if owned_by_named(ctx, clause):
        return  # "President Xi's meeting with a third country's leader" names its own people
    if _INCLUDING.match(ctx.doc.norm, clause.span[0]):
        # "A and B welcomed progress, including the launch of the Working Group": the people
        # of the sentence welcome it; the item listed is the two governments' own meeting
        if clause.kind in ("working_group", "dialogue") and two_parties(ctx, clause):
            add_new(ctx, clause, [], 0.55, made, parties_only=True)
        return
    pronoun = _PRONOUN.search(ctx.doc.norm, clause.span[0], clause.span[1]) is not None
    # "between Sullivan and Wang in Vienna as well as meetings between Yellen and her
    # counterparts": people named before the next item of a list are at another meeting.
    sentence_people = [
        p
        for p in sentence_people
        if p.end > clause.trigger[0]
        or not _NEXT_ITEM.search(ctx.doc.norm, p.end, clause.trigger[0])
    ]
    pool = [p for p in sentence_people if pronoun or p.slug not in claimed]
    if clause.people and not qualifies(ctx, clause, pool):
        pool = complement(clause.people, sentence_people)
    if not qualifies(ctx, clause, pool):
        pool = pool + leaders_meant(ctx, clause, pool) + pair_meant(ctx, clause)
    if not pool:
        pool = they_meant(ctx, clause)
    if pool and qualifies(ctx, clause, pool):
        add_new(ctx, clause, pool, 0.65, made)
    elif clause.kind in ("working_group", "dialogue") and two_parties(ctx, clause):
        draft = add_new(ctx, clause, [], 0.55, made, parties_only=True)
        if draft is not None:
            add_delegation_leads(ctx, clause.sentence, draft)
    elif pool and (clause.people or pronoun):
        borrow_from_previous(ctx, clause, pool, made)


def _refers_back(ctx: Context, clause: Clause) -> bool:
    """Return True for "the talks", "the summit" standing alone, without "between X and Y"."""
    norm = ctx.doc.norm
    start, end = clause.trigger
    # "the call" is matched with its article: the meeting words themselves are definite
    own_article = norm.startswith(("the ", "The "), start)
    before = max(clause.span[0], start - 12)
    if not own_article and not _THE_BEFORE.search(norm, before, start):
        return False
    return _BETWEEN_AFTER.match(norm, end) is None and bool(ctx.drafts)
