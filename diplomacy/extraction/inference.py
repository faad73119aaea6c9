"""Participants a clause implies without naming them.

"The two leaders", "the two men", "they", hosts met during a visit, a delegation "led by"
someone, and the other side borrowed from the rest of the sentence or the one before.
"""

from __future__ import annotations

import re

from .building import LEADER_ROLES, build, claim, clause_period
from .context import Clause, Context, both_sides, sides_of, with_people
from .drafts import Draft, compatible, merge
from .linking import add_new, add_people, insert
from .people import PersonRef
from .roles import side_of
from .triggers import LINK as _LINK
from .triggers import subject_start

_PARTIES = re.compile(
    r"\b(?:(?:the\s+)?(?:United\s+States|U\.S\.|US|Washington|America)\s+and\s+(?:China|Beijing)"
    r"|China\s+and\s+the\s+(?:United\s+States|U\.S\.)|Beijing\s+and\s+Washington)(?!\w)"
)
_LEADERS = re.compile(
    r"\b(?:the\s+two\s+(?:leaders|presidents|heads\s+of\s+state)|both\s+leaders|the\s+leaders'"
    r"|the\s+two\s+men\s+who\s+lead)",
    re.IGNORECASE,
)
_PAIR = re.compile(
    r"\b(?:the\s+two\s+(?:men|women|officials|ministers|envoys|diplomats)|both\s+men)\b",
    re.IGNORECASE,
)
_THEIR = re.compile(r"\b(?:their|they)\b", re.IGNORECASE)
_THEY = re.compile(r"\b(?:they|their)\s+(?:[a-z]+\s+){0,2}$", re.IGNORECASE)
_US_WORD = re.compile(r"\b(?:U\.S\.|US|American|United States|Washington|White House)(?!\w)")
_CN_WORD = re.compile(r"\b(?:Chinese|China|Beijing|PRC)(?!\w)")
_LEADS = re.compile(
    r"\b(?:led|headed|chaired|co-chaired|opened)\s+(?:on\s+the\s+\S+\s+side\s+)?(?:by|the)\b"
    r"|\bwill\s+(?:lead|head)\b",
    re.IGNORECASE,
)
# "Jen Daskal will lead an interagency delegation", "A and B led the U.S. delegation": the
# people named before the verb lead it.
_LEADS_ACTIVE = re.compile(
    r"\b(?:will\s+(?:lead|head|chair|co-chair)|(?:led|headed|chaired|co-chaired))"
    r"\s+(?:an?|the|their|his|her)\s+(?:[\w.-]+\s+){0,3}?(?:delegation|team|talks|meeting)\b",
    re.IGNORECASE,
)

# "The EWG is co-led by A and B": a sentence that opens by naming who leads the group
_LATER_LEADS = re.compile(
    r"(?:The|This|Each)\s+(?:[\w()-]+\s+){0,4}?(?:is|was|are|were)\s+(?:co-)?(?:led|chaired"
    r"|headed)\s+by\b"
)
_LATER_LEADS_SENTENCES = 6


def two_parties(ctx: Context, clause: Clause) -> bool:
    """Return True when the sentence makes the United States and China the two parties."""
    sentence = ctx.doc.sentences[clause.sentence]
    if _PARTIES.search(ctx.doc.norm, *clause.span):
        return True
    text = ctx.doc.norm[sentence.start : sentence.end]
    return bool(_US_WORD.search(text) and _CN_WORD.search(text))


def add_delegation_leads(ctx: Context, index: int, draft: Draft) -> None:
    """Add "The U.S. delegation will be led by ..." from this sentence and the next two, or
    from a later sentence that opens with who leads the group ("The group is co-led by ...")."""
    for offset, following in enumerate(ctx.doc.sentences[index : index + 3]):
        found = _leads_in(ctx, following, own_sentence=offset == 0)
        _add_leads(ctx, draft, following, found)
    if draft.people:
        return
    for following in ctx.doc.sentences[index + 3 : index + 3 + _LATER_LEADS_SENTENCES]:
        opening = _LATER_LEADS.match(ctx.doc.norm, following.start, following.end)
        if opening is not None:
            _add_leads(ctx, draft, following, ctx.people_in(opening.end(), following.end))
            return


