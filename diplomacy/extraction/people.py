"""Resolve person names, surnames and titles in a document to gazetteer people.

Order of evidence for a bare surname ("Mr. Wang"): a title right before it and who held that
role on the date, a full name mentioned earlier in the article, any full name in the article,
the one namesake in office on the publication date, the only namesake at all.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date

from .matcher import FAMILY_FIRST, CompiledGazetteer, Hit
from .roles import HONORIFICS, TitleReading, read_title
from .text import Document
from .types import Mention, NewPerson

# Capitalised words that begin sentences or clauses and so are not given names or new names.
_STOPWORDS_WORDS = (
    "the a an and but or nor so yet since when after before while as if in on at for with by "
    "from to of that this these those there then also both neither either how why what where "
    "who whom whose which under over during between among ahead following according like unlike "
    "despite although though because once until meanwhile still however is was are were be been "
    "has have had do does did will would could should can may might must said says told asked "
    "met meets visited visits arrived urged added noted called held last next early late monday "
    "tuesday wednesday thursday friday saturday sunday january february march april june july "
    "august september october november december chinese american u.s. us china taiwan beijing "
    "washington officials official state states united national foreign he she it we sun long "
    "song young"
)
STOPWORDS = frozenset(_STOPWORDS_WORDS.split())
_NEW_NAME = re.compile(
    r"[ ]+((?:[A-Z][a-z]+(?:[-'][A-Za-z][a-z]+)?)(?:[ ][A-Z][a-z]+(?:-[a-z]+)?){1,2})\b"
)
_NAME_BEFORE = re.compile(
    r"(?<![\w.'-])((?:[A-Z][a-z]+(?:-[A-Za-z][a-z]+)?)(?:[ ][A-Z]\.)?"
    r"(?:[ ][A-Z][a-z]+(?:-[a-z]+)?){1,2}),[ ]+"
    r"(?:the[ ]+)?(?:(?:U\.S\.|US|American|China's|Chinese|PRC)[ ]+)?$"
)
# a country word opening the organisation right before a title, all in capitalised words
_ORGANISATION_BEFORE = re.compile(
    r"\b(U\.S\.|US|United States|American|China|Chinese|PRC|People's Republic)"
    r"(?:[ ]+(?:[A-Z][\w'-]*|of|the|for|and)){1,8}[ ]+$"
)
# "of the Narcotics Control Bureau of the PRC Ministry of Public Security Wei Xiaojun"
_ORGANISATION_RUN = re.compile(
    r"[ ]+(?:of|for)[ ]+(?:the[ ]+)?(?:[A-Z][\w'-]*|PRC|U\.S\.)"
    r"(?:[ ]+(?:[A-Z][\w'-]*|U\.S\.|of|the|for|and)){1,13}[ ]+[A-Z][\w'-]*"
)
_RUN_END_NAME = re.compile(r"[ ]((?:[A-Z][a-z]+)[ ](?:[A-Z]\.[ ])?[A-Z][a-z]+(?:-[a-z]+)?)$")
_RUN_ENDS = re.compile(r"[,.;]|[ ]+[a-z]|$")
_ORGANISATION_WORDS_TEXT = (
    "Affairs Security Ministry Department Bureau Office Commission Council Committee Agency "
    "Administration Service Services Policy Control Relations Cooperation Development Trade "
    "Commerce Defense Defence State Forces Force Command Staff Division Center Centre Institute "
    "Group Team Party Government Republic Treasury Justice Finance Customs Narcotics Crime "
    "Counterterrorism Transnational Asia Pacific Oceanian China Taiwan"
)
_ORGANISATION_WORDS = frozenset(_ORGANISATION_WORDS_TEXT.split())
_APPOSITIVE_END = re.compile(r",|;|\.(?:\s|$)|\band\b")
_US_IN = re.compile(r"\b(?:U\.S\.|US|United States|American)(?!\w)")
_CN_IN = re.compile(r"\b(?:China|Chinese|PRC|People's Republic)(?!\w)")
_APPOSITIVE_GAP = re.compile(r",\s+(?:the\s+|a\s+|an\s+)?(?:\S+\s+){0,3}$")
_MAX_NEW_PEOPLE = 50  # a cap for pathological input
# A service and rank between a title and the name belong to the title, not to the name:
# "Chairman of the Joint Chiefs of Staff Air Force Gen. CQ Brown".
_RANK = (
    r"(?:(?:Air[ ]Force|Army|Navy|Marine[ ]Corps|Space[ ]Force|Coast[ ]Guard|PLA)[ ]+)?"
    r"(?:(?:Lt|Lieutenant|Maj|Major|Brig|Brigadier|Rear|Vice)\.?[ ]+)?"
    r"(?:Gen|General|Adm|Admiral|Col|Colonel|Capt|Captain|Cmdr|Commander)\.?"
)
_LINK_GAP = re.compile(rf"[ ]+(?:{_RANK}[ ]+)?")
_TOKEN = re.compile(r"[A-Za-z][\w'.-]*")
_ABBREVIATION = 4  # "Jr.", "Y.": a shorter word with a period abbreviates a name


@dataclass(slots=True)
class PersonRef:
    start: int
    end: int
    slug: str
    country: str
    role: str | None = None  # role key from a title attached to this mention
    role_text: str = ""  # that title as written
    spoken: str = ""  # "I" or "you" when the mention is a pronoun in a transcript's turn


@dataclass(slots=True)
class PeopleResult:
    refs: list[PersonRef] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    new_people: list[NewPerson] = field(default_factory=list)


@dataclass(slots=True)
class _Title:
    hit: Hit
    reading: TitleReading
    text: str
    linked: bool = False


def resolve_people(
    doc: Document, hits: list[Hit], compiled: CompiledGazetteer, published: date | None
) -> PeopleResult:
    """Turn entity hits into person references, title mentions and newly seen officials."""
    result = PeopleResult()
    titles = [_read(doc, h) for h in hits if h.kind == "title"]
    named = [h for h in hits if h.kind == "person"]
    for hit in named:
        _add_ref(result, doc, compiled, hit.start, hit.end, hit.refs[0])
    hints = _link_titles(doc, hits, titles, compiled)
    places = {h.start for h in hits if h.kind in ("location", "region")}
    _discover_new(doc, titles, places, result)
    full_mentions: dict[str, list[int]] = {}
    for ref in sorted(result.refs, key=lambda r: r.start):
        full_mentions.setdefault(ref.slug, []).append(ref.start)
    for hit in (h for h in hits if h.kind == "surname"):
        title = hints.get(hit.start)
        slug = _pick_surname(doc, compiled, hit, title, full_mentions, published)
        if slug:
            _add_ref(result, doc, compiled, hit.start, hit.end, slug, title)
    for hit in named:
        title = hints.get(hit.start)
        if title is not None:
            _apply_title(result, hit.start, title)
    _resolve_standalone(doc, compiled, titles, result, published)
    _find_new_surnames(doc, result)
    for title in titles:
        result.mentions.append(
            Mention("title", doc.text[title.hit.start : title.hit.end], title.hit.start,
                    title.hit.end, value=title.reading.role)
        )  # fmt: skip
    result.refs.sort(key=lambda r: r.start)
    result.mentions.extend(
        Mention("person", doc.text[r.start : r.end], r.start, r.end, slug=r.slug)
        for r in result.refs
    )
    return result


def _read(doc: Document, hit: Hit) -> _Title:
    reading = read_title(doc.norm, hit.start, hit.end, hit.refs[0])
    return _Title(hit, reading, doc.norm[hit.start : hit.end])


def _add_ref(result, doc, compiled, start, end, slug, title: _Title | None = None) -> None:
    person = compiled.people.get(slug)
    country = person.country.upper() if person else ""
    ref = PersonRef(start, end, slug, country)
    if title is not None:
        ref.role, ref.role_text = title.reading.role, title.text
    result.refs.append(ref)


def _apply_title(result: PeopleResult, start: int, title: _Title) -> None:
    for ref in result.refs:
        if ref.start == start:
            ref.role, ref.role_text = title.reading.role, title.text


def _link_titles(
    doc: Document, hits: list[Hit], titles: list[_Title], compiled: CompiledGazetteer
) -> dict[int, _Title]:
    """Attach each title to the name right after it, or to the name it follows in apposition."""
    people = [
        h
        for h in hits
        if h.kind == "person"
        or (h.kind == "surname" and any(_fits_name_around(doc, compiled, h, s) for s in h.refs))
    ]
    by_start = {h.start: h for h in people}
    ends = [h.end for h in people]  # hits do not overlap, so ends are sorted too
    hints: dict[int, _Title] = {}
    for title in titles:
        gap = _LINK_GAP.match(doc.norm, title.hit.end)
        after = by_start.get(gap.end()) if gap else None
        if after is not None:
            hints[after.start] = title
            title.linked = True
            continue
        i = bisect_right(ends, title.hit.start)
        before = people[i - 1] if i else None
        if before is not None and _APPOSITIVE_GAP.fullmatch(doc.norm, before.end, title.hit.start):
            hints.setdefault(before.start, title)
            title.linked = True
    return hints


def _discover_new(doc, titles, places: set[int], result: PeopleResult) -> None:
    """Record "Commerce Secretary Jane Roe" or "Jane Roe, Vice Minister of Finance" when the
    name next to a title is not in the gazetteer."""
    for title in titles:
        if title.linked:
            continue
        if len(result.new_people) >= _MAX_NEW_PEOPLE:
            break
        # a title before a name is capitalised; in apposition after one it may not be
        capitalised = doc.norm[title.hit.start].isupper()
        span = (_new_name_after(doc, title) if capitalised else None) or _new_name_before(
            doc, title, result.refs
        )
        if span is None or doc.in_noise(*span):
            continue
        if any(r.start == span[0] for r in result.refs):
            title.linked = True  # two titles of one name: "Director General of ..., Director"
            continue
        name = doc.norm[span[0] : span[1]]
        if span[0] in places or any(t.lower() in STOPWORDS for t in name.split()):
            continue
        slug = re.sub(r"[^\w]+", "-", name.lower()).strip("-")
        country = (
            title.reading.country
            or _appositive_country(doc, title)
            or _organisation_country(doc, title)
            or ""
        )
        if all(n.slug != slug for n in result.new_people):
            result.new_people.append(NewPerson(slug, name, country, title.text, title.reading.role))
        ref = PersonRef(span[0], span[1], slug, country)
        ref.role, ref.role_text = title.reading.role, title.text
        result.refs.append(ref)
        title.linked = True


def _new_name_after(doc: Document, title: _Title) -> tuple[int, int] | None:
    gap = _LINK_GAP.match(doc.norm, title.hit.end)
    match = _NEW_NAME.match(doc.norm, gap.end() - 1) if gap else None
    return match.span(1) if match else _name_after_organisation(doc, title)


def _name_after_organisation(doc: Document, title: _Title) -> tuple[int, int] | None:
    """Return the name closing "Director General of the Narcotics Control Bureau of the PRC
    Ministry of Public Security Wei Xiaojun and ...": the last two capitalised words of the
    organisation's run of names, where ordinary words resume."""
    run = _ORGANISATION_RUN.match(doc.norm, title.hit.end)
    if run is None:
        return None
    name = _RUN_END_NAME.search(doc.norm, run.start(), run.end())
    if name is None or name.start(1) <= run.start() + 4:
        return None
    if not _RUN_ENDS.match(doc.norm, run.end()):
        return None  # "for National Security Affairs (National Security Adviser) ..."
    if any(word in _ORGANISATION_WORDS for word in name.group(1).split()):
        return None
    return name.span(1)


