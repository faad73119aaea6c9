"""Reads behind ingestion: the reference rows, match candidates and a recompute's claims.

Plain SQL: these run for every article, and Django took longer to compile them than
PostgreSQL to answer. Table names come from the models.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import NamedTuple

from django.db import DEFAULT_DB_ALIAS, connection

from diplomacy import merging
from diplomacy.choices import MeetingKind, MeetingStatus, ReviewState
from diplomacy.models import Meeting
from diplomacy.selectors import tables
from diplomacy.selectors.statements import prepared_cursor

# Meetings a candidate is compared with, best first; the distance of an undated one.
MATCH_CANDIDATES = 200
NO_DISTANCE = 10_000


def fetch_rows(sql: str, params) -> list[tuple]:
    """Run one statement on the default connection and return its rows."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# Reference ---------------------------------------------------------------------------------

# The rows a reference holds, and a fingerprint of them: any added, removed or renamed person,
# place or topic changes it. One statement, so rows and fingerprint come from one snapshot.
_REFERENCE_ROWS = f"""
    SELECT 'person' AS kind, id, slug, name, country, NULL::bigint AS parent_id FROM {tables.PERSON}
    UNION ALL SELECT 'location', id, slug, name, country, parent_id FROM {tables.LOCATION}
    UNION ALL SELECT 'topic', id, slug, name, '', parent_id FROM {tables.TOPIC}
"""
_FINGERPRINT = "SELECT md5(string_agg(r::text, ',' ORDER BY r.kind, r.id)) FROM reference AS r"
_REFERENCE_VERSION_SQL = f"WITH reference AS ({_REFERENCE_ROWS}) {_FINGERPRINT}"
_REFERENCE_LOAD_SQL = (
    f"WITH reference AS ({_REFERENCE_ROWS}) "
    f"SELECT *, ({_FINGERPRINT}) FROM reference ORDER BY kind, name, id"
)


def reference_rows(known_version: str | None) -> tuple[str | None, list[tuple] | None]:
    """Return the fingerprint of people, places and topics, and their rows (kind, id, slug,
    name, country, parent id) by kind and name; rows are None when the fingerprint is
    `known_version`."""
    ((version,),) = fetch_rows(_REFERENCE_VERSION_SQL, [])
    if known_version is not None and version == known_version:
        return version, None
    rows = fetch_rows(_REFERENCE_LOAD_SQL, [])
    return (rows[0][-1] if rows else None), [row[:-1] for row in rows]


# Match candidates --------------------------------------------------------------------------

# merging.DateClaim.interval in SQL: the days a meeting's date allows, a month from its first
# day to its last, a year from 1 January to 31 December, a vague window without an end for
# OPEN_WINDOW. Null for an undated meeting, which agrees with any date.
_SPAN = f"""
    SELECT
        CASE m.date_precision
            WHEN 'month' THEN date_trunc('month', m.start_date::timestamp)::date
            WHEN 'year' THEN date_trunc('year', m.start_date::timestamp)::date
            ELSE m.start_date
        END AS first_day,
        CASE m.date_precision
            WHEN 'day' THEN greatest(coalesce(m.end_date, m.start_date), m.start_date)
            WHEN 'month' THEN (date_trunc('month', coalesce(m.end_date, m.start_date)::timestamp)
                               + interval '1 month - 1 day')::date
            WHEN 'year' THEN (date_trunc('year', coalesce(m.end_date, m.start_date)::timestamp)
                              + interval '1 year - 1 day')::date
            ELSE coalesce(m.end_date, m.start_date + {merging.OPEN_WINDOW.days})
        END AS last_day
"""


class _Conditions:
    """WHERE and ORDER BY clauses with their parameters, in order."""

    def __init__(self):
        self.where: list[str] = []
        self.order: list[str] = ["m.start_date DESC NULLS LAST", "m.id DESC"]
        self.where_params: list = []
        self.order_params: list = []

    def add(self, clause: str, *params) -> None:
        self.where.append(clause)
        self.where_params += params

    def order_first(self, clause: str, *params) -> None:
        self.order.insert(0, clause)
        self.order_params[:0] = params