def _add_leads(ctx: Context, draft: Draft, sentence, found: list[PersonRef]) -> None:
    for person in found:
        draft.people.setdefault(person.slug, claim(ctx, person))
    if found:
        draft.parties_only = False
        draft.add_evidence((sentence.start, sentence.end), {"participants"}, 0.5)


def _leads_in(ctx: Context, sentence, own_sentence: bool) -> list[PersonRef]:
    """Return who leads a delegation in the sentence: after "led by", or before "will lead"."""
    norm = ctx.doc.norm
    active = _LEADS_ACTIVE.search(norm, sentence.start, sentence.end)
    if active is not None:
        return ctx.people_in(sentence.start, active.start())
    lead = _LEADS.search(norm, sentence.start, sentence.end)
    if lead is None:
        return []
    # in the meeting's own sentence only the people named after "led by" lead it
    return ctx.people_in(lead.start() if own_sentence else sentence.start, sentence.end)


def leaders_meant(ctx: Context, clause: Clause, pool: list[PersonRef]) -> list[PersonRef]:
    """Read "the two leaders" (or "their" beside one leader) as both sides' presidents."""
    if clause.kind not in ("meeting", "summit", "call") or ctx.published is None:
        return []
    if owned_by_named(ctx, clause):
        return []  # "Xi's meeting with the North Korean leader": its own people, named
    # the leaders come first: "the two leaders met", "the two leaders, who ..., met"
    span = (subject_start(ctx, clause), clause.trigger[0])
    named = _LEADERS.search(ctx.doc.norm, *span)
    if named is not None and _LINK.search(ctx.doc.norm, named.end(), clause.trigger[0]):
        return []  # "the two leaders tasked their teams to follow up on today's conversation"
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
    period, _ = clause_period(ctx, clause)
    day = period.start if period else ctx.published
    found = []
    for country in ("US", "CN"):
        holders = ctx.compiled.holders_on("president", country, day)
        if len(holders) == 1 and holders[0] not in {p.slug for p in pool}:
            found.append(PersonRef(named_at[0], named_at[1], holders[0], country))
    return found


def owned_by_named(ctx: Context, clause: Clause) -> bool:
    """Return True for meeting words owned by a named person: "President Xi's meeting"."""
    norm = ctx.doc.norm
    return any(
        norm.startswith("'s", p.end) and 0 <= clause.trigger[0] - p.end <= 25 for p in clause.people
    )


def pair_meant(ctx: Context, clause: Clause) -> list[PersonRef]:
    """Read "the two men" as the two sides' people of the meeting reported just before."""
    match = _PAIR.search(ctx.doc.norm, subject_start(ctx, clause), clause.trigger[0])
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


def join_visit(ctx: Context, clause: Clause) -> bool:
    """Add hosts met during a visit or a meeting on their soil: "The envoy also met Li Qiang"."""
    sides = sides_of(clause.people)
    if len(sides) != 1 or not sides <= {"us", "cn"} or clause.cues.status == "cancelled":
        return False
    probe = build(ctx, clause, [], 0.5, weak=True)
    for draft in sorted(ctx.drafts, key=lambda d: d.weight, reverse=True):
        where = draft.location or (ctx.dateline.slug if ctx.dateline else "")
        host = side_of(ctx.compiled.location_country.get(where, ""))
        visitors = {claim.side for claim in draft.people.values()} - sides
        if draft.kind == "call" or host not in sides or not visitors & {"us", "cn"}:
            continue
        if draft.kind != "visit" and (clause.kind == "visit" or probe.period is None):
            continue  # a meeting on the hosts' soil takes them only on the same day
        if compatible(draft, with_people(probe, draft), ctx.compiled):
            merge(draft, probe, ctx.compiled)
            add_people(ctx, draft, clause)
            return True
    return False


