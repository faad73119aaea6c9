"""The people, places and topics that merging looks up, cached behind a fingerprint."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from diplomacy.selectors import ingestion


@dataclass(frozen=True)
class Ref:
    """A person, place or topic as ingestion uses it: id, slug, name and place parent."""

    pk: int
    slug: str
    name: str
    country: str = ""
    parent_id: int | None = None
    # Position in the database's order of names (topics are attached in that order).
    rank: int = 0


class Reference:
    """People, places and topics by slug, and places' parents: what merging looks up."""

    def __init__(self, version: str | None, rows):
        self.version = version
        self.people: dict[str, Ref] = {}
        self.locations: dict[str, Ref] = {}
        self.topics: dict[str, Ref] = {}
        tables = {"person": self.people, "location": self.locations, "topic": self.topics}
        for rank, (kind, pk, slug, name, country, parent_id) in enumerate(rows):
            tables[kind][slug] = Ref(pk, slug, name, country, parent_id, rank)
        self.locations_by_id = {ref.pk: ref for ref in self.locations.values()}
        self.parents = {ref.pk: ref.parent_id for ref in self.locations.values()}

    def with_people(self, people: list[Ref]) -> Reference:
        """Return a copy that also knows these people (found while applying one article)."""
        known = copy.copy(self)
        known.people = {**self.people, **{person.slug: person for person in people}}
        return known


_reference: Reference | None = None


def reference_current() -> Reference:
    """Return people, places and topics, read again only when they changed.

    Every call asks for the fingerprint (one small query), so an article applied after a
    curator added a topic or renamed a person sees the change, and rows rolled back with a
    failed transaction are never kept.
    """
    global _reference
    cached = _reference
    version, rows = ingestion.reference_rows(cached.version if cached is not None else None)
    if rows is None and cached is not None:
        return cached
    _reference = Reference(version, rows or [])
    return _reference