def _new_name_before(doc: Document, title: _Title, refs: list[PersonRef]) -> tuple[int, int] | None:
    """Return the name a title follows in apposition: "Jane Roe, Deputy Governor of ..."."""
    start = title.hit.start
    match = _NAME_BEFORE.search(doc.norm, max(0, start - 60), start)
    if match is None or any(r.start < match.end(1) and match.start(1) < r.end for r in refs):
        return None
    return match.span(1)


def _appositive_country(doc: Document, title: _Title) -> str | None:
    """Read the side from the rest of the appositive: ", Under Secretary at the U.S. Treasury,"."""
    end = title.hit.end
    stop = _APPOSITIVE_END.search(doc.norm, end, min(len(doc.norm), end + 90))
    words = doc.norm[end : stop.start() if stop else min(len(doc.norm), end + 90)]
    us, cn = _US_IN.search(words), _CN_IN.search(words)
    if bool(us) == bool(cn):
        return None
    return "US" if us else "CN"


def _organisation_country(doc: Document, title: _Title) -> str | None:
    """Read the side from the organisation named before the title: "the PRC Ministry of Public
    Security Director General Wei Xiaojun"."""
    start = title.hit.start
    found = _ORGANISATION_BEFORE.search(doc.norm, max(0, start - 70), start)
    if found is None:
        return None
    return "CN" if _CN_IN.fullmatch(found.group(1)) else "US"


