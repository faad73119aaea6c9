"""Score meeting records (as `GET /api/v1/meetings/` shapes them) against hand-made answer keys.

A key file `NN_name.gold.json` holds `{"published", "meetings": [...]}`; each key meeting has
`start`, `end` (ISO, or partial `YYYY-MM` / `YYYY`, or null), `date_precision` (day / month /
year / approx / none: how much of the date the text supports), `city` ("A; B" for several),
`country`, `participants` (full names), `type`, `topics` (slugs written with underscores),
`status`, `is_main_subject` and `not_in_text` (fields taken from elsewhere).

A record fits a key meeting when it shares a named person (a key without people asks for a
shared topic or the same format instead), its dates overlap the key's at the key's precision
with three days' slack (an undated record fits only keys vague about the date), and its place
does not contradict the key's city or country. Field accuracy is measured on the best-fitting
record of each main meeting. Every figure agrees with the rules above applied to the whole set
at once: records are not tied to the text they came from, as merging spans texts.
"""

from __future__ import annotations

import calendar
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

# Country names used by the keys, to ISO codes as the API gives them.
COUNTRY_CODES = {
    "united states": "US",
    "china": "CN",
    "thailand": "TH",
    "malta": "MT",
    "austria": "AT",
    "indonesia": "ID",
    "peru": "PE",
    "switzerland": "CH",
    "singapore": "SG",
    "japan": "JP",
    "germany": "DE",
    "india": "IN",
    "france": "FR",
    "united kingdom": "GB",
    "italy": "IT",
}
# One summit is reported under three place names; any of them is right.
SAME_CITY = {
    "woodside": {"woodside", "san francisco", "filoli"},
    "san francisco": {"woodside", "san francisco", "filoli"},
}
# Key topic spellings that differ from the slug by more than underscores; None: not a topic.
KEY_TOPICS = {"mil_mil": "mil-mil", "tech_controls": "tech-controls", "leader_call": None}
# The record kinds accepted for each key type.
KINDS_ACCEPTED = {
    "meeting": {"meeting"},
    "summit": {"summit"},
    "call": {"call"},
    "working_group": {"working_group", "working-group"},
    "dialogue": {"dialogue", "working_group"},
    "visit": {"visit", "meeting"},
}
NAME_PARTICLES = {"jr", "sr", "mr", "ms", "dr"}
SLACK_DAYS = 3


# --- comparing values -------------------------------------------------------------------------


def plain(value: str | None) -> str:
    """Lower-case ASCII with punctuation turned into spaces."""
    ascii_text = unicodedata.normalize("NFKD", value or "").encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9 ]+", " ", ascii_text.lower()).strip()


def name_words(name: str) -> set[str]:
    return {word for word in plain(name).split() if len(word) > 1 and word not in NAME_PARTICLES}


def same_person(first: str, second: str) -> bool:
    """Names agree when the shorter one's words are all in the longer one ("CQ Brown")."""
    a, b = name_words(first), name_words(second)
    if not a or not b:
        return False
    return a <= b if len(a) <= len(b) else b <= a


def named_in(name: str, names: list[str]) -> bool:
    return any(same_person(name, other) for other in names)


def _span(value, end_value=None, precision=None) -> tuple[date, date] | None:
    """The first and last days a (possibly partial) ISO date covers."""
    if not value:
        return None
    text, end_text = str(value), str(end_value) if end_value else ""
    if precision in (None, "day") and len(text) == 10:
        first = date.fromisoformat(text)
        last = date.fromisoformat(end_text) if len(end_text) == 10 else first
        return first, max(first, last)
    year = int(text[:4])
    if precision == "year" or len(text) == 4:
        return date(year, 1, 1), date(year, 12, 31)
    month = int(text[5:7])
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    if len(end_text) >= 7 and end_text[:7] != text[:7]:
        end_year, end_month = int(end_text[:4]), int(end_text[5:7])
        last = date(end_year, end_month, calendar.monthrange(end_year, end_month)[1])
    return first, last


