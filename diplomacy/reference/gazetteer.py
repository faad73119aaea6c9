"""Build an extraction Gazetteer straight from the bundled JSON files, without a database.

Used by the evaluation and the benchmarks, so extraction can be measured on plain strings.
"""

import hashlib
from datetime import date

from diplomacy.extraction.types import (
    Gazetteer,
    LocationEntry,
    OfficeEntry,
    PersonEntry,
    TopicEntry,
)
from diplomacy.reference.files import read


def _day(value):
    return date.fromisoformat(value) if value else None


def gazetteer_from_files() -> Gazetteer:
    people = tuple(
        PersonEntry(
            slug=item["slug"],
            name=item["name"],
            country=item.get("country", ""),
            aliases=tuple(item.get("aliases", [])),
            offices=tuple(
                OfficeEntry(
                    role=office["role"],
                    title=office["title"],
                    organisation=office.get("organisation", ""),
                    country=office.get("country") or item.get("country", ""),
                    start=_day(office.get("start")),
                    end=_day(office.get("end")),
                )
                for office in item.get("offices", [])
            ),
        )
        for item in read("people")
    )
    locations = tuple(
        LocationEntry(
            slug=item["slug"],
            name=item["name"],
            kind=item["kind"],
            country=item.get("country") or "",
            parent=item.get("parent"),
            aliases=tuple(item.get("aliases", [])),
        )
        for item in read("locations")
    )
    topics = tuple(
        TopicEntry(
            slug=item["slug"],
            name=item["name"],
            keywords=tuple(item.get("keywords", [])),
            parent=item.get("parent"),
        )
        for item in read("topics")
    )
    digest = hashlib.sha256(repr((people, locations, topics)).encode()).hexdigest()[:16]
    return Gazetteer(people=people, locations=locations, topics=topics, version=digest)
