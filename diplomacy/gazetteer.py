"""Build the extraction gazetteer from the database, cached briefly per process."""

from __future__ import annotations

import hashlib
import threading
import time

from django.db import connection, transaction

from diplomacy.extraction.types import (
    Gazetteer,
    LocationEntry,
    OfficeEntry,
    PersonEntry,
    TopicEntry,
)
from diplomacy.models import Location, Office, Person, Topic

# Edits made outside the curation services (the admin) reach running workers within this
# many seconds; the services move GENERATION on, which every process sees at once.
CACHE_SECONDS = 30
GENERATION = "diplomacy_gazetteer_revision"

_lock = threading.Lock()
_cached: tuple[float, int, Gazetteer] | None = None


def gazetteer_build() -> Gazetteer:
    """Read people (with offices), places and topics into an immutable Gazetteer."""
    offices: dict[int, list[OfficeEntry]] = {}
    for office in Office.objects.order_by("start_date", "id"):
        offices.setdefault(office.person_id, []).append(
            OfficeEntry(
                role=office.role,
                title=office.title,
                organisation=office.organisation,
                country=office.country,
                start=office.start_date,
                end=office.end_date,
            )
        )
    people = tuple(
        PersonEntry(
            slug=person.slug,
            name=person.name,
            country=person.country,
            aliases=tuple(person.aliases),
            offices=tuple(offices.get(person.pk, ())),
        )
        for person in Person.objects.order_by("id")
    )
    parents = dict(Location.objects.values_list("id", "slug"))
    locations = tuple(
        LocationEntry(
            slug=location.slug,
            name=location.name,
            kind=location.kind,
            country=location.country,
            parent=parents.get(location.parent_id),
            aliases=tuple(location.aliases),
        )
        for location in Location.objects.order_by("id")
    )
    topic_parents = dict(Topic.objects.values_list("id", "slug"))
    topics = tuple(
        TopicEntry(
            slug=topic.slug,
            name=topic.name,
            keywords=tuple(topic.keywords),
            parent=topic_parents.get(topic.parent_id),
        )
        for topic in Topic.objects.order_by("id")
    )
    digest = hashlib.sha256(repr((people, locations, topics)).encode()).hexdigest()[:16]
    return Gazetteer(people=people, locations=locations, topics=topics, version=digest)


def gazetteer_current(max_age: float = CACHE_SECONDS) -> Gazetteer:
    """Return the cached gazetteer, rebuilding it when older than max_age seconds or when a
    curator changed people since it was built (one tiny query)."""
    global _cached
    generation = _generation()
    with _lock:
        now = time.monotonic()
        if _cached is None or now - _cached[0] > max_age or _cached[1] != generation:
            _cached = (now, generation, gazetteer_build())
        return _cached[2]


def gazetteer_forget() -> None:
    """Drop the cache so the next call reads the database (after reference data changes)."""
    global _cached
    with _lock:
        _cached = None


def gazetteer_changed() -> None:
    """Tell every process that people or their names changed: drop this process's copy now,
    and move the generation on, again once the current transaction commits."""
    gazetteer_forget()
    _next_generation()
    if connection.in_atomic_block:
        transaction.on_commit(_next_generation)


def _generation() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT last_value FROM {GENERATION}")
        return cursor.fetchone()[0]


def _next_generation() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT nextval('{GENERATION}')")
    gazetteer_forget()