def key_period(key: dict) -> tuple[date, date] | None:
    """The days a key meeting may fall on, at the precision its text supports."""
    precision, start = key.get("date_precision"), key.get("start")
    if precision == "none" or not start:
        return None
    start = str(start)
    end = str(key.get("end") or start)
    if precision in ("month", "approx"):
        first, last = _span(start[:7], end[:7], "month")
        if precision == "approx":
            return first - timedelta(days=31), last + timedelta(days=31)
        return first, last
    if precision == "year":
        return _span(start[:4], None, "year")
    return _span(start, key.get("end"), None if len(start) < 10 else "day")


def record_period(record: dict) -> tuple[date, date] | None:
    precision = record.get("date_precision")
    if not record.get("start_date") or precision in (None, "unknown", ""):
        return None
    return _span(record["start_date"], record.get("end_date"), precision)


def overlap(a: tuple[date, date], b: tuple[date, date], slack: int = SLACK_DAYS) -> bool:
    margin = timedelta(days=slack)
    return a[0] - margin <= b[1] and b[0] - margin <= a[1]


def key_cities(key: dict) -> set[str]:
    """The city names that count as right for a key; none when the city is not in the text."""
    if not key.get("city") or "city" in (key.get("not_in_text") or []):
        return set()
    cities: set[str] = set()
    for city in key["city"].split(";"):
        cities |= SAME_CITY.get(plain(city), {plain(city)})
    return cities


def record_place_names(record: dict) -> set[str]:
    place = record.get("location") or {}
    names = {plain(place.get("name", "")), plain(place.get("slug", "").replace("-", " "))}
    return {name for name in names if name}


def key_topics(key: dict) -> set[str]:
    slugs = (KEY_TOPICS.get(t, t.replace("_", "-")) for t in key.get("topics") or [])
    return {slug for slug in slugs if slug}


def record_topics(record: dict) -> set[str]:
    return {topic.get("slug") for topic in record.get("topics") or []}


def record_people(record: dict) -> list[str]:
    return [person.get("name", "") for person in record.get("participants") or []]


def kind_right(key: dict, record: dict) -> bool:
    return record.get("kind") in KINDS_ACCEPTED.get(key.get("type"), {key.get("type")})


# --- which record can be which key meeting ----------------------------------------------------


def _people_fit(key: dict, record: dict) -> bool:
    wanted = key.get("participants") or []
    return not wanted or any(named_in(name, record_people(record)) for name in wanted)


def _dates_fit(key: dict, record: dict) -> bool:
    wanted, found = key_period(key), record_period(record)
    if wanted is None:
        return True
    if found is None:
        return key.get("date_precision") not in ("day", "month")
    return overlap(wanted, found)


def _place_fits(key: dict, record: dict) -> bool:
    cities, places = key_cities(key), record_place_names(record)
    # the country or region around the key's city is vague, not wrong
    vague = (record.get("location") or {}).get("kind") in ("country", "region")
    if cities and places and not cities & places and not vague:
        return False
    wanted = COUNTRY_CODES.get(plain(key.get("country")))
    found = ((record.get("location") or {}).get("country") or "").upper()
    return not (wanted and found and wanted != found and "country" not in key_not_in_text(key))


def key_not_in_text(key: dict) -> list[str]:
    return key.get("not_in_text") or []


def _subject_fits(key: dict, record: dict) -> bool:
    """Without named people a record must share a topic or the format, or anything would fit."""
    if key.get("participants"):
        return True
    wanted = key_topics(key)
    return not wanted or bool(wanted & record_topics(record)) or kind_right(key, record)


def fits(key: dict, record: dict) -> bool:
    """Return True when the record can be the key meeting (identity, not field accuracy)."""
    return (
        _people_fit(key, record)
        and _dates_fit(key, record)
        and _place_fits(key, record)
        and _subject_fits(key, record)
    )