def _find_new_surnames(doc: Document, result: PeopleResult) -> None:
    """Find "Ms. Roe" after "Commerce Secretary Jane Roe" introduced her."""
    taken = sorted((r.start, r.end) for r in result.refs)
    starts = [start for start, _ in taken]
    first_seen: dict[str, int] = {}
    for ref in result.refs:
        first_seen.setdefault(ref.slug, ref.start)
    for person in result.new_people[:_MAX_NEW_PEOPLE]:
        surname = person.name.split()[-1]
        pattern = re.compile(rf"\b{re.escape(surname)}\b")
        for match in pattern.finditer(doc.norm, first_seen.get(person.slug, 0)):
            i = bisect_right(starts, match.start()) - 1
            if i >= 0 and match.start() < taken[i][1]:
                continue  # inside the full name or another mention
            result.refs.append(PersonRef(match.start(), match.end(), person.slug, person.country))


def _pick_surname(
    doc, compiled, hit: Hit, title, full_mentions: dict[str, list[int]], published
) -> str | None:
    if doc.norm[hit.start : hit.end].lower() in STOPWORDS and not _after_honorific(doc, hit):
        return None  # "He said" is not He Lifeng; "Vice Premier He" is
    candidates = [slug for slug in hit.refs if _fits_name_around(doc, compiled, hit, slug)]
    if title is not None and title.reading.country and title.reading.explicit_country:
        candidates = [
            s for s in candidates if compiled.people[s].country.upper() == title.reading.country
        ]
    if not candidates:
        return None
    if title is not None and title.reading.role:
        day = None if title.reading.historical else published
        holders = [s for s in candidates if _holds(compiled, s, title.reading.role, day)]
        if len(holders) == 1:
            return holders[0]
    named = {slug: full_mentions[slug] for slug in candidates if slug in full_mentions}
    earlier = {
        slug: positions[i - 1]
        for slug, positions in named.items()
        if (i := bisect_left(positions, hit.start)) > 0
    }
    if earlier:
        return max(earlier, key=earlier.__getitem__)  # the latest full mention before
    if named:
        return min(named, key=lambda slug: named[slug][0])
    if published is not None:
        serving = [s for s in candidates if _holds(compiled, s, None, published)]
        if len(serving) == 1:
            return serving[0]
    return candidates[0] if len(candidates) == 1 else None


