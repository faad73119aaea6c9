"""Reads behind meeting pages and the meeting list of the API, CSV and feeds.

List rows are built by PostgreSQL, ready for orjson, without model instances: nested
serializers cost 5–10× the raw-SQL limit on the meeting list (DESIGN.md, "Performance notes").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connections, router
from django.db.models import Count, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, JSONObject

from articles.models import Article
from diplomacy.choices import (
    EvidenceField,
    MeetingKind,
    MeetingStatus,
    ReviewState,
)
from diplomacy.formatting import date_range
from diplomacy.models import (
    Evidence,
    Location,
    Meeting,
    MeetingTopic,
    Participation,
)
from diplomacy.selectors import tables

# A meeting page lists at most this many evidence sentences (a summit may have thousands):
# each is rendered once per fact it supports, most of the page's cost.
EVIDENCE_LIMIT = 200


# Meeting page -----------------------------------------------------------------------------


def meeting_detail(slug: str, include_rejected: bool = False) -> Meeting | None:
    """Return the meeting with its place, participants and topics, or None."""
    meetings = Meeting.objects.all() if include_rejected else Meeting.objects.visible()
    return (
        meetings.filter(slug=slug)
        .select_related("location", "location__parent")
        .defer("search_vector")
        .with_related()
        .first()
    )


# A meeting's evidence in order of the articles' publication (undated last), as the ids of the
# rows from position `start` up to `stop`. Sorting every row of a busy meeting by a column of
# another table is what was slow (19,000 rows at 1m), so the statement sorts the meeting's
# articles instead (a few thousand at most), counts the rows of each from the (meeting, article)
# index, and reads only the rows of the articles that overlap the slice.
# `id = ANY(ARRAY(...))` keeps the article lookups on the primary key: the planner assumes a
# short array, where a plain join, estimated at one article per row, hashes every article.
MEETING_EVIDENCE_SQL = f"""
WITH per_article AS MATERIALIZED (
    SELECT article_id, count(*) AS row_count
    FROM {tables.EVIDENCE}
    WHERE meeting_id = %(meeting)s
    GROUP BY article_id
), placed AS (
    SELECT c.article_id, c.row_count,
           sum(c.row_count) OVER (
               ORDER BY a.published_at ASC NULLS LAST, c.article_id ROWS UNBOUNDED PRECEDING
           ) - c.row_count AS rows_before
    FROM per_article AS c
    JOIN {tables.ARTICLE} AS a ON a.id = c.article_id
    WHERE a.id = ANY(ARRAY(SELECT article_id FROM per_article))
), page AS (
    SELECT article_id, rows_before
    FROM placed
    WHERE rows_before < %(stop)s AND rows_before + row_count > %(start)s
)
SELECT id
FROM (
    SELECT e.id,
           page.rows_before + row_number() OVER (PARTITION BY page.article_id ORDER BY e.start) - 1
               AS position
    FROM page
    JOIN {tables.EVIDENCE} AS e ON e.meeting_id = %(meeting)s AND e.article_id = page.article_id
) AS numbered
WHERE position >= %(start)s AND position < %(stop)s
ORDER BY position
"""


def meeting_evidence_ids(meeting_id: int, start: int, stop: int) -> list[int]:
    """Return the ids of a meeting's evidence rows `start` to `stop` (exclusive) in order of
    publication: by the article's publication date, undated last, then article, then offset."""
    if stop <= start:
        return []
    with connections[router.db_for_read(Meeting)].cursor() as cursor:
        cursor.execute(MEETING_EVIDENCE_SQL, {"meeting": meeting_id, "start": start, "stop": stop})
        return [row[0] for row in cursor.fetchall()]


class MeetingEvidenceIds:
    """A meeting's evidence ids in order of publication, read a slice at a time (a Paginator
    takes it like a queryset: `count()`, then the slice of one page)."""

    ordered = True

    def __init__(self, meeting_id: int):
        self.meeting_id = meeting_id

    def count(self) -> int:
        return Evidence.objects.filter(meeting_id=self.meeting_id).count()

    def __getitem__(self, page: slice) -> list[int]:
        if not isinstance(page, slice) or page.stop is None or page.step is not None:
            raise TypeError("Evidence ids are read a bounded slice at a time.")
        return meeting_evidence_ids(self.meeting_id, page.start or 0, page.stop)


