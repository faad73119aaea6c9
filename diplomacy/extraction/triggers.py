"""Meeting expressions ("met", "talks", "phone call", "visit") and the clauses holding them."""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache

from .context import Clause, Context
from .people import PersonRef

# Words a meeting expression can start with; checked first so ordinary words are skipped fast.
_TRIGGER_FIRST = (
    r"phone|telephone|video|virtual|spoke|speak\w*|talk|a|the|their|held|had|hold|calls?|working|counter-?drug"
    r"|counter-?narcotics|anti-?drug|anti-?narcotics|counternarcotics|drug-control|dialogues?"
    r"|consultations|summits?|state|visit\w*|trips?|travel\w*|tour|met|meet\w*|talks|talked|sat"
    r"|discussions?|conversation|engagements?|videoconference|teleconference|vtc|hosted|hosts|negotiations|raised|spent|receiv\w+|greeted|strategic"
)
TRIGGER = re.compile(
    rf"""\b(?=(?:{_TRIGGER_FIRST})\b)(?:
    (?P<call>(?:tele)?phone\s+(?:call|conversation|talks?)|video\s*(?:call|conference|link|talks?
        |summit|meeting)|virtual\s+(?:meeting|summit|talks?|call)
        |(?:spoke|speak|speaks|speaking|talked|talk|talks)\s+(?:by|over\s+the|on\s+the)
        \s+(?:tele)?phone|(?:a|the|their|held\s+a|had\s+a|hold\s+a)\s+call(?!\s+(?:for|to|on)\b)
        |calls?\s+with|(?:video\s*)?teleconference|videoconference|vtc
        |(?:met|meet|meets|meeting)\s+virtually
        |(?:spoke|speaks|talked)\s+(?:today|yesterday|tonight|again|earlier\s+today
            |on\s+(?:mon|tues|wednes|thurs|fri|satur|sun)day)\s+(?:with|to))
    |(?P<working_group>working\s+groups?|(?:counter-?(?:drug|narcotics)|anti-?(?:drug|narcotics)
        |counternarcotics|drug-control)\s+(?:talks|dialogue|meetings?|consultations))
    |(?P<dialogue>dialogues?|consultations)
    |(?P<summit>summits?)
    |(?P<visit>state\s+visit|visit(?:s|ed|ing)?|trips?|travel(?:s|ed|led|ing|ling)?\s+to|tour\s+of)
    |(?P<meeting>met|meet(?:s|ing|ings)?|talks|sat\s+down\s+(?:with|together)|spoke\s+(?:with|to)
        |talked\s+(?:with|to)|discussions?\s+with|engagements?\s+with|conversation|hosted|hosts|negotiations
        |receiv(?:ed|es|ing)|greeted|strategic\s+communication)
    |(?P<weak>(?:raised|spent)\s+(?:[\w'-]+\s+){{0,4}}?with)
    )\b""",
    re.VERBOSE,  # matched against the lowercased text: faster than IGNORECASE
)
_REFERENCE = re.compile(
    r"\b(?:prepar(?:e|es|ed|ing|ation)\s+for|pav(?:e|ed|es|ing)\s+the\s+way\s+for|ahead\s+of"
    r"|in\s+the\s+run-up\s+to|lay(?:ing)?\s+the\s+groundwork\s+for|groundwork\s+for"
    r"|preparations?\s+for|(?:set|sets|setting)\s+up|establish(?:es|ed|ing)?|creat(?:e|es|ed|ing)"
    r"|launch(?:es|ed|ing)?|form(?:s|ed|ing)?)\s+"
    r"(?:(?:the|a|an|their|its|his|her|first|next|possible|new|further|joint|[\w-]+'s)\s+|"
    r"[\w-]+\s+(?=working\s+group)){0,3}$",
    re.IGNORECASE,
)
_GENERIC = re.compile(
    r"\s+(?:between|among|with|of)\s+(?:the\s+)?(?:(?:senior|top|high-level|military|defense)\s+)?"
    r"(?:U\.S\.|US|American|Chinese|China|Beijing|Washington)(?:'s)?(?:\s+and\s+(?:the\s+)?"
    r"(?:U\.S\.|US|American|Chinese|China)(?:'s)?)?\s+(?:officials|ministers|delegations|diplomats"
    r"|counterparts|militaries|negotiators|generals|teams|governments)\b"
)
# A meeting held over a screen or a line is a call, whatever verb reports it.
_REMOTE = re.compile(
    r"\b(?:via|by|over|through)\s+(?:a\s+|secure\s+)*(?:video|phone|telephone)\b|\bvirtually\b"
    r"|\b(?:video\s*)?teleconference\b|\bvideoconference\b|\bVTC\b|\bvideo\s+(?:call|link)\b",
    re.IGNORECASE,
)
# Words that turn from one meeting to another: "met Wang Yi to follow up on the summit between
# Biden and Xi", "the talks, as directed by the leaders". People across them are not at the
# same meeting.
LINK = re.compile(
    r"\b(?:to\s+follow\s+up\s+on|follow(?:s|ed|ing)?\s+(?:up\s+)?on|following|build(?:s|ing)?\s+on"
    r"|in\s+advance\s+of|ahead\s+of|as\s+(?:directed|agreed|discussed)\s+by|since|after|before"
    r"|including\s+between|as\s+well\s+as|(?:as\s+a\s+)?follow-?up\s+to"
    r"|(?:deliverable|outcome|result)s?\s+(?:from|of))\b",
    re.IGNORECASE,
)
# "At the direction of President X, A and B will travel": whoever directs or tasks the talks
# is not at them.
_DIRECTED_BY = re.compile(
    r"\b(?:at\s+the\s+(?:direction|instruction|behest)\s+of|on\s+the\s+(?:instructions?|orders?)"
    r"\s+of|(?:directed|instructed|tasked|mandated)\s+by)\s+",
    re.IGNORECASE,
)
# Every phrase _DIRECTED_BY matches holds one of these.
_DIRECTED_WORDS = ("direct", "instruct", "behest", "order", "tasked", "mandated")
_DIRECTOR_WORDS = re.compile(r"(?:[\w.'-]+\s+){0,6}")
_DIRECTED_REACH = 90
# A forum that hosts the meeting ("on the margins of the Shangri-La Dialogue", "to attend the
# Raisina Dialogue") does not make the meeting held there a dialogue.
_HOST_FORUM = re.compile(
    r"\b(?:margins?|sidelines?|side\s+lines)\s+of|\battend(?:s|ed|ing)?\b",
    re.IGNORECASE,
)
_FORUM_NAME = re.compile(r"\s+(?:the\s+)?(?:[\w'-]+\s+){0,4}$")
_FOR_VISIT = re.compile(r"\bfor\s+(?:an?|the|his|her|their)\s+(?:[\w-]+\s+){0,2}$")
# "open and productive dialogue", "continued dialogue": talking in general, not a session
_GENERIC_DIALOGUE = re.compile(
    r"\b(?:open|productive|candid|constructive|frank|continued|regular|ongoing|sustained|direct"
    r"|substantive|meaningful|close|deeper|enhanced|strengthened|strengthening)\s+$"
)
# "advancing dialogue and cooperation in various fields": dialogue as a practice, not a session
_GENERIC_DIALOGUE_AFTER = re.compile(
    r"\s+and\s+(?:practical\s+)?(?:cooperation|exchanges?|communication|coordination|engagement)\b"
)
_NAMED_TALKS = re.compile(r"Talks\s+on\s+[A-Z]")
# "the 18th round of the Defense Policy Coordination Talks": a session of a named mechanism
_PROPER_NAME_BEFORE = re.compile(
    r"\b(?:iteration|round|session|meeting)\s+of\s+the\s+(?:[A-Z][\w.-]*\s+){1,5}$"
)
_PAIR_BEFORE = re.compile(r"\b(?:U\.S\.|US|China|PRC)[-–](?:U\.S\.|US|China|PRC)\s+$")
_VISITING_GUEST = re.compile(r"visiting\s+[A-Z]")
_INCLUDING = re.compile(r"\s*(?:including|such\s+as)\b")
RELATIVE = re.compile(r"[\s,]*(?:who|whom|whose|which)\b")
_AND_CONTINUES = re.compile(r"\s*and\s+(?:the\s+)?[A-Z]")