def match_candidates(candidate, claim, people, place_id, parents, published) -> list[Meeting]:
    """Return the meetings a candidate may report, best first by the matching's ranking.

    The conditions are the merge rules in SQL (matching checks them again) and the order is
    the matching's, so that the first MATCH_CANDIDATES hold the best match even for two
    officials who share thousands of meetings.
    """
    conditions = _Conditions()
    conditions.add("m.review_state <> %s", ReviewState.REJECTED)
    conditions.add("m.merged_into_id IS NULL")  # a merged-away stub reports nothing
    _kind_condition(conditions, candidate.kind)
    _people_condition(conditions, people)
    if place_id is not None:  # merging.places_compatible
        related = sorted(merging.places_related(place_id, parents))
        conditions.add("(m.location_id IS NULL OR m.location_id = ANY(%s))", related)
    _date_conditions(conditions, claim, candidate.status, published)
    reference = claim.start or published
    if reference is not None:  # matching.date_distance
        conditions.order_first("coalesce(abs(m.start_date - %s), %s)", reference, NO_DISTANCE)
    conditions.order_first("m.date_precision <> 'day'")  # a meeting known to the day first
    if place_id is not None:  # a place both name ranks first
        conditions.order_first("m.location_id IS NULL")
    sql = (
        f"SELECT {', '.join(f'm.{name}' for name in _MATCHED_FIELDS)}"
        f" FROM {tables.MEETING} AS m CROSS JOIN LATERAL ({_SPAN}) AS span"
        f" WHERE {' AND '.join(conditions.where)} ORDER BY {', '.join(conditions.order)} LIMIT %s"
    )
    params = [*conditions.where_params, *conditions.order_params, MATCH_CANDIDATES]
    # Prepared: each shape (kind, people, place, date) is planned once per worker
    # connection, where planning it took several times as long as running it.
    with prepared_cursor(DEFAULT_DB_ALIAS) as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [Meeting.from_db(DEFAULT_DB_ALIAS, _MATCHED_FIELDS, row) for row in rows]


# The fields matching reads, in the model's order (as Meeting.from_db takes their values).
_MATCHED = {
    "id",
    "kind",
    "start_date",
    "end_date",
    "date_precision",
    "location_id",
    "review_state",
    "locked_fields",
}
_MATCHED_FIELDS = [f.attname for f in Meeting._meta.concrete_fields if f.attname in _MATCHED]


def _kind_condition(conditions: _Conditions, kind: str) -> None:
    """merging.kinds_compatible: a meeting is anything but a call; a call only a call."""
    if kind == MeetingKind.MEETING:
        conditions.add("m.kind <> %s", MeetingKind.CALL)
    elif kind == MeetingKind.CALL:
        conditions.add("m.kind = %s", MeetingKind.CALL)
    else:
        conditions.add("m.kind IN (%s, %s)", kind, MeetingKind.MEETING)


def _people_condition(conditions: _Conditions, people) -> None:
    """Meetings of each of one or two people, of any two of more, or of nobody named."""
    if len(people) in (1, 2):
        # Meetings of each: merging the people's index ranges beats counting over their rows.
        for person in people:
            conditions.add(
                f"m.id IN (SELECT meeting_id FROM {tables.PARTICIPATION} WHERE person_id = %s)",
                person.pk,
            )
    elif people:
        conditions.add(
            f"m.id IN (SELECT meeting_id FROM {tables.PARTICIPATION} WHERE person_id = ANY(%s)"
            " GROUP BY meeting_id HAVING count(*) >= 2)",
            [person.pk for person in people],
        )
    else:
        conditions.add(f"NOT EXISTS (SELECT FROM {tables.PARTICIPATION} WHERE meeting_id = m.id)")