def meeting_evidence(meeting: Meeting, limit: int = EVIDENCE_LIMIT) -> list[Evidence]:
    """Return the first `limit` evidence rows of a meeting in order of publication, with their
    articles (without the text) and the articles' sources."""
    rows = Evidence.objects.select_related("article", "article__source").defer(
        "article__body", "article__search_vector"
    )
    return in_given_order(rows, meeting_evidence_ids(meeting.pk, 0, limit))


def in_given_order(queryset: QuerySet, ids: list[int]) -> list:
    """Return the rows of `queryset` with these ids, in the order of `ids` (one query)."""
    found = queryset.in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


@dataclass
class FactEvidence:
    """The quotes behind one fact of a meeting and the distinct values they claim."""

    field: str
    label: str
    quotes: list[Evidence] = field(default_factory=list)
    claimed: list[str] = field(default_factory=list)  # distinct claimed values, as shown

    @property
    def disagree(self) -> bool:
        return len(self.claimed) > 1

    @property
    def conflicting(self) -> bool:
        return any(quote.conflicting for quote in self.quotes)


@dataclass
class StatusStep:
    status: str
    first: Evidence
    reports: int = 1


def evidence_by_fact(rows: list[Evidence]) -> dict[str, FactEvidence]:
    """Group evidence by the fact it supports, noting where the claims disagree."""
    names = _claim_names(rows)
    facts = {value: FactEvidence(value, label) for value, label in EvidenceField.choices}
    for row in rows:
        for name in row.fields:
            fact = facts.get(name)
            if fact is None:
                continue
            fact.quotes.append(row)
            shown = describe_claim(name, (row.claims or {}).get(name), names)
            if shown and shown not in fact.claimed:
                fact.claimed.append(shown)
    for name in ("participants", "topics"):  # lists: sources add to each other, not disagree
        facts[name].claimed = []
    return facts


def _claim_names(rows: list[Evidence]) -> dict[str, dict[str, str]]:
    """Return names for the slugs claimed by the evidence (one query per kind of entity)."""
    slugs: dict[str, set[str]] = {"location": set()}
    for row in rows:
        location = (row.claims or {}).get("location")
        if isinstance(location, dict) and location.get("slug"):
            slugs["location"].add(str(location["slug"]))
    names: dict[str, dict[str, str]] = {"location": {}}
    if slugs["location"]:
        names["location"] = dict(
            Location.objects.filter(slug__in=slugs["location"]).values_list("slug", "name")
        )
    return names


def describe_claim(name: str, value, names: dict[str, dict[str, str]]) -> str:
    """Return a claimed value in words ("15 Nov 2023", "Held", "Woodside, near San Francisco")."""
    if value in (None, "", [], {}):
        return ""
    if name == "date":
        return date_range(value)
    if name == "status":
        return dict(MeetingStatus.choices).get(str(value), str(value))
    if name == "kind":
        return dict(MeetingKind.choices).get(str(value), str(value))
    if name == "location" and isinstance(value, dict):
        place = names.get("location", {}).get(str(value.get("slug") or ""), "")
        note = str(value.get("note") or "")
        return ", ".join(part for part in (place, note) if part)
    return ""


def status_history(rows: list[Evidence]) -> list[StatusStep]:
    """Return the statuses reported over time, merging consecutive reports of the same one."""
    steps: list[StatusStep] = []
    for row in rows:
        status = (row.claims or {}).get("status")
        if "status" not in row.fields or not status:
            continue
        if steps and steps[-1].status == status:
            if steps[-1].first.article_id != row.article_id:
                steps[-1].reports += 1
            continue
        steps.append(StatusStep(str(status), row))
    return steps


def meeting_sources(rows: list[Evidence]) -> list[Article]:
    """Return the distinct articles behind the evidence, in publication order."""
    seen: dict[int, Article] = {}
    for row in rows:
        seen.setdefault(row.article_id, row.article)
    return list(seen.values())