def read_clause(ctx: Context, index: int, span, triggers, neighbours) -> Clause | None:
    """Return the clause at span with its usable meeting words, or None when it has none."""
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
        if kind == "dialogue" and (
            _hosted_by_forum(norm, max(span[0], start - 60), start)
            or _GENERIC_DIALOGUE.search(norm, max(span[0], start - 40), start)
            or _GENERIC_DIALOGUE_AFTER.match(norm, end)
        ):
            continue
        usable.append((start, end, kind))
    if not usable:
        return None
    usable = [_named_talks(norm, t) for t in usable]
    strong = [t for t in usable if t[2] != "weak"]
    kinds = [t[2] for t in strong if not _hosted_for_visit(norm, t, strong)] or ["meeting"]
    kind = max(
        kinds,
        key=lambda k: ("meeting", "summit", "dialogue", "visit", "working_group", "call").index(k),
    )
    if kind == "call" and _session_held_remotely(strong):
        kind = "working_group"
    if kind in ("meeting", "summit") and _REMOTE.search(norm, *span):
        kind = "call"
    trigger = (strong or usable)[0]
    people_span = span
    for start, end in neighbours:
        # "met the premier, Li Qiang, and Vice Premier He Lifeng": the list runs on after "and"
        if start == span[1] + 1 and _AND_CONTINUES.match(norm, start, end):
            people_span = (span[0], end)
    people = [
        p
        for p in ctx.people_in(*people_span)
        if _participates(norm, p, trigger[0])
        and not _across_link(norm, p, trigger)
        and not directs(norm, p)
    ]
    cues = _cues(ctx, index, span)
    later = tuple(t for t in strong if t[0] > trigger[0])
    return Clause(span, index, trigger[:2], kind, not strong, people, cues, neighbours, later)


