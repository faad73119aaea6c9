"""Consistency checks for the bundled reference data (people, locations, topics, timeline).

Plain JSON checks: no database and no Django models, so they run anywhere.
"""

import json
import re
import unicodedata
from datetime import date
from pathlib import Path

import pytest

from diplomacy.extraction import extract, types
from diplomacy.reference.gazetteer import gazetteer_from_files

DATA_DIR = Path(__file__).resolve().parents[2] / "diplomacy" / "reference" / "data"

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
COUNTRY_PATTERN = re.compile(r"^[A-Z]{2}$")

ROLE_KEYS = set(types.ROLE_KEYS)

TOPIC_SLUGS = {
    "taiwan",
    "fentanyl",
    "red-sea",
    "iran",
    "ai",
    "mil-mil",
    "ukraine",
    "middle-east",
    "north-korea",
    "south-china-sea",
    "tech-controls",
    "trade",
    "climate",
    "human-rights",
    "people-to-people",
    "myanmar",
    "migration",
    "law-enforcement",
    "macroeconomy",
    "debt-relief",
    "global-health",
    "food-security",
}

LOCATION_KINDS = {"venue", "city", "region", "country"}
MEETING_KINDS = {"summit", "meeting", "call", "working_group", "dialogue", "visit"}
MEETING_STATUSES = {"planned", "held", "cancelled"}
DATE_PRECISIONS = {"day", "month", "year", "unknown"}
SIDES = {"us", "cn", "tw", "other"}


def load(name):
    with open(DATA_DIR / f"{name}.json", encoding="utf-8") as handle:
        return json.load(handle)


def slugify(value):
    """Same rules as django.utils.text.slugify, without importing Django."""
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^\w\s-]", "", value.lower())
    return re.sub(r"[-\s]+", "-", value).strip("-_")


def day(value):
    return date.fromisoformat(value) if value is not None else None


@pytest.fixture(scope="module")
def people():
    return load("people")


@pytest.fixture(scope="module")
def locations():
    return load("locations")


@pytest.fixture(scope="module")
def topics():
    return load("topics")


@pytest.fixture(scope="module")
def timeline():
    return load("timeline")


def test_it_has_at_least_seventy_people(people):
    """people.json lists at least 70 people."""
    assert len(people) >= 70


def test_it_has_at_least_ninety_locations(locations):
    """locations.json lists at least 90 locations."""
    assert len(locations) >= 90


def test_it_has_exactly_the_contract_topic_slugs(topics):
    """topics.json holds the 22 public topic slugs, no more and no fewer."""
    slugs = [topic["slug"] for topic in topics]
    assert len(slugs) == 22
    assert set(slugs) == TOPIC_SLUGS


def test_it_has_at_least_forty_five_timeline_entries_in_2022_to_2024(timeline):
    """timeline.json has at least 45 engagements starting in 2022–2024."""
    assert len(timeline) >= 45
    in_window = [e for e in timeline if 2022 <= day(e["start_date"]).year <= 2024]
    assert len(in_window) >= 45


@pytest.mark.parametrize("name", ["people", "locations", "topics"])
def test_it_uses_unique_well_formed_slugs(name):
    """Every slug is unique and lowercase ASCII words joined by hyphens."""
    slugs = [item["slug"] for item in load(name)]
    assert len(slugs) == len(set(slugs))
    bad = [slug for slug in slugs if not SLUG_PATTERN.match(slug)]
    assert bad == []


def test_it_derives_person_slugs_from_names(people):
    """A person's slug is the slugified canonical name."""
    bad = [(p["name"], p["slug"]) for p in people if slugify(p["name"]) != p["slug"]]
    assert bad == []


def test_it_uses_iso_country_codes(people, locations):
    """Countries are ISO alpha-2 codes, blank only for regions."""
    assert all(COUNTRY_PATTERN.match(p["country"]) for p in people)
    for office in (o for p in people for o in p["offices"]):
        assert COUNTRY_PATTERN.match(office["country"])
    for location in locations:
        if location["kind"] == "region":
            assert location["country"] == ""
        else:
            assert COUNTRY_PATTERN.match(location["country"]), location["slug"]


def test_it_uses_only_known_role_keys(people):
    """Every office role is one of the shared role keys."""
    roles = {office["role"] for p in people for office in p["offices"]}
    assert roles <= ROLE_KEYS, roles - ROLE_KEYS


def test_it_has_well_formed_office_dates(people):
    """Office dates parse as ISO dates and never end before they start."""
    for person in people:
        for office in person["offices"]:
            assert office["title"].strip()
            start, end = day(office["start"]), day(office["end"])
            assert start is not None, person["slug"]
            assert end is None or start <= end, (person["slug"], office)


def test_it_keeps_offices_unique_per_person_role_country_and_start(people):
    """No person has two offices with the same role, country and start date."""
    for person in people:
        keys = [(o["role"], o["country"], o["start"]) for o in person["offices"]]
        assert len(keys) == len(set(keys)), person["slug"]


def test_it_lists_only_full_name_aliases(people):
    """Person aliases are multi-word or non-Latin forms, never bare surnames."""
    for person in people:
        assert person["name"] in person["aliases"]
        assert len(person["aliases"]) == len(set(person["aliases"]))
        for alias in person["aliases"]:
            assert " " in alias or not alias.isascii(), (person["slug"], alias)
            assert not alias.lower().startswith(("mr.", "mrs.", "ms.")), (person["slug"], alias)