def meetings_related(meeting: Meeting, limit: int = 8) -> list[Meeting]:
    """Return other meetings with the most participants in common, newest first on ties."""
    people = [participation.person_id for participation in meeting.participations.all()]
    if not people:
        return []
    return list(
        Meeting.objects.visible()
        .exclude(pk=meeting.pk)
        .filter(participations__person_id__in=people)
        .annotate(shared=Count("participations"))
        .order_by("-shared", F("start_date").desc(nulls_last=True), "-id")
        .only("slug", "title", "kind", "status", "start_date", "end_date", "date_precision")[:limit]
    )


# Meeting list rows --------------------------------------------------------------------------

# Columns shown as stored: those before the nested objects, and the counts after them.
# A meeting's own columns that every light row starts with (lists, channels, alerts).
MEETING_CORE_FIELDS = (
    "id",
    "slug",
    "title",
    "kind",
    "status",
    "start_date",
    "end_date",
    "date_precision",
)
MEETING_HEAD_FIELDS = (*MEETING_CORE_FIELDS, "announced")
MEETING_COUNT_FIELDS = ("article_count", "evidence_count")
# The nested objects are rebuilt with keys in documented order: jsonb sorts keys by length.
LOCATION_KEYS = ("slug", "name", "kind", "country")
PARTICIPANT_KEYS = ("slug", "name", "country", "role")
TOPIC_KEYS = ("slug", "name")
AGGREGATED_FIELDS = {"location_object", "participant_list", "topic_list"}
# A meeting in the API's list, in documented order; the detail adds to it.
MEETING_LIST_FIELDS = (
    *MEETING_HEAD_FIELDS,
    "location",
    "participants",
    "topics",
    *MEETING_COUNT_FIELDS,
    "url",
)
# Extra columns the feeds need besides the list row.
MEETING_FEED_FIELDS = ("summary", "location_note", "first_reported_at", "created_at", "updated_at")


def meeting_participants() -> ArraySubquery:
    """Participants of the outer meeting as [{slug, name, country, role}], in recorded order."""
    return ArraySubquery(
        Participation.objects.filter(meeting=OuterRef("pk"))
        .order_by("pk")
        .values(
            json=JSONObject(
                slug="person__slug", name="person__name", country="person__country", role="role"
            )
        )
    )


def meeting_topics() -> ArraySubquery:
    """Topics of the outer meeting as [{slug, name}], by name."""
    return ArraySubquery(
        MeetingTopic.objects.filter(meeting=OuterRef("pk"))
        .order_by("topic__name")
        .values(json=JSONObject(slug="topic__slug", name="topic__name"))
    )


def meeting_location() -> Subquery:
    """The outer meeting's place as {slug, name, kind, country}, or null when it has none."""
    return Subquery(
        Location.objects.filter(pk=OuterRef("location_id")).values(
            json=JSONObject(slug="slug", name="name", kind="kind", country="country")
        )
    )


def meeting_list_values(queryset: QuerySet[Meeting], *extra_fields: str) -> QuerySet:
    """Return the list rows of these meetings as dicts, in one query."""
    return queryset.values(
        *MEETING_HEAD_FIELDS,
        *MEETING_COUNT_FIELDS,
        *extra_fields,
        # Named apart from the model fields they stand for; the shaper renames them.
        location_object=meeting_location(),
        participant_list=meeting_participants(),
        topic_list=meeting_topics(),
    )


# A meeting list row's columns over `m` (the meeting) and `l` (its place, left joined), in the
# order `meeting_row` reads them. json (not jsonb) keeps the keys in the documented order;
# ::text lets orjson decode them.
MEETING_ROW_COLUMNS = f"""
       m.id, m.slug, m.title, m.kind, m.status, m.start_date, m.end_date, m.date_precision,
       m.announced, m.article_count, m.evidence_count,
       l.slug, l.name, l.kind, l.country,
       (SELECT json_agg(json_build_object('slug', p.slug, 'name', p.name,
                                          'country', p.country, 'role', pa.role)
                        ORDER BY pa.id)::text
        FROM {tables.PARTICIPATION} AS pa JOIN {tables.PERSON} AS p ON p.id = pa.person_id
        WHERE pa.meeting_id = m.id),
       (SELECT json_agg(json_build_object('slug', t.slug, 'name', t.name)
                        ORDER BY t.name, t.id)::text
        FROM {tables.MEETING_TOPIC} AS mt JOIN {tables.TOPIC} AS t ON t.id = mt.topic_id
        WHERE mt.meeting_id = m.id)"""