def _after_honorific(doc: Document, hit: Hit) -> bool:
    word = _previous_token(doc.norm, hit.start)
    return word is not None and word.rstrip(".").lower() in HONORIFICS


def _holds(compiled: CompiledGazetteer, slug: str, role: str | None, day: date | None) -> bool:
    person = compiled.people[slug]
    return any(
        (role is None or o.role == role) and (day is None or o.held_on(day)) for o in person.offices
    )


def _fits_name_around(doc: Document, compiled: CompiledGazetteer, hit: Hit, slug: str) -> bool:
    """Reject "Wang" in "Wang Wenbin" or "Sullivan" in "Mike Sullivan" when neither is ours."""
    person = compiled.people[slug]
    given = compiled.given.get(slug, "").lower()
    if person.country.upper() in FAMILY_FIRST:
        token = (
            _TOKEN.match(doc.norm, hit.end + 1) if doc.norm[hit.end : hit.end + 1] == " " else None
        )
    else:
        token = _previous_token(doc.norm, hit.start)
    if token is None:
        return True
    word = token.group() if isinstance(token, re.Match) else token
    if len(word) > _ABBREVIATION and word.endswith("."):
        word = word[:-1]  # "Director General Wei Xiaojun." ends a sentence with a given name
    if not word[:1].isupper() or word.endswith("'s") or word.endswith("."):
        return True
    bare = word.rstrip(",;:").lower()
    if bare in STOPWORDS or bare in HONORIFICS or word.rstrip(",;:") in compiled.location_words:
        return True
    if not given:
        return False
    return given.startswith(bare[:3]) or bare.startswith(given[:3]) or _one_letter_off(given, bare)