def test_it_uses_known_location_kinds(locations):
    """Every location kind is venue, city, region or country."""
    assert {location["kind"] for location in locations} <= LOCATION_KINDS


def test_it_lists_location_parents_before_children(locations):
    """Every location parent exists and appears earlier in the file."""
    seen = set()
    for location in locations:
        parent = location["parent"]
        assert parent is None or parent in seen, location["slug"]
        seen.add(location["slug"])


def test_it_gives_every_country_a_region_parent(locations):
    """Countries hang under a region; cities and venues under a non-region."""
    kinds = {location["slug"]: location["kind"] for location in locations}
    for location in locations:
        if location["kind"] == "country":
            assert kinds[location["parent"]] == "region", location["slug"]
        elif location["kind"] in {"city", "venue"}:
            assert kinds[location["parent"]] != "region", location["slug"]


def test_it_resolves_topic_parents(topics):
    """A topic parent, when set, is another topic listed earlier."""
    seen = set()
    for topic in topics:
        assert topic["parent"] is None or topic["parent"] in seen, topic["slug"]
        seen.add(topic["slug"])


def test_it_gives_each_topic_eight_to_twenty_lowercase_keywords(topics):
    """Each topic has 8–20 distinct lowercase keywords and a description."""
    for topic in topics:
        keywords = topic["keywords"]
        assert 8 <= len(keywords) <= 20, topic["slug"]
        assert len(keywords) == len(set(keywords)), topic["slug"]
        assert all(k == k.lower() and k.strip() == k and k for k in keywords), topic["slug"]
        assert topic["description"].strip(), topic["slug"]


def test_it_uses_known_timeline_enums(timeline):
    """Timeline kind, status, precision, side and announced use the allowed values."""
    for entry in timeline:
        assert entry["kind"] in MEETING_KINDS, entry["title"]
        assert entry["status"] in MEETING_STATUSES, entry["title"]
        assert entry["date_precision"] in DATE_PRECISIONS, entry["title"]
        assert entry["announced"] in (True, False, None), entry["title"]
        assert all(p["side"] in SIDES for p in entry["participants"]), entry["title"]


def test_it_resolves_timeline_references(timeline, people, locations, topics):
    """Timeline locations, people and topics all exist in the other files."""
    person_slugs = {p["slug"] for p in people}
    location_slugs = {location["slug"] for location in locations}
    topic_slugs = {topic["slug"] for topic in topics}
    for entry in timeline:
        assert entry["location"] is None or entry["location"] in location_slugs, entry["title"]
        for participant in entry["participants"]:
            assert participant["person"] in person_slugs, (entry["title"], participant)
        assert set(entry["topics"]) <= topic_slugs, entry["title"]


def test_it_has_well_formed_timeline_dates(timeline):
    """Timeline dates parse as ISO dates and never end before they start."""
    for entry in timeline:
        start, end = day(entry["start_date"]), day(entry["end_date"])
        assert start is not None, entry["title"]
        assert end is None or start <= end, entry["title"]
        if entry["date_precision"] == "month":
            assert start.day == 1, entry["title"]


def test_it_keeps_timeline_titles_unique_per_start_date(timeline):
    """No two timeline entries share a title and start date."""
    keys = [(entry["title"], entry["start_date"]) for entry in timeline]
    assert len(keys) == len(set(keys))


def test_it_keeps_text_fields_within_column_sizes(people, locations, topics, timeline):
    """Names, titles, aliases and notes fit the database column sizes."""
    for person in people:
        assert len(person["name"]) <= 200
        assert all(len(alias) <= 200 for alias in person["aliases"])
        for office in person["offices"]:
            assert len(office["title"]) <= 200 and len(office["organisation"]) <= 200
    for location in locations:
        assert len(location["name"]) <= 200
        assert all(len(alias) <= 200 for alias in location["aliases"])
    for topic in topics:
        assert len(topic["name"]) <= 200
    for entry in timeline:
        assert len(entry["title"]) <= 300 and len(entry["location_note"]) <= 300
        assert all(len(p["role"]) <= 200 for p in entry["participants"])


def test_it_recognises_trade_in_the_words_of_commerce_readouts(topics):
    """Trade talks are often called the commercial relationship or trade and investment."""
    from diplomacy.extraction import extract

    gazetteer = types.Gazetteer(
        topics=tuple(
            types.TopicEntry(topic["slug"], topic["name"], tuple(topic["keywords"]))
            for topic in topics
        )
    )
    sentences = (
        "The ministers reviewed the commercial relationship between the two economies.",
        "They spoke about trade and investment across the Pacific.",
        "The delegations raised commercial issues facing exporters.",
    )
    for sentence in sentences:
        found = {m.slug for m in extract(sentence, None, gazetteer).mentions if m.kind == "topic"}
        assert "trade" in found, sentence


def test_it_reads_ties_between_the_peoples_as_people_to_people():
    """ "ties between the peoples of the two countries" is the people-to-people topic."""
    text = (
        "Jake Sullivan met Wang Yi in Vienna on Friday. They noted the importance of ties "
        "between the peoples of the two countries."
    )
    (meeting,) = extract(text, date(2024, 1, 27), gazetteer_from_files()).meetings
    assert "people-to-people" in meeting.topics
