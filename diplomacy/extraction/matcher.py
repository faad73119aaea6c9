"""Compile a gazetteer into one Aho-Corasick automaton and find its entries in a document.

Compiling costs far more than matching, so compiled gazetteers are cached by identity and
version in a small LRU.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import ahocorasick

from .roles import TITLES
from .text import lower_same_length, normalise
from .types import Gazetteer, LocationEntry, OfficeEntry, PersonEntry

# Names written family name first, so "Wang" is the surname of "Wang Yi".
FAMILY_FIRST = frozenset({"CN", "TW", "HK", "MO", "KR", "KP"})
_NAME_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
# When one span could be several kinds of entry, the first kind listed wins.
_PRIORITY = ("person", "title", "location", "region", "surname")
_CACHE_SIZE = 4


@dataclass(frozen=True, slots=True)
class Hit:
    start: int
    end: int
    kind: str  # person / surname / title / location / region / topic
    refs: tuple[str, ...]  # slugs; a title's lowercase phrase


@dataclass(slots=True)
class CompiledGazetteer:
    gazetteer: Gazetteer
    automaton: ahocorasick.Automaton | None  # proper names, matched with their case
    phrases: ahocorasick.Automaton | None = None  # titles and topic keywords, lowercase
    people: dict[str, PersonEntry] = field(default_factory=dict)
    surnames: dict[str, str] = field(default_factory=dict)  # slug -> surname
    given: dict[str, str] = field(default_factory=dict)  # slug -> given names
    surname_owners: dict[str, list[str]] = field(default_factory=dict)  # lower surname -> slugs
    locations: dict[str, LocationEntry] = field(default_factory=dict)
    ancestors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    location_country: dict[str, str] = field(default_factory=dict)
    holders: dict[tuple[str, str], list[tuple[str, OfficeEntry]]] = field(default_factory=dict)
    location_words: frozenset[str] = frozenset()

    def holders_on(self, role: str, country: str, day: object) -> list[str]:
        """Return slugs of people holding role for country on day (any day when day is None)."""
        entries = self.holders.get((role, country), [])
        slugs = [slug for slug, office in entries if day is None or office.held_on(day)]
        return list(dict.fromkeys(slugs))

    def is_within(self, slug: str, other: str) -> bool:
        """Return True when location slug is other or lies inside it."""
        return slug == other or other in self.ancestors.get(slug, ())


_cache: OrderedDict[tuple[int, str], CompiledGazetteer] = OrderedDict()
_lock = threading.Lock()


def compile_gazetteer(gazetteer: Gazetteer) -> CompiledGazetteer:
    """Return the compiled form of gazetteer, reusing a cached one when possible."""
    key = (id(gazetteer), gazetteer.version)
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached.gazetteer is gazetteer:
            _cache.move_to_end(key)
            return cached
    compiled = _compile(gazetteer)
    with _lock:
        _cache[key] = compiled
        _cache.move_to_end(key)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return compiled


def split_name(person: PersonEntry, name: str) -> tuple[str, str]:
    """Return (surname, given names) of a name written in the person's customary order."""
    tokens = [t for t in name.split() if t.lower() not in _NAME_SUFFIXES]
    if len(tokens) < 2:
        return "", ""
    if person.country.upper() in FAMILY_FIRST:
        return tokens[0], " ".join(tokens[1:])
    return tokens[-1], " ".join(tokens[:-1])


def _clean(phrase: str) -> str:
    return " ".join(normalise(phrase or "").split())


def _compile(gazetteer: Gazetteer) -> CompiledGazetteer:
    names: dict[str, list[tuple[str, str]]] = {}
    phrases: dict[str, list[tuple[str, str]]] = {}

    def add(phrase: str, kind: str, ref: str) -> None:
        spelled = _clean(phrase)
        if len(spelled) < 2:
            return
        if kind in ("topic", "title"):
            phrases.setdefault(lower_same_length(spelled), []).append((kind, ref))
            return
        # proper names match as spelled, capitalised or in capitals ("BEIJING, Jan. 30"), so
        # "he" in "the" never reaches Python; acronyms ("US") match only as spelled
        for form in _case_forms(spelled):
            if (kind, ref) not in names.setdefault(form, []):
                names[form].append((kind, ref))

    compiled = CompiledGazetteer(gazetteer=gazetteer, automaton=None)
    _add_people(compiled, gazetteer, add)
    _add_locations(compiled, gazetteer, add)
    for topic in gazetteer.topics:
        for keyword in topic.keywords:
            add(keyword, "topic", topic.slug)
    for phrase in TITLES:
        add(phrase, "title", phrase)
    compiled.automaton = _automaton(names)
    compiled.phrases = _automaton(phrases)
    return compiled


def _case_forms(spelled: str) -> set[str]:
    capitals = sum(ch.isupper() for ch in spelled)
    if capitals > len(spelled.split()) or (capitals > 0 and spelled.isupper()):
        return {spelled}
    return {spelled, spelled.upper(), spelled[:1].upper() + spelled[1:]}


def _automaton(table: dict[str, list[tuple[str, str]]]) -> ahocorasick.Automaton | None:
    """Build an automaton whose values are (length, topic slugs, (kind, refs) of entities)."""
    if not table:
        return None
    automaton = ahocorasick.Automaton()
    for key, payloads in table.items():
        topics = tuple(dict.fromkeys(ref for kind, ref in payloads if kind == "topic"))
        automaton.add_word(key, (len(key), topics, _entity_payload(payloads)))
    automaton.make_automaton()
    return automaton