def _one_letter_off(first: str, second: str) -> bool:
    """Return True for a one-letter misspelling of a long given name: "Jimping" for "Jinping"."""
    if len(first) != len(second) or len(first) < 5:
        return False
    return sum(a != b for a, b in zip(first, second, strict=True)) == 1


def _previous_token(norm: str, start: int) -> str | None:
    if start < 2 or norm[start - 1] != " ":
        return None
    begin = start - 1
    while begin > 0 and start - begin < 40 and not norm[begin - 1].isspace():
        begin -= 1
    word = norm[begin : start - 1]
    return word or None


_THE_BEFORE = re.compile(r"\b[Tt]he\s+$")
_SERVES = re.compile(r"\b(?:to|for)\s+the\s+(?:(?:U\.S\.|US|American|Chinese|PRC)\s+)?$")


def _unqualified_president(doc: Document, title: _Title, result: PeopleResult) -> TitleReading:
    """Read "The President" beside a named Chinese leader as the U.S. president.

    American readouts name their own president only by title ("The President met today with
    Chinese President Xi"); the counterpart is then always given a country or a name.
    """
    reading = title.reading
    start, end = title.hit.start, title.hit.end
    if reading.country or reading.role != "president" or doc.norm[start:end] != "President":
        return reading
    if not _THE_BEFORE.search(doc.norm, max(0, start - 5), start):
        return reading
    if not any(ref.country == "CN" for ref in result.refs):
        return reading
    return TitleReading("president", "US", False, reading.historical)


def _resolve_standalone(doc, compiled, titles, result: PeopleResult, published) -> None:
    """Resolve "China's foreign minister" to whoever held that office on the article's date."""
    in_article = {r.slug for r in result.refs}
    for title in titles:
        reading = _unqualified_president(doc, title, result)
        if title.linked or reading.historical or not reading.role or not reading.country:
            continue
        if _SERVES.search(doc.norm, max(0, title.hit.start - 20), title.hit.start):
            continue  # "Special Assistant to the President": whom an aide serves, not who came
        multiword = " " in title.hit.refs[0]
        capitalised = doc.norm[title.hit.start].isupper()
        if not reading.explicit_country and not (multiword or capitalised):
            continue
        if published is not None:
            holders = compiled.holders_on(reading.role, reading.country, published)
        else:
            ever = compiled.holders_on(reading.role, reading.country, None)
            holders = [slug for slug in ever if slug in in_article]
        if len(holders) == 1:
            _add_ref(result, doc, compiled, title.hit.start, title.hit.end, holders[0], title)