def _shared_people(key: dict, record: dict) -> int:
    people = record_people(record)
    return sum(named_in(name, people) for name in key.get("participants") or [])


def _closeness(key: dict, record: dict) -> tuple[int, int, bool]:
    """How well a record fits a key meeting: shared people, same days, same place."""
    wanted, found = key_period(key), record_period(record)
    dated = 0
    if wanted and found:
        dated = 2 if overlap(wanted, found, slack=0) else 1
    return _shared_people(key, record), dated, bool(key_cities(key) & record_place_names(record))


def same_key_meeting(a: dict, b: dict) -> bool:
    """Return True when two key entries (from different texts) describe one meeting."""
    people_a, people_b = a.get("participants") or [], b.get("participants") or []
    if bool(people_a) != bool(people_b):
        return False
    if people_a and not any(named_in(name, people_b) for name in people_a):
        return False
    cities_a, cities_b = key_cities(a), key_cities(b)
    if cities_a and cities_b and not cities_a & cities_b:
        return False
    period_a, period_b = key_period(a), key_period(b)
    if period_a is None or period_b is None:
        return bool(cities_a & cities_b) and bool(people_a)
    if not overlap(period_a, period_b, slack=1):
        return False
    return a.get("type") == b.get("type") or bool(cities_a and cities_b)


# --- the score ---------------------------------------------------------------------------------


@dataclass
class Tally:
    right: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.right += bool(ok)
        self.total += 1

    @property
    def share(self) -> float:
        return self.right / self.total if self.total else 0.0


@dataclass
class Score:
    main: Tally = field(default_factory=Tally)
    every: Tally = field(default_factory=Tally)
    records: Tally = field(default_factory=Tally)
    date: Tally = field(default_factory=Tally)
    place: Tally = field(default_factory=Tally)
    kind: Tally = field(default_factory=Tally)
    status: Tally = field(default_factory=Tally)
    people_recall: Tally = field(default_factory=Tally)
    people_precision: Tally = field(default_factory=Tally)
    topics_right: int = 0
    topics_extra: int = 0
    topics_missing: int = 0
    records_per_meeting: float = 0.0
    errors: list[dict] = field(default_factory=list)

    def error(self, kind: str, text: str, detail: str) -> None:
        self.errors.append({"class": kind, "text": text, "detail": detail})

    def figures(self) -> dict:
        right, extra, missing = self.topics_right, self.topics_extra, self.topics_missing
        precision = right / (right + extra) if right + extra else 0.0
        recall = right / (right + missing) if right + missing else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {
            "main_recall": self.main.share,
            "all_recall": self.every.share,
            "precision": self.records.share,
            "system_meetings": self.records.total,
            "records_per_meeting": self.records_per_meeting,
            "date_acc": self.date.share,
            "place_acc": self.place.share,
            "kind_acc": self.kind.share,
            "status_acc": self.status.share,
            "participant_recall": self.people_recall.share,
            "participant_precision": self.people_precision.share,
            "topic_precision": precision,
            "topic_recall": recall,
            "topic_f1": f1,
        }


def describe_key(key: dict) -> str:
    people = ", ".join(key.get("participants") or []) or "no one named"
    return (
        f"{key.get('type')} {key.get('start')} {key.get('city') or key.get('country')} ({people})"
    )


def describe_record(record: dict) -> str:
    place = (record.get("location") or {}).get("name")
    people = ", ".join(record_people(record)) or "no one"
    return (
        f"#{record.get('id')} {record.get('kind')} {record.get('status')} "
        f"{record.get('start_date')}/{record.get('date_precision')} {place} ({people})"
    )


