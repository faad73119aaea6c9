"""Turn merged drafts into MeetingCandidates: topics, titles, confidence and evidence checks."""

from __future__ import annotations

from bisect import bisect_left

from .context import Context
from .drafts import Draft, merge
from .matcher import CompiledGazetteer, Hit
from .periods import Period, add_days
from .types import EvidenceSpan, MeetingCandidate, NewPerson, Span

_FIELD_ORDER = ("participants", "kind", "status", "date", "location", "topics")
_SIDE_ORDER = {"us": 0, "cn": 1, "tw": 2, "other": 3}
_NOUNS = {
    "summit": "summit",
    "meeting": "talks",
    "call": "call",
    "working_group": "working group meeting",
    "dialogue": "dialogue",
}
_RECENT_DAYS = 7  # a news report of a past meeting without a date is about the last week
_PARAGRAPH_SENTENCES = 5  # past this a "paragraph" is a whole unsplit page: use neighbours
_MAX_CONFIDENCE = 0.95
_POSSIBLE_CONFIDENCE = 0.4


def finalise(
    ctx: Context, drafts: list[Draft], topic_hits: list[Hit], new_people: list[NewPerson]
) -> list[MeetingCandidate]:
    """Complete each draft and return candidates in the order the article first reports them."""
    if not drafts:
        return []
    drafts = _fold_generic_reports(ctx.compiled, drafts)
    main = max(drafts, key=lambda d: (d.weight, -d.first))
    names = {person.slug: person.name for person in new_people}
    candidates = []
    for draft in sorted(drafts, key=lambda d: d.first):
        _place_at_dateline(ctx, draft, main)
        _assume_recent(ctx, draft, main)
        topics = _topics(ctx, draft, draft is main, topic_hits)
        candidates.append(_candidate(ctx.compiled, draft, topics, names))
    return candidates


def _fold_generic_reports(compiled: CompiledGazetteer, drafts: list[Draft]) -> list[Draft]:
    """Fold "the first meeting between A and B", undated, into the call of A and B reported.

    A text calls one video call both "the call" and "the meeting"; an undated generic report
    with exactly the call's people is that call, not a second event.
    """
    calls = [d for d in drafts if d.kind == "call" and d.period is not None and d.people]
    if not calls:
        return drafts
    kept = []
    for draft in drafts:
        same = [
            c
            for c in calls
            if draft.kind == "meeting"
            and (draft.period is None or not draft.period_own)
            and draft.status == c.status
            and set(draft.people) == set(c.people)
            and draft.location is None
        ]
        if len(same) == 1:
            merge(same[0], draft, compiled)
            continue
        kept.append(draft)
    return kept


def _place_at_dateline(ctx: Context, draft: Draft, main: Draft) -> None:
    """Place the main meeting where the story was filed when the text names no place for it."""
    place = ctx.dateline
    if place is None or draft is not main or draft.location or draft.kind == "call":
        return
    period, published = draft.period, ctx.published
    if published and period and abs((period.end - published).days) > _RECENT_DAYS:
        return
    draft.location = place.slug
    index = ctx.doc.sentence_index(place.start)
    if index >= 0:
        sentence = ctx.doc.sentences[index]
        draft.add_evidence((sentence.start, sentence.end), {"location"}, 0.4)


def _assume_recent(ctx: Context, draft: Draft, main: Draft) -> None:
    """Date the main past meeting to the days before publication when nothing else does.

    A report of "two days of talks" with no dates is read as talks that ended the day it was
    published (news of a concluded round); otherwise the week before publication is assumed.
    Either way the claim is weak, and any dated report of the meeting outranks it.
    """
    if draft is not main or draft.period is not None or draft.status != "held":
        return
    if ctx.published is None:
        return
    days = draft.duration if draft.duration and 1 < draft.duration <= 7 else None
    start = add_days(ctx.published, 1 - days if days else -_RECENT_DAYS)
    if start is None:
        return
    draft.period = (
        Period(start, ctx.published, "day") if days else Period.window(start, ctx.published)
    )
    draft.period_own = False
    first = min(draft.evidence)
    draft.add_evidence(first, {"date"}, 0.3)


def _topics(ctx: Context, draft: Draft, is_main: bool, hits: list[Hit]) -> list[str]:
    """Collect topic slugs from the meeting's sentences, paragraphs, or the whole main article."""
    starts = [hit.start for hit in hits]
    inside: set[int] = set()
    for start, end in _topic_ranges(ctx, draft, is_main):
        inside.update(range(bisect_left(starts, start), bisect_left(starts, end)))
    found: dict[str, Hit] = {}
    for index in sorted(inside):
        for slug in hits[index].refs:
            found.setdefault(slug, hits[index])
    for hit in found.values():
        index = ctx.doc.sentence_index(hit.start)
        if index >= 0:
            sentence = ctx.doc.sentences[index]
            draft.add_evidence((sentence.start, sentence.end), {"topics"}, 0.4)
    return list(found)