def _entity_payload(payloads: list[tuple[str, str]]) -> tuple[str, tuple[str, ...]] | None:
    for kind in _PRIORITY:
        refs = tuple(dict.fromkeys(ref for k, ref in payloads if k == kind))
        if refs:
            return kind, refs
    return None


def _add_people(compiled: CompiledGazetteer, gazetteer: Gazetteer, add) -> None:
    for person in gazetteer.people:
        if not person.slug or not person.name:
            continue
        compiled.people[person.slug] = person
        surname, given = split_name(person, _clean(person.name))
        for name in (person.name, *person.aliases):
            add(name, "person", person.slug)
            alias_surname, _ = split_name(person, _clean(name))
            if alias_surname:
                add(alias_surname, "surname", person.slug)
        if surname:
            compiled.surnames[person.slug] = surname
            compiled.given[person.slug] = given
            owners = compiled.surname_owners.setdefault(surname.lower(), [])
            owners.append(person.slug)
        for office in person.offices:
            key = (office.role, office.country.upper())
            compiled.holders.setdefault(key, []).append((person.slug, office))


def _add_locations(compiled: CompiledGazetteer, gazetteer: Gazetteer, add) -> None:
    words: set[str] = set()
    for location in gazetteer.locations:
        if not location.slug or not location.name:
            continue
        compiled.locations[location.slug] = location
        for name in (location.name, *location.aliases):
            add(name, "location", location.slug)
            words.update(_clean(name).split())
        if location.kind == "region":
            adjective = _region_adjective(_clean(location.name))
            if adjective:
                add(adjective, "region", location.slug)
    compiled.location_words = frozenset(words)
    for slug in compiled.locations:
        chain: list[str] = []
        parent = compiled.locations[slug].parent
        while parent and parent not in chain and parent != slug and len(chain) < 12:
            chain.append(parent)
            parent_entry = compiled.locations.get(parent)
            parent = parent_entry.parent if parent_entry else None
        compiled.ancestors[slug] = tuple(chain)
        compiled.location_country[slug] = _country_of(compiled, slug, chain)


def _country_of(compiled: CompiledGazetteer, slug: str, chain: list[str]) -> str:
    for candidate in (slug, *chain):
        entry = compiled.locations.get(candidate)
        if entry is not None and entry.country:
            return entry.country.upper()
    return ""


def _region_adjective(name: str) -> str:
    """Derive 'Southeast Asian' from 'Southeast Asia', 'Middle Eastern' from 'Middle East'."""
    if name.endswith(("East", "West")):
        return name + "ern"
    if name.endswith("Europe"):
        return name[:-1] + "ean"
    if name.endswith("a") and " " in name:
        return name + "n"
    return ""


def find_hits(compiled: CompiledGazetteer, norm: str, lower: str) -> tuple[list[Hit], list[Hit]]:
    """Return (entity hits without overlaps, topic hits) found in the document."""
    entities: list[Hit] = []
    topics: list[Hit] = []
    if not lower:
        return entities, topics
    if compiled.automaton is not None:
        _scan(compiled.automaton, norm, lower, entities, topics)
    if compiled.phrases is not None:
        _scan(compiled.phrases, lower, lower, entities, topics)
    entities = _leftmost_longest(entities)
    topics = _drop_nested(topics)
    return _drop_inside_topics(entities, topics, norm), topics


def _scan(automaton, text: str, lower: str, entities: list[Hit], topics: list[Hit]) -> None:
    size = len(lower)
    for end_index, (length, topic_refs, entity) in automaton.iter(text):
        start, end = end_index - length + 1, end_index + 1
        if start > 0 and lower[start - 1].isalnum():
            continue
        if end < size and lower[end].isalnum():
            topic_end = _plural_end(lower, end, size) if topic_refs else 0
            if topic_end:
                topics.append(Hit(start, topic_end, "topic", topic_refs))
            continue
        if topic_refs:
            topics.append(Hit(start, end, "topic", topic_refs))
        if entity is not None:
            entities.append(Hit(start, end, entity[0], entity[1]))


def _plural_end(lower: str, end: int, size: int) -> int:
    for suffix in ("s", "es"):
        stop = end + len(suffix)
        if lower.startswith(suffix, end) and (stop >= size or not lower[stop].isalnum()):
            return stop
    return 0


def _leftmost_longest(hits: list[Hit]) -> list[Hit]:
    hits.sort(key=lambda h: (h.start, h.start - h.end, _PRIORITY.index(h.kind)))
    kept: list[Hit] = []
    last_end = -1
    for hit in hits:
        if hit.start >= last_end:
            kept.append(hit)
            last_end = hit.end
    return kept


def _drop_nested(hits: list[Hit]) -> list[Hit]:
    hits.sort(key=lambda h: (h.start, h.start - h.end))
    kept: list[Hit] = []
    for hit in hits:
        if kept and hit.end <= kept[-1].end and hit.start >= kept[-1].start:
            if (hit.start, hit.end) == (kept[-1].start, kept[-1].end):
                merged = tuple(dict.fromkeys(kept[-1].refs + hit.refs))
                kept[-1] = Hit(hit.start, hit.end, "topic", merged)
            continue
        kept.append(hit)
    return kept


def _drop_inside_topics(entities: list[Hit], topics: list[Hit], norm: str) -> list[Hit]:
    """Drop a place inside a capitalised topic phrase: "China" in "South China Sea"."""
    spans = [
        (t.start, t.end)
        for t in topics
        if norm[t.start : t.start + 1].isupper() and " " in norm[t.start : t.end]
    ]
    if not spans:
        return entities
    return [
        e
        for e in entities
        if e.kind != "location"
        or not any(s <= e.start and e.end <= t and (t - s) > (e.end - e.start) for s, t in spans)
    ]