def score(keys: list[tuple[str, dict]], records: list[dict]) -> Score:
    """Score records against (text name, key meeting) pairs; list every error with its class."""
    result = Score()
    for text, key in keys:
        candidates = [record for record in records if fits(key, record)]
        result.every.add(bool(candidates))
        if not key.get("is_main_subject"):
            continue
        result.main.add(bool(candidates))
        if not candidates:
            result.error("missed", text, describe_key(key))
            continue
        best = max(candidates, key=lambda r: (_shared_people(key, r), _topic_overlap(key, r)))
        _score_fields(result, text, key, best)
    for record in records:
        fitting = any(fits(key, record) for _, key in keys)
        result.records.add(fitting)
        if not fitting:
            result.error("extra record", "", describe_record(record))
    _score_duplicates(result, keys, records)
    return result


def _topic_overlap(key: dict, record: dict) -> int:
    return len(key_topics(key) & record_topics(record))


def _score_fields(result: Score, text: str, key: dict, record: dict) -> None:
    def check(tally: Tally, ok: bool, kind: str, detail: str) -> None:
        tally.add(ok)
        if not ok:
            result.error(kind, text, f"{detail}; record {describe_record(record)}")

    check(result.status, record.get("status") == key.get("status"), "status", key.get("status"))
    check(result.kind, kind_right(key, record), "kind", f"want {key.get('type')}")
    start = str(key.get("start") or "")
    if key.get("date_precision") == "day" and len(start) == 10:
        exact = record.get("date_precision") == "day" and record.get("start_date") == start
        check(result.date, exact, "date", f"want {start}")
    cities = key_cities(key)
    if cities:
        check(result.place, bool(cities & record_place_names(record)), "place", f"want {cities}")
    people = record_people(record)
    wanted = key.get("participants") or []
    for name in wanted:
        check(result.people_recall, named_in(name, people), "participant missing", name)
    if wanted:
        for name in people:
            check(result.people_precision, named_in(name, wanted), "participant extra", name)
    topics_wanted, topics_found = key_topics(key), record_topics(record)
    result.topics_right += len(topics_wanted & topics_found)
    result.topics_extra += len(topics_found - topics_wanted)
    result.topics_missing += len(topics_wanted - topics_found)
    for slug in sorted(topics_found - topics_wanted):
        result.error("topic extra", text, slug)
    for slug in sorted(topics_wanted - topics_found):
        result.error("topic missing", text, slug)


def _score_duplicates(result: Score, keys: list[tuple[str, dict]], records: list[dict]) -> None:
    """Count records per real meeting: each record once, for the key meeting it fits best."""
    groups: list[list[tuple[str, dict]]] = []
    for text, key in keys:
        group = next((g for g in groups if any(same_key_meeting(key, k) for _, k in g)), None)
        if group is None:
            groups.append([(text, key)])
        else:
            group.append((text, key))
    assigned: dict[int, list[dict]] = {}
    for record in records:
        ranked = [
            (_closeness(key, record), index)
            for index, group in enumerate(groups)
            for _, key in group
            if fits(key, record)
        ]
        if ranked:
            # the first group wins a tie, as groups are visited in key order
            best = max(ranked, key=lambda item: (item[0], -item[1]))[1]
            assigned.setdefault(best, []).append(record)
    if assigned:
        total = sum(len(found) for found in assigned.values())
        result.records_per_meeting = total / len(assigned)
    for index, found in sorted(assigned.items()):
        if len(found) > 1:
            text, key = groups[index][0]
            records_text = "; ".join(describe_record(r) for r in found)
            result.error("duplicate record", text, f"{describe_key(key)}: {records_text}")


def load_keys(folder: Path) -> list[tuple[str, dict]]:
    """Return (text name, key meeting) pairs for every *.gold.json in folder."""
    keys = []
    for path in sorted(folder.glob("*.gold.json")):
        for key in json.loads(path.read_text(encoding="utf-8"))["meetings"]:
            keys.append((path.name.removesuffix(".gold.json"), key))
    return keys
