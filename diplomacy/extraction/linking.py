"""Add drafts to the article's meetings: merge the same event, attach references back."""

from __future__ import annotations

from .building import build, claim, inherit_date, place_choices, visitor_groups
from .context import Clause, Context, with_people
from .drafts import Draft, compatible, merge


def add_new(ctx, clause: Clause, people, confidence, made, parties_only=False) -> Draft | None:
    """Build drafts for the clause (one per visitor and place) and add them to the article."""
    choices = place_choices(ctx, clause, people)
    kept: list[Draft] = []
    for group in visitor_groups(ctx, clause, people):
        for choice in choices or [None]:
            draft = build(ctx, clause, group, confidence, choice)
            draft.parties_only = parties_only
            inherit_date(ctx, clause, draft)
            target = insert(ctx, draft)
            if target is not None:
                kept.append(target)
                made.append(target)
    return kept[0] if kept else None


def insert(ctx: Context, draft: Draft) -> Draft | None:
    """Merge draft into a compatible earlier draft, or keep it; return where it went."""
    matches = [d for d in ctx.drafts if compatible(d, draft, ctx.compiled)]
    if not matches:
        ctx.drafts.append(draft)
        return draft
    if len(matches) > 1:
        focus = ctx.focus()
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


def attach(ctx: Context, clause: Clause, probe: Draft) -> bool:
    """Attach an anaphoric clause to the focus meeting or to meetings of the previous sentence."""
    focus = ctx.focus()
    previous = ctx.doc.sentences[clause.sentence - 1] if clause.sentence > 0 else None
    recent = [d for d in ctx.drafts if previous and (previous.start, previous.end) in d.evidence]
    probe.period_own = False  # a date near "the talks" may be another event's: never override
    for group in ([focus] if focus else [], recent):
        targets = [d for d in group if _anaphor_fits(ctx, d, probe)]
        for draft in targets:
            merge(draft, with_people(probe, draft), ctx.compiled)
        if targets:
            return True
    return False


def _anaphor_fits(ctx: Context, draft: Draft, probe: Draft) -> bool:
    if probe.kind != "meeting" and draft.kind != probe.kind:
        return False
    if draft.kind == "call" and probe.kind != "call":
        return False
    return compatible(draft, with_people(probe, draft), ctx.compiled)


def add_people(ctx: Context, draft: Draft, clause: Clause) -> None:
    """Add the clause's people to a draft as participants."""
    for person in clause.people:
        draft.people.setdefault(person.slug, claim(ctx, person))
    if clause.people:
        sentence = ctx.doc.sentences[clause.sentence]
        draft.add_evidence((sentence.start, sentence.end), {"participants"}, draft.confidence)