def _topic_ranges(ctx: Context, draft: Draft, is_main: bool) -> list[tuple[int, int]]:
    doc = ctx.doc
    if is_main:
        return [(0, len(doc.text))]
    ranges = list(draft.evidence)
    for start, _ in list(draft.evidence):
        paragraph = doc.paragraph_of(start)
        if paragraph is None:
            continue
        first = doc.sentence_index(paragraph.start)
        last = doc.sentence_index(max(paragraph.start, paragraph.end - 1))
        if 0 <= first <= last and last - first < _PARAGRAPH_SENTENCES:
            ranges.append((paragraph.start, paragraph.end))
        else:
            ranges.extend(_neighbours(doc.sentences, doc.sentence_index(start)))
    return ranges


def _neighbours(sentences: list[Span], index: int) -> list[tuple[int, int]]:
    if index < 0:
        return []
    window = sentences[max(0, index - 1) : index + 2]
    return [(s.start, s.end) for s in window]


def _candidate(
    compiled, draft: Draft, topics: list[str], names: dict[str, str]
) -> MeetingCandidate:
    participants = sorted(draft.people.values(), key=lambda c: _SIDE_ORDER.get(c.side, 3))
    period = draft.period
    location, location_note = _city_of_venue(compiled, draft.location, draft.location_note)
    candidate = MeetingCandidate(
        kind=draft.kind,
        status=draft.status,
        participants=participants,
        start_date=period.start if period else None,
        end_date=period.end if period else None,
        date_precision=period.precision if period else "unknown",
        location=location,
        location_note=location_note,
        announced=draft.announced,
        topics=topics,
        confidence=_confidence(draft),
    )
    candidate.evidence = [
        EvidenceSpan(start, end, tuple(f for f in _FIELD_ORDER if f in fields), round(conf, 2))
        for (start, end), (fields, conf) in sorted(draft.evidence.items())
    ]
    _drop_unsupported(candidate)
    candidate.title = _title(compiled, candidate, draft, names)
    return candidate


def _city_of_venue(compiled, slug: str | None, note: str) -> tuple[str | None, str]:
    """Place a meeting at a venue's city, naming the venue in the note.

    Analysts key meetings by city ("the Great Hall of the People" is a Beijing meeting, the
    Pentagon an Arlington one), and reports of one meeting name the city or different venues;
    the city is the place they agree on, and the note keeps the venue."""
    entry = compiled.locations.get(slug) if slug else None
    if entry is None or entry.kind != "venue" or not entry.parent:
        return slug, note
    parent = compiled.locations.get(entry.parent)
    if parent is None or parent.kind != "city":
        return slug, note
    return parent.slug, note or entry.name


def _confidence(draft: Draft) -> float:
    sentences = sum(1 for fields, _ in draft.evidence.values() if "kind" in fields)
    value = min(_MAX_CONFIDENCE, draft.confidence + 0.05 * max(0, sentences - 1))
    if draft.possible and draft.status == "planned":
        value = min(value, _POSSIBLE_CONFIDENCE)
    return round(value, 2)


def _drop_unsupported(candidate: MeetingCandidate) -> None:
    """Clear any field that no evidence sentence supports."""
    supported = {f for span in candidate.evidence for f in span.fields}
    if "date" not in supported:
        candidate.start_date = candidate.end_date = None
        candidate.date_precision = "unknown"
    if "location" not in supported:
        candidate.location, candidate.location_note = None, ""
    if "topics" not in supported:
        candidate.topics = []
    if "participants" not in supported:
        candidate.participants = []


def _title(compiled: CompiledGazetteer, candidate: MeetingCandidate, draft, names) -> str:
    who = "–".join(_display(compiled, c.slug, names) for c in candidate.participants[:3])
    if not who:
        who = "US–China"
    place = ""
    if candidate.location:
        entry = compiled.locations.get(candidate.location)
        place = entry.name if entry else candidate.location
    if candidate.kind == "visit":
        return f"{who} visit to {place}" if place else f"{who} visit"
    title = f"{who} {_NOUNS.get(candidate.kind, 'talks')}"
    if place and candidate.kind != "call":
        title += f" in {place}"
    return title


def _display(compiled: CompiledGazetteer, slug: str, names: dict[str, str]) -> str:
    """Name a participant by surname unless another gazetteer person shares it."""
    if slug in names:
        return names[slug].split()[-1]
    person = compiled.people.get(slug)
    if person is None:
        return slug
    surname = compiled.surnames.get(slug)
    if surname and len(compiled.surname_owners.get(surname.lower(), ())) == 1:
        return surname
    return person.name