def _cues(ctx: Context, index: int, span: tuple[int, int]):
    """Read the clause's tense; an item listed after "including" without a verb of its own
    takes the tense of the clause that lists it ("agreed to pursue diplomacy, including
    through a call between the presidents": the call is planned)."""
    cues = ctx.doc.cues(span)
    if cues.strong or not _INCLUDING.match(ctx.doc.norm, *span):
        return cues
    spans = ctx.doc.clauses_of(index)
    position = spans.index(span) if span in spans else 0
    return ctx.doc.cues(spans[position - 1]) if position > 0 else cues


def _session_held_remotely(strong: list[tuple[int, int, str]]) -> bool:
    """Return True for "the economic working group held its first meeting via video link": a
    working group's session, whatever line it meets over."""
    groups = [t[0] for t in strong if t[2] == "working_group"]
    calls = [t[0] for t in strong if t[2] == "call"]
    return bool(groups and calls) and min(groups) < min(calls)


def _named_talks(norm: str, found: tuple[int, int, str]) -> tuple[int, int, str]:
    """Read "the U.S.-PRC Talks on AI Risk and Safety" or "a round of the Defense Policy
    Coordination Talks", sessions of named mechanisms, as dialogues."""
    start, end, kind = found
    if kind != "meeting" or not norm.startswith("Talks", start):
        return found
    paired = _NAMED_TALKS.match(norm, start) and _PAIR_BEFORE.search(
        norm, max(0, start - 16), start
    )
    if paired or _PROPER_NAME_BEFORE.search(norm, max(0, start - 80), start):
        return start, end, "dialogue"
    return found


def _hosted_for_visit(norm: str, found: tuple[int, int, str], strong: list) -> bool:
    """Return True for the visit in "A hosted B for an official visit" or "A held talks with
    visiting Minister B": the guest's trip describes the guest; the meeting is reported."""
    start, end, kind = found
    if kind != "visit":
        return False
    guest = _FOR_VISIT.search(norm, max(0, start - 40), start) or _VISITING_GUEST.match(
        norm, start, min(len(norm), end + 3)
    )
    return bool(guest) and any(t[2] == "meeting" and t[0] < start for t in strong)


def _hosted_by_forum(norm: str, begin: int, start: int) -> bool:
    """Return whether the words before a dialogue name it as the forum a meeting was held at."""
    for cue in _HOST_FORUM.finditer(norm, begin, start):
        if _FORUM_NAME.fullmatch(norm, cue.end(), start):
            return True
    return False


def _participates(norm: str, person: PersonRef, trigger: int) -> bool:
    """Reject possessives of other things ("Mr. Wang's successor"), not "Biden's summit"."""
    if not norm.startswith("'s", person.end):
        return True
    return 0 <= trigger - person.end <= 25


def directs(norm: str, person: PersonRef) -> bool:
    """Return True for a person named as the one who directs the meeting."""
    ends = _directed_ends(norm)
    if not ends:
        return False
    index = bisect_right(ends, person.start)
    while index > 0 and ends[index - 1] >= person.start - _DIRECTED_REACH:
        index -= 1
        if _DIRECTOR_WORDS.fullmatch(norm, ends[index], person.start):
            return True
    return False


@lru_cache(maxsize=4)
def _directed_ends(norm: str) -> list[int]:
    """Return where each "at the direction of" phrase of the text ends (once per text).

    Most texts hold none of the phrase's key words; looking for those first (a plain substring
    search) spares the regular expression's scan of the whole text.
    """
    folded = norm.lower()
    if not any(word in folded for word in _DIRECTED_WORDS):
        return []
    return [match.end() for match in _DIRECTED_BY.finditer(norm)]


def _across_link(norm: str, person: PersonRef, trigger: tuple[int, int]) -> bool:
    """Return True when words between the person and the meeting words turn to another event."""
    if person.end <= trigger[0]:
        return LINK.search(norm, person.end, trigger[0]) is not None
    return LINK.search(norm, trigger[1], person.start) is not None


def subject_start(ctx: Context, clause: Clause) -> int:
    """Return where the clause's subject may start: before "who" when it is a relative clause."""
    spans = ctx.doc.clauses_of(clause.sentence)
    index = spans.index(clause.span) if clause.span in spans else 0
    if index > 0 and RELATIVE.match(ctx.doc.norm, *clause.span):
        return spans[index - 1][0]
    return clause.span[0]
