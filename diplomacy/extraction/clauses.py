"""Split sentences into clauses and read tense, status and secrecy cues from them.

"Sullivan will meet Wang next week, the first meeting since Biden met Xi in November" holds two
meetings; splitting at "since" keeps each one's people, place, date and tense apart. ", as part
of the Working Group" goes on about the meeting just named, so it does not split.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_BREAK = re.compile(
    r";|\s-\s|,\s+(?:and|but|while|whereas|which|who|whom|whose|where|as(?!\s+part\s+of\b))\s"
    r"|\s(?:since|after|before|when|while|because|following|during|although|though|whereas|until"
    r"|established|agreed|committed|pledged|vowed|who|whom|whose)\s|,\s+(?=[a-z]+ing\b)"
)
# "Following President Biden's summit ...", "After their talks in Bali, ..."
_OPENING = re.compile(
    r"(?:Following|After|Before|Ahead\s+of)\s+[^;]{0,80}?(?:'s|\bthe|\btheir|\bhis|\bher)\s+"
    r"(?:[\w-]+\s+){0,2}?(?:summit|talks|meeting|visit|trip|call)\b"
)
_MAIN_VERB = re.compile(r"\b(?:met|held|hosted|spoke|talked|visited|received|will\s+meet)\b")
_FUTURE = re.compile(
    r"\b(?:will|shall|would|'ll|expected\s+to|expects?\b[^.;]{0,60}?\bto|scheduled|plans?\s+to"
    r"|planning\s+to|planned|set\s+to|is\s+to|are\s+to|agreed\s+to|next\s+(?:week|month|year)"
    r"|in\s+the\s+coming|the\s+next\s+few|upcoming|later\s+this|could|(?-i:may)|might|possible"
    r"|possibly|proposed|invited|invitation|hopes?\s+to|intends?\s+to|seeking\s+to"
    r"|(?:committed|pledged|vowed)\s+to|towards?\s+(?:holding|convening|hosting|launching))\b",
    re.IGNORECASE,
)
_POSSIBLE = re.compile(
    r"\b(?:could|(?-i:may)|might|possible|possibly|proposed|invited|invitation|considering|mulling"
    r"|discussing\s+a|hopes?\s+to|seeking\s+to)\b",
    re.IGNORECASE,
)
_CANCELLED = re.compile(
    r"\b(?:cancel(?:l?ed|s|ling|led)?|call(?:ed|s|ing)?\s+off|postpone[ds]?|scrapped|shelved"
    r"|put\s+off|indefinitely\s+delayed)\b",
    re.IGNORECASE,
)
_PAST = re.compile(
    r"\b(?:met|held|visited|spoke|talked|hosted|received|concluded|wrapped\s+up|took\s+place"
    r"|sat\s+down|traveled|travelled|came|went|discussed|raised|had|was|were|did|agreed)\b",
    re.IGNORECASE,
)
_SECRET = re.compile(
    r"\b(?:secret(?:ly)?|undisclosed|unannounced|not\s+(?:been\s+)?(?:publicly\s+)?announced"
    r"|behind\s+closed\s+doors|back-?channel|quiet(?:ly)?|private(?:ly)?|clandestine|covert(?:ly)?"
    r"|low-key|without\s+(?:media|press|public)\s+(?:attention|coverage|notice)"
    r"|out\s+of\s+(?:the\s+)?(?:spotlight|public\s+eye))\b",
    re.IGNORECASE,
)
_PREANNOUNCED = re.compile(
    r"\b(?:pre-?announced|previously\s+announced|announced\s+in\s+advance|publicly\s+announced)\b",
    re.IGNORECASE,
)
_ANNOUNCED = re.compile(r"\b(?:announced|announces|announcement)\b", re.IGNORECASE)
# one scan for all three; the earlier alternatives win where they overlap
_ANNOUNCEMENT = re.compile(
    rf"(?P<pre>{_PREANNOUNCED.pattern})|(?P<secret>{_SECRET.pattern})|(?P<plain>{_ANNOUNCED.pattern})",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Cues:
    status: str  # planned / held / cancelled
    strong: bool  # the status came from an explicit word, not a default
    possible: bool  # "could visit", "a possible trip"
    future: bool | None  # tense used to resolve dates


def clauses(norm: str, start: int, end: int) -> list[tuple[int, int]]:
    """Return clause spans covering norm[start:end]."""
    spans: list[tuple[int, int]] = []
    cursor = start
    opening = _opening_event_phrase(norm, start, end)
    if opening is not None:
        spans.append((start, opening))
        cursor = opening + 1
    for match in _BREAK.finditer(norm, start, end):
        if match.start() > cursor:
            spans.append((cursor, match.start()))
        cursor = match.end() if match.group().strip() in (";", "-") else match.start() + 1
    if cursor < end:
        spans.append((cursor, end))
    return spans or [(start, end)]


def _opening_event_phrase(norm: str, start: int, end: int) -> int | None:
    """Return where "Following Biden's summit with Xi in Woodside, California, Raimondo met
    Wang" turns from the event it follows to the sentence's own: the last comma before the
    first reporting verb. The opening phrase names another meeting, with its own people."""
    opening = _OPENING.match(norm, start, end)
    if opening is None:
        return None
    verb = _MAIN_VERB.search(norm, opening.end(), end)
    if verb is None:
        return None
    comma = norm.rfind(", ", opening.end(), verb.start())
    return comma if comma > opening.end() else None


def read_cues(norm: str, start: int, end: int) -> Cues:
    """Read the status and tense a clause expresses."""
    if _CANCELLED.search(norm, start, end):
        return Cues("cancelled", True, False, None)
    if _FUTURE.search(norm, start, end):
        possible = _POSSIBLE.search(norm, start, end) is not None
        return Cues("planned", True, possible, True)
    if _PAST.search(norm, start, end):
        return Cues("held", True, False, False)
    return Cues("held", False, False, None)


def read_announced(norm: str, start: int, end: int, trigger: int, planned: bool) -> bool | None:
    """Return False for secret meetings, True for pre-announced ones, else None."""
    found: list[tuple[int, bool]] = []
    plain: list[tuple[int, bool]] = []
    for match in _ANNOUNCEMENT.finditer(norm, start, end):
        distance = abs(match.start() - trigger)
        if match.lastgroup == "secret":
            found.append((distance, False))
        elif match.lastgroup == "pre":
            found.append((distance, True))
        else:
            plain.append((distance, True))
    if planned and not found:
        found = plain
    if not found:
        return None
    return min(found, key=lambda item: (item[0], item[1]))[1]