def _date_conditions(conditions: _Conditions, claim, status: str, published) -> None:
    """merging.dates_overlap (any date when undated) and merging.status_fits."""
    span = claim.interval()
    if span is not None:
        conditions.add(
            "(m.start_date IS NULL OR (span.first_day <= %s AND span.last_day >= %s))",
            span[1],
            span[0],
        )
    if published is not None and status == MeetingStatus.PLANNED:
        conditions.add("(m.start_date IS NULL OR span.last_day >= %s)", published - timedelta(3))
    elif published is not None and status == MeetingStatus.HELD:
        conditions.add("(m.start_date IS NULL OR span.first_day <= %s)", published + timedelta(1))


# A recompute's reads -----------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """Evidence rows of one meeting that claim the same values with the same confidence."""

    claims: dict
    confidence: float
    conflicting: bool
    reports: int
    first: list[int]  # (article id, start) of the earliest row, in evidence's own order


def claims_by_meeting(meeting_ids: list[int]) -> dict[int, list[Claim]]:
    """Group each meeting's evidence by what it claims, ordered by what they claim.

    A busy meeting has thousands of rows but few distinct claims. Ordered by their content,
    not by their earliest row, the groups settle ties (a person's role, a place's note) the
    same way whatever order the reports arrived in.
    """
    rows = fetch_rows(
        "SELECT meeting_id, claims, confidence, conflicting, count(*),"
        f" min(ARRAY[article_id, start]) FROM {tables.EVIDENCE} WHERE meeting_id = ANY(%s)"
        " GROUP BY meeting_id, claims, confidence, conflicting",
        [meeting_ids],
    )
    groups = defaultdict(list)
    for meeting_id, claims, *counted in sorted(rows, key=lambda row: row[1:3]):
        groups[meeting_id].append(Claim(json.loads(claims), *counted))
    return groups


def totals_by_meeting(meeting_ids: list[int]) -> dict[int, dict]:
    """Return each meeting's evidence and article counts and when it was first reported."""
    rows = fetch_rows(
        "SELECT e.meeting_id, count(*), count(DISTINCT e.article_id),"
        " min(coalesce(a.published_at, a.created_at))"
        f" FROM {tables.EVIDENCE} AS e JOIN {tables.ARTICLE} AS a ON a.id = e.article_id"
        " WHERE e.meeting_id = ANY(%s) GROUP BY e.meeting_id",
        [meeting_ids],
    )
    fields = ("evidence_count", "article_count", "first_reported_at")
    return {meeting_id: dict(zip(fields, values, strict=True)) for meeting_id, *values in rows}


class Link(NamedTuple):
    """A participation or a meeting's topic, with the person's or topic's slug and name."""

    pk: int
    slug: str
    name: str
    country: str
    side: str


def links_by_meeting(meeting_ids: list[int]):
    """Return each meeting's participants and its topics, as two dicts of Links."""
    rows = fetch_rows(
        "SELECT 'person', p.meeting_id, p.id, x.slug, x.name, x.country, p.side"
        f" FROM {tables.PARTICIPATION} AS p"
        f" JOIN {tables.PERSON} AS x ON x.id = p.person_id WHERE p.meeting_id = ANY(%s)"
        " UNION ALL SELECT 'topic', t.meeting_id, t.id, x.slug, x.name, '', ''"
        f" FROM {tables.MEETING_TOPIC} AS t"
        f" JOIN {tables.TOPIC} AS x ON x.id = t.topic_id WHERE t.meeting_id = ANY(%s)",
        [meeting_ids, meeting_ids],
    )
    links = {"person": defaultdict(list), "topic": defaultdict(list)}
    for kind, meeting_id, *link in rows:
        links[kind][meeting_id].append(Link(*link))
    return links["person"], links["topic"]


__all__ = [
    "MATCH_CANDIDATES",
    "NO_DISTANCE",
    "Claim",
    "Link",
    "claims_by_meeting",
    "links_by_meeting",
    "match_candidates",
    "reference_rows",
    "totals_by_meeting",
]