# The rows of one page, given their ids: a fixed statement, so nothing is compiled per request.
MEETING_ROWS_SQL = f"""
SELECT {MEETING_ROW_COLUMNS}
FROM {tables.MEETING} AS m
LEFT JOIN {tables.LOCATION} AS l ON l.id = m.location_id
WHERE m.id = ANY(%s)
"""
# Where each part of a MEETING_ROW_COLUMNS row is.
ROW_HEAD = slice(0, 9)  # MEETING_HEAD_FIELDS
ROW_COUNTS = slice(9, 11)  # MEETING_COUNT_FIELDS
ROW_LOCATION = slice(11, 15)  # LOCATION_KEYS, all null without a place
ROW_PARTICIPANTS = 15  # json text, or null for none
ROW_TOPICS = 16  # json text, or null for none


def row_location(row: tuple) -> dict | None:
    location = row[ROW_LOCATION]
    return dict(zip(LOCATION_KEYS, location, strict=True)) if location[0] is not None else None


def row_json_list(text: str | None) -> list:
    return orjson.loads(text) if text else []


def meeting_row(row: tuple) -> dict:
    """Return a row of MEETING_ROW_COLUMNS as the dict `meeting_list_values` gives."""
    item = dict(zip(MEETING_HEAD_FIELDS, row[ROW_HEAD], strict=True))
    item.update(zip(MEETING_COUNT_FIELDS, row[ROW_COUNTS], strict=True))
    item["location_object"] = row_location(row)
    item["participant_list"] = row_json_list(row[ROW_PARTICIPANTS])
    item["topic_list"] = row_json_list(row[ROW_TOPICS])
    return item


def meeting_rows(ids: list[int]) -> list[dict]:
    """Return the list rows of these meetings, in the order of `ids` (two round trips less
    compiling than `meeting_list_values`, the same dicts)."""
    if not ids:
        return []
    with connections[router.db_for_read(Meeting)].cursor() as cursor:
        cursor.execute(MEETING_ROWS_SQL, [ids])
        fetched = cursor.fetchall()
    rows = {}
    for row in fetched:
        item = meeting_row(row)
        rows[item["id"]] = item
    return [rows[pk] for pk in ids if pk in rows]


class MeetingListRows:
    """The meeting list as a lazily paged sequence of rows, for a Paginator.

    `count()` counts the filtered meetings; a slice picks that page's ids first and builds
    only their rows. Aggregating in the query that skips rows with OFFSET would build the
    participants and topics of every skipped row too (seconds for page 900 of 50,000).
    """

    def __init__(self, queryset: QuerySet[Meeting]):
        self.queryset = queryset
        self.ordered = queryset.ordered

    def count(self) -> int:
        return self.queryset.count()

    def __getitem__(self, page: slice) -> list[dict]:
        if not isinstance(page, slice):
            raise TypeError("Meeting rows are read a page (a slice) at a time.")
        return meeting_rows(list(self.queryset.values_list("pk", flat=True)[page]))


def visible_meeting_count(link_model, owner: str) -> Coalesce:
    """Count the outer row's links to meetings that are not rejected, as a subquery.

    As a subquery it runs only for the rows on the page, and count(*) of the list leaves it
    out; the few rejected meetings are looked up once rather than joined per link.
    """
    rejected = Meeting.objects.filter(review_state=ReviewState.REJECTED).values("pk")
    links = (
        link_model.objects.filter(**{owner: OuterRef("pk")})
        .exclude(meeting__in=rejected)
        .values(owner)
        .annotate(count=Count("meeting"))
        .values("count")
    )
    return Coalesce(Subquery(links), 0)
