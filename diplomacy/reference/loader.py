"""Load the reference data shipped in diplomacy/reference/data into the database.

Idempotent: rows are matched by slug (offices by person, role, country and start date) and only
written when something differs, so a second run reports no changes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction

from diplomacy.choices import ReviewState
from diplomacy.models import (
    Channel,
    ChannelSuspension,
    Location,
    Meeting,
    MeetingTopic,
    Office,
    Participation,
    Person,
    Topic,
)
from diplomacy.reference.files import read
from diplomacy.services.channels import channels_assign_all


@dataclass
class LoadReport:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) + sum(self.updated.values()))

    def lines(self) -> list[str]:
        names = sorted(set(self.created) | set(self.updated) | set(self.unchanged))
        return [
            f"{name}: {self.created[name]} created, {self.updated[name]} updated, "
            f"{self.unchanged[name]} unchanged"
            for name in names
        ]


def parse_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _save(model, lookup: dict, values: dict, report: LoadReport, label: str):
    """Create or update one row, counting what happened; return the row."""
    row = model.objects.filter(**lookup).first()
    if row is None:
        row = model.objects.create(**lookup, **values)
        report.created[label] += 1
        return row
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    if changed:
        for name in changed:
            setattr(row, name, values[name])
        row.save(update_fields=changed)
        report.updated[label] += 1
    else:
        report.unchanged[label] += 1
    return row


def load_topics(report: LoadReport) -> None:
    items = read("topics")
    by_slug = {}
    for item in items:
        by_slug[item["slug"]] = _save(
            Topic,
            {"slug": item["slug"]},
            {
                "name": item["name"],
                "keywords": list(item.get("keywords", [])),
                "description": item.get("description", ""),
            },
            report,
            "topics",
        )
    for item in items:
        parent = by_slug.get(item.get("parent")) if item.get("parent") else None
        topic = by_slug[item["slug"]]
        if topic.parent_id != (parent.pk if parent else None):
            topic.parent = parent
            topic.save(update_fields=["parent"])


def load_locations(report: LoadReport) -> None:
    by_slug: dict[str, Location] = {}
    for item in read("locations"):  # parents come before children in the file
        parent_slug = item.get("parent")
        parent = by_slug.get(parent_slug) if parent_slug else None
        if parent_slug and parent is None:
            parent = Location.objects.filter(slug=parent_slug).first()
        by_slug[item["slug"]] = _save(
            Location,
            {"slug": item["slug"]},
            {
                "name": item["name"],
                "kind": item["kind"],
                "country": item.get("country") or "",
                "parent": parent,
                "aliases": list(item.get("aliases", [])),
            },
            report,
            "locations",
        )


def load_people(report: LoadReport) -> None:
    for item in read("people"):
        person = _save(
            Person,
            {"slug": item["slug"]},
            {
                "name": item["name"],
                "country": item.get("country", ""),
                "aliases": list(item.get("aliases", [])),
                "review_state": "confirmed",
            },
            report,
            "people",
        )
        for office in item.get("offices", []):
            _save(
                Office,
                {
                    "person": person,
                    "role": office["role"],
                    "country": office.get("country") or person.country,
                    "start_date": parse_date(office.get("start")),
                },
                {
                    "title": office["title"],
                    "organisation": office.get("organisation", ""),
                    "end_date": parse_date(office.get("end")),
                },
                report,
                "offices",
            )


def load_timeline(report: LoadReport) -> None:
    from django.utils.text import slugify

    people = {person.slug: person for person in Person.objects.all()}
    topics = {topic.slug: topic for topic in Topic.objects.all()}
    locations = {location.slug: location for location in Location.objects.all()}
    for item in read("timeline"):
        start = parse_date(item.get("start_date"))
        slug = slugify(f"{item['title']} {start.isoformat() if start else ''}")[:300]
        meeting = _save(
            Meeting,
            {"slug": slug},
            {
                "title": item["title"],
                "kind": item["kind"],
                "status": item.get("status", "held"),
                "start_date": start,
                "end_date": parse_date(item.get("end_date")) or start,
                "date_precision": item.get("date_precision", "day"),
                "location": locations.get(item.get("location") or ""),
                "location_note": item.get("location_note", ""),
                "announced": item.get("announced"),
                "summary": item.get("summary", ""),
                "review_state": ReviewState.CONFIRMED,
            },
            report,
            "meetings",
        )
        for participant in item.get("participants", []):
            _save(
                Participation,
                {"meeting": meeting, "person": people[participant["person"]]},
                {"role": participant.get("role", ""), "side": participant.get("side", "other")},
                report,
                "participations",
            )
        for topic_slug in item.get("topics", []):
            _save(
                MeetingTopic,
                {"meeting": meeting, "topic": topics[topic_slug]},
                {},
                report,
                "meeting topics",
            )


def load_channels(report: LoadReport) -> None:
    for item in read("channels"):
        channel = _save(
            Channel,
            {"slug": item["slug"]},
            {
                "name": item["name"],
                "kind": item["kind"],
                "us_role": item.get("us_role", ""),
                "cn_role": item.get("cn_role", ""),
                "aliases": list(item.get("aliases", [])),
                "start_date": parse_date(item.get("start_date")),
                "description": item.get("description", ""),
            },
            report,
            "channels",
        )
        for suspension in item.get("suspensions", []):
            _save(
                ChannelSuspension,
                {"channel": channel, "start_date": parse_date(suspension["start_date"])},
                {
                    "end_date": parse_date(suspension.get("end_date")),
                    "side": suspension["side"],
                    "note": suspension.get("note", ""),
                },
                report,
                "channel suspensions",
            )


@transaction.atomic
def reference_load(*, gazetteer_only: bool = False) -> LoadReport:
    """Load topics, places, people and channels; the curated timeline unless gazetteer_only."""
    report = LoadReport()
    load_topics(report)
    load_locations(report)
    load_people(report)
    load_channels(report)
    if not gazetteer_only:
        load_timeline(report)
    # Channels follow offices and meetings: link every meeting to its channels again.
    report.updated["channel links"] += channels_assign_all()
    return report
