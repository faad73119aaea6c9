"""Places: gazetteer locations, "City, Country" pairs, and vague regional phrases.

A capital named alone is often the government ("Washington urges Beijing"), so a meeting takes a
place only from a phrase next to the meeting expression: "in X", "at X", "to X", "visit X",
"the X summit", or "an undisclosed location in X".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .matcher import CompiledGazetteer, Hit
from .text import Document
from .types import Mention

_PAIR_GAP = re.compile(r",[ ]*")
_REGION_NOUN = re.compile(
    r"[ ]+(?:country|countries|nation|nations|capital|city|location|venue|state|island|neighbor"
    r"|neighbour)\b"
)
_PLACE_CUE = re.compile(
    r"(?:\b(?:in|at|to|near|outside|inside)\s+(?:the\s+)?"
    r"(?:(?:city|capital|town|resort|island|state|province|port)\s+of\s+)?"
    r"|\b(?:visit(?:s|ed|ing)?|tour(?:s|ed|ing)?|trip\s+to|travel(?:s|ed|led|ing|ling)?\s+to"
    r"|arrived\s+in|hosted\s+in)\s+(?:the\s+)?)$",
    re.IGNORECASE,
)
_UNDISCLOSED = re.compile(
    r"\b(?:an?|the|some)\s+(?:undisclosed|unnamed|unspecified|secret|unknown|third)\s+"
    r"(?:location|venue|place|site|city|country)\s+in\s+(?:the\s+)?$",
    re.IGNORECASE,
)
_ARTICLE = re.compile(r"\b(?:an?|the)\s+$", re.IGNORECASE)
_AND_JOIN = re.compile(r",?\s+and\s+(?:also\s+)?(?:in\s+|at\s+)?(?:the\s+)?")
# "met in Beijing from July 16 to 19 and at Sunnylands from Nov. 4 to 7": two meetings
_DATED_AND_JOIN = re.compile(
    r"\s+(?:from|on)\s+[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:\s*(?:to|through|-|–)\s*"
    r"(?:[A-Z][a-z]{2,8}\.?\s+)?\d{1,2})?,?\s+and\s+(?:in|at)\s+(?:the\s+)?"
)
_MAX_DISTANCE = 100
_EVENT_NOUN = re.compile(
    r"(?:summits?|talks|meetings?|dialogues?|visits?|trips?|calls?|negotiations|consultations)\b"
)


# "at U.S. Treasury", "the PRC Ministry of Commerce": an abbreviated country before a name
# qualifies an institution and is no place (weekdays and months still follow a place).
_ABBREVIATION_MODIFIER = re.compile(
    r"(?:U\.S\.|US|PRC|U\.K\.|UK)[ ]+(?!(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day|Jan|Feb|Mar"
    r"|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[A-Z]"
)


@dataclass(frozen=True, slots=True)
class PlaceRef:
    start: int
    end: int
    slug: str
    region_phrase: bool = False  # "a Southeast Asian country"


@dataclass(frozen=True, slots=True)
class PlaceChoice:
    slug: str
    note: str
    start: int
    end: int


def find_places(doc: Document, hits: list[Hit], compiled: CompiledGazetteer) -> list[PlaceRef]:
    """Return place references, folding "Bangkok, Thailand" into one reference to Bangkok."""
    places: list[PlaceRef] = []
    for hit in hits:
        if hit.kind == "region":
            noun = _REGION_NOUN.match(doc.norm, hit.end)
            if noun is not None:
                places.append(PlaceRef(hit.start, noun.end(), hit.refs[0], True))
            continue
        if hit.kind != "location" or _ABBREVIATION_MODIFIER.match(
            doc.norm, hit.start, hit.end + 12
        ):
            continue
        slug = hit.refs[0]
        previous = places[-1] if places else None
        if (
            previous is not None
            and not previous.region_phrase
            and _PAIR_GAP.fullmatch(doc.norm, previous.end, hit.start)
            and any(compiled.is_within(previous.slug, ref) for ref in hit.refs)
        ):
            places[-1] = PlaceRef(previous.start, hit.end, previous.slug)
            continue
        places.append(PlaceRef(hit.start, hit.end, slug))
    return places


def place_mentions(doc: Document, places: list[PlaceRef]) -> list[Mention]:
    """Return one location mention per place reference."""
    return [
        Mention("location", doc.text[p.start : p.end], p.start, p.end, slug=p.slug) for p in places
    ]


def places_for(
    doc: Document,
    places: list[PlaceRef],
    compiled: CompiledGazetteer,
    clause: tuple[int, int],
    trigger: tuple[int, int],
) -> list[PlaceChoice]:
    """Return where the meeting at trigger took place: one choice, or several for "X and Y"."""
    cued = [
        p
        for p in places
        if clause[0] <= p.start and p.end <= clause[1] and _is_cued(doc, p, clause, trigger)
    ]
    if not cued:
        return []
    best = min(cued, key=lambda p: (_distance(p, trigger), p.start < trigger[0]))
    if _distance(best, trigger) > _MAX_DISTANCE:
        # "met a delegation of six ministries ... on May 14 in Geneva": far off, but dated.
        dated = [p for p in cued if p.start >= trigger[1] and _after_date(doc, p)]
        if not dated:
            return []
        best = dated[0]
    chosen = [best]
    by_start = {p.start: p for p in places}
    while (join := _join_after(doc.norm, chosen[-1].end)) and join.end() in by_start:
        following = by_start[join.end()]
        if following.end > clause[1] or following.slug in {c.slug for c in chosen}:
            break
        chosen.append(following)
    return [_choice(doc, compiled, p) for p in chosen]


def _join_after(norm: str, end: int) -> re.Match[str] | None:
    """Match "and (in) Y" after a place, or "on/from its dates and in Y"."""
    return _AND_JOIN.match(norm, end) or _DATED_AND_JOIN.match(norm, end)


_AFTER_NAME = re.compile(r",?\s+(?:in|at|outside|near)\s+(?:the\s+)?")


def place_after_name(
    doc: Document, places: list[PlaceRef], compiled: CompiledGazetteer, name_end: int
) -> PlaceChoice | None:
    """Return "Bangkok" in "... Foreign Minister Wang Yi in Bangkok": the place of whoever was met.

    A long title can put the place far from the meeting words; right after a participant's
    name it is still the meeting's place.
    """
    gap = _AFTER_NAME.match(doc.norm, name_end)
    if gap is None:
        return None
    place = next((p for p in places if p.start == gap.end()), None)
    return _choice(doc, compiled, place) if place is not None and not place.region_phrase else None


def place_after_date(
    doc: Document, places: list[PlaceRef], compiled: CompiledGazetteer, begin: int, end: int
) -> PlaceChoice | None:
    """Return the one place between begin and end that follows a date: "on May 14 in Geneva"."""
    dated = [p for p in places if begin <= p.start and p.end <= end and _after_date(doc, p)]
    if len(dated) != 1 or dated[0].region_phrase:
        return None
    return _choice(doc, compiled, dated[0])


def _is_cued(
    doc: Document, place: PlaceRef, clause: tuple[int, int], trigger: tuple[int, int]
) -> bool:
    before_start = max(clause[0], place.start - 60)
    if _PLACE_CUE.search(doc.norm, before_start, place.start):
        return True
    if _UNDISCLOSED.search(doc.norm, before_start, place.start):
        return True
    # "the Woodside summit", "the Bangkok talks"; not "China met ..."
    return (
        place.end <= trigger[0]
        and doc.norm[place.end : trigger[0]].isspace()
        and _EVENT_NOUN.match(doc.lower, trigger[0]) is not None
    )


_DATED_CUE = re.compile(
    r"\bon\s+(?:(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}"
    r"(?:,?\s+\d{4})?|(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day)(?:,?\s+\d{4})?,?\s+(?:in|at)\s+"
    r"(?:the\s+)?$|\b(?:today|yesterday|tonight),?\s+(?:in|at)\s+(?:the\s+)?$"
)


_DATE_AFTER = re.compile(
    r",?\s+(?:on\s+|from\s+)?(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
    r"\s+\d{1,2}\b"
)
_IN_AT = re.compile(r"\b(?:in|at)\s+(?:the\s+)?$")
# "on the margins of the defense ministers' meeting in Siem Reap": the forum's place is the
# place of the meeting held at its margins, however long the forum's name.
_FORUM_PLACE = re.compile(
    r"\b(?:margins?|sidelines?)\s+of\s+(?:the\s+)?[^.;:()]{0,160}?\s+(?:in|at)\s+(?:the\s+)?$"
)


def _after_date(doc: Document, place: PlaceRef) -> bool:
    """Return whether the place is tied to the meeting's date or forum: "on May 14 in Geneva",
    "in Geneva on May 14", "on the sidelines of the forum in Geneva"."""
    begin = max(0, place.start - 40)
    if _DATED_CUE.search(doc.norm, begin, place.start) is not None:
        return True
    if _DATE_AFTER.match(doc.norm, place.end) and _IN_AT.search(doc.norm, begin, place.start):
        return True
    return _FORUM_PLACE.search(doc.norm, max(0, place.start - 200), place.start) is not None


def _distance(place: PlaceRef, trigger: tuple[int, int]) -> int:
    if place.start >= trigger[1]:
        return place.start - trigger[1]
    if place.end <= trigger[0]:
        return trigger[0] - place.end
    return 0


def _choice(doc: Document, compiled: CompiledGazetteer, place: PlaceRef) -> PlaceChoice:
    location = compiled.locations.get(place.slug)
    note = ""
    begin = max(0, place.start - 60)
    undisclosed = _UNDISCLOSED.search(doc.norm, begin, place.start)
    if undisclosed is not None:
        note = doc.text[undisclosed.start() : place.end]
    elif place.region_phrase or (location is not None and location.kind == "region"):
        article = _ARTICLE.search(doc.norm, begin, place.start)
        note = doc.text[article.start() if article else place.start : place.end]
    return PlaceChoice(place.slug, note.strip(), place.start, place.end)