def they_meant(ctx: Context, clause: Clause) -> list[PersonRef]:
    """Read "they met", "their last meeting" as the people of the article's main meeting."""
    match = _THEY.search(
        ctx.doc.norm, max(clause.span[0], clause.trigger[0] - 40), clause.trigger[0]
    )
    focus = ctx.focus()
    if match is None or focus is None or len(focus.people) > 4:
        return []
    if not {"us", "cn"} <= {claim.side for claim in focus.people.values()}:
        return []
    country = {"us": "US", "cn": "CN"}
    return [
        PersonRef(match.start(), match.end(), claim.slug, country[claim.side])
        for claim in focus.people.values()
        if claim.side in country
    ]


def _recent_leaders(ctx: Context, clause: Clause) -> bool:
    """Return True when the last meeting reported just before is a leaders' summit."""
    earlier = [d for d in ctx.drafts if d.first < ctx.doc.sentences[clause.sentence].start]
    return bool(earlier) and max(earlier, key=lambda d: d.first).kind == "summit"


def _leaders_meet_one(ctx: Context, pool: list[PersonRef]) -> bool:
    day = ctx.published
    return any(
        o.role in LEADER_ROLES and (day is None or o.held_on(day))
        for p in pool
        if (entry := ctx.compiled.people.get(p.slug))
        for o in entry.offices
    )


def complement(own: list[PersonRef], sentence_people: list[PersonRef]) -> list[PersonRef]:
    """Add the missing side from elsewhere in the sentence: "Wang ..., who met Blinken"."""
    sides = sides_of(own)
    if len(sides) != 1 or not sides <= {"us", "cn"}:
        return own
    other = "cn" if "us" in sides else "us"
    return own + [p for p in sentence_people if side_of(p.country) == other]


def borrow_from_previous(ctx: Context, clause: Clause, pool, made: list[Draft]) -> None:
    """Take the other side from the previous sentence: "Wang arrived. Sullivan met him."."""
    if clause.sentence == 0:
        return
    previous = ctx.doc.sentences[clause.sentence - 1]
    earlier = ctx.people_in(previous.start, previous.end)
    if clause.kind == "visit" and sides_of(pool) <= {"us", "cn"} and len(sides_of(pool)) == 1:
        _borrow_destination(ctx, clause, pool, previous, made)
        return
    missing = {"us", "cn"} - sides_of(pool)
    earlier = [p for p in earlier if side_of(p.country) in missing]  # only the side lacking
    if earlier and both_sides(pool + earlier):
        if _joins_previous_meeting(ctx, clause, pool, earlier, previous):
            return
        draft = add_new(ctx, clause, pool + earlier, 0.5, made)
        if draft is not None:
            draft.add_evidence((previous.start, previous.end), {"participants"}, 0.5)


def _joins_previous_meeting(ctx: Context, clause: Clause, pool, earlier, previous) -> bool:
    """Add "Director-General Yang also held talks with the U.S. side" to the meeting just
    reported: the other side it borrows is that meeting's, so it is one more participant there,
    not a second meeting. A date or place of its own that disagrees keeps it apart."""
    span = (previous.start, previous.end)
    borrowed = {p.slug for p in earlier}
    for draft in ctx.drafts:
        if span not in draft.evidence or not borrowed <= set(draft.people):
            continue
        probe = with_people(build(ctx, clause, [], 0.5), draft)
        if compatible(draft, probe, ctx.compiled):
            merge(draft, probe, ctx.compiled)
            for person in pool:
                draft.people.setdefault(person.slug, claim(ctx, person))
            sentence = ctx.doc.sentences[clause.sentence]
            draft.add_evidence((sentence.start, sentence.end), {"participants"}, 0.5)
            return True
    return False


def _borrow_destination(ctx: Context, clause: Clause, pool, previous, made) -> None:
    """A second visit right after one with a destination: "Blinken is also discussing a visit"."""
    span = (previous.start, previous.end)
    sides = sides_of(pool)
    for draft in ctx.drafts:
        if draft.kind != "visit" or span not in draft.evidence or draft.location is None:
            continue
        host = side_of(ctx.compiled.location_country.get(draft.location, ""))
        if host in sides or host not in ("us", "cn"):
            continue
        new = build(ctx, clause, pool, 0.3)
        new.location, new.location_note = draft.location, draft.location_note
        new.add_evidence(span, {"location"}, 0.3)
        target = insert(ctx, new)
        if target is not None:
            made.append(target)
        return
