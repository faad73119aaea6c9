"""The meeting list's common filters as fixed statements: the slugs, the count and one page.

The API's list is asked for topics, participants, dates, kinds and statuses far more than for
anything else. For those it skips building MeetingFilterSet's form and a queryset, and
compiling that queryset twice, which cost several times the SQL itself on small databases:
`PlainMeetingList` selects the same meetings in the same order as the FilterSet over
`Meeting.objects.visible()`, with one statement for the count and one for a page's rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import connections, router

from diplomacy.choices import ReviewState
from diplomacy.models import Meeting
from diplomacy.selectors import tables
from diplomacy.selectors.meetings import MEETING_ROW_COLUMNS
from diplomacy.selectors.statements import prepared_cursor

# The slugs the filters accept, with their ids (and a person's count of meetings): topics and
# people are reference data, read once per data revision rather than looked up on every
# request.
FILTER_SLUGS_SQL = f"""
SELECT 'topic', slug, id, 0 FROM {tables.TOPIC}
UNION ALL
SELECT 'participant', p.slug, p.id, coalesce(taking_part.n, 0)
FROM {tables.PERSON} AS p
LEFT JOIN (
    SELECT person_id, count(*) AS n FROM {tables.PARTICIPATION} GROUP BY person_id
) AS taking_part ON taking_part.person_id = p.id
"""
# A person with at most this many meetings has them read first (from the participations
# index) when the list is filtered by them, and sorted: a page of them otherwise walks the
# meetings by date until it has found its fifty, through years without one of theirs.
FEW_MEETINGS = 8_000


@dataclass(frozen=True)
class FilterSlugs:
    """Topic and person ids by slug, and each person's number of meetings (by id)."""

    topics: dict[str, int]
    people: dict[str, int]
    meetings_of: dict[int, int] = field(default_factory=dict)


def filter_slugs() -> FilterSlugs:
    """Return every topic's and person's id by slug (one query)."""
    topics: dict[str, int] = {}
    people: dict[str, int] = {}
    meetings_of: dict[int, int] = {}
    with connections[router.db_for_read(Meeting)].cursor() as cursor:
        cursor.execute(FILTER_SLUGS_SQL)
        for kind, slug, pk, meetings in cursor.fetchall():
            (topics if kind == "topic" else people)[slug] = pk
            if kind != "topic":
                meetings_of[pk] = meetings
    return FilterSlugs(topics, people, meetings_of)


@dataclass(frozen=True)
class MeetingListFilter:
    """What MeetingFilterSet's common filters select, already validated and resolved to ids.

    `topics`: any of them; `people`: all of them; `kinds`, `statuses`: any of them;
    `date_from`/`date_to`: the meeting's dates overlap the range; `oldest_first`: the
    `ordering=start_date` order instead of the default newest first. `few`: one of `people`
    whose meetings are few (FEW_MEETINGS), read first.
    """

    topics: tuple[int, ...] = ()
    people: tuple[int, ...] = ()
    kinds: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    oldest_first: bool = False
    few: int | None = None

    def source(self) -> str:
        """Return the FROM clause: the meetings, or the meetings of the person with few."""
        if self.few is None:
            return f"{tables.MEETING} AS m"
        return (
            f"(SELECT meeting_id FROM {tables.PARTICIPATION} WHERE person_id = %(few)s"
            f" OFFSET 0) AS few JOIN {tables.MEETING} AS m ON m.id = few.meeting_id"
        )

    def where(self) -> tuple[str, dict]:
        """Return the condition on `m` (the meeting table) and its parameters."""
        conditions = ["m.review_state <> %(rejected)s"]
        params: dict = {"rejected": ReviewState.REJECTED.value}
        if self.few is not None:
            params["few"] = self.few
        if self.topics:
            params["topics"] = list(self.topics)
            conditions.append(
                f"EXISTS (SELECT 1 FROM {tables.MEETING_TOPIC} AS mt "
                "WHERE mt.meeting_id = m.id AND mt.topic_id = ANY(%(topics)s))"
            )
        for number, person in enumerate(self.people):
            params[f"person_{number}"] = person
            conditions.append(
                f"EXISTS (SELECT 1 FROM {tables.PARTICIPATION} AS pa "
                f"WHERE pa.meeting_id = m.id AND pa.person_id = %(person_{number})s)"
            )
        if self.kinds:
            params["kinds"] = list(self.kinds)
            conditions.append("m.kind = ANY(%(kinds)s)")
        if self.statuses:
            params["statuses"] = list(self.statuses)
            conditions.append("m.status = ANY(%(statuses)s)")
        if self.date_from is not None:
            params["date_from"] = self.date_from
            conditions.append(
                "(m.end_date >= %(date_from)s"
                " OR (m.end_date IS NULL AND m.start_date >= %(date_from)s))"
            )
        if self.date_to is not None:
            params["date_to"] = self.date_to
            conditions.append("m.start_date <= %(date_to)s")
        return " AND ".join(conditions), params

    def order(self) -> str:
        """Return the list's order: undated last either way, ties broken by id."""
        if self.oldest_first:
            return "m.start_date ASC NULLS LAST, m.id ASC"
        return "m.start_date DESC NULLS LAST, m.id DESC"


COUNT_SQL = "SELECT count(*) FROM {source} WHERE {where}"
# The page's ids first, then the rows of those meetings only, in one round trip.
PAGE_SQL = f"""
WITH page AS (
    SELECT m.id
    FROM {{source}}
    WHERE {{where}}
    ORDER BY {{order}}
    LIMIT %(limit)s OFFSET %(offset)s
)
SELECT {MEETING_ROW_COLUMNS}
FROM page
JOIN {tables.MEETING} AS m ON m.id = page.id
LEFT JOIN {tables.LOCATION} AS l ON l.id = m.location_id
ORDER BY {{order}}
"""
# The count and a page together, in one round trip. The two subqueries are planned apart, as
# the two statements above would be; a page past the end leaves one row, of nulls but the count.
COUNT_AND_PAGE_SQL = f"""
SELECT total.n, {MEETING_ROW_COLUMNS}
FROM (SELECT count(*) AS n FROM {{source}} WHERE {{where}}) AS total
LEFT JOIN (
    SELECT m.id
    FROM {{source}}
    WHERE {{where}}
    ORDER BY {{order}}
    LIMIT %(limit)s OFFSET %(offset)s
) AS page ON true
LEFT JOIN {tables.MEETING} AS m ON m.id = page.id
LEFT JOIN {tables.LOCATION} AS l ON l.id = m.location_id
ORDER BY {{order}}
"""


class PlainMeetingList:
    """The meetings a MeetingListFilter selects, as a lazily paged sequence for a Paginator:
    `count()`, then the rows of one page as MEETING_ROW_COLUMNS tuples.

    Given the page the request will ask for (`expected`: its offset and size), `count()`
    reads that page's rows in the same round trip, and the slice of it costs no query.
    """

    ordered = True

    def __init__(self, selected: MeetingListFilter, expected: tuple[int, int] | None = None):
        self.where, self.params = selected.where()
        self.source = selected.source()
        self.order = selected.order()
        self.expected = expected
        self.prefetched: tuple[int, int, list[tuple]] | None = None  # offset, size, rows

    def _cursor(self):
        return prepared_cursor(router.db_for_read(Meeting))

    def count(self) -> int:
        if self.expected is None:
            with self._cursor() as cursor:
                cursor.execute(COUNT_SQL.format(source=self.source, where=self.where), self.params)
                return cursor.fetchone()[0]
        offset, size = self.expected
        sql = COUNT_AND_PAGE_SQL.format(source=self.source, where=self.where, order=self.order)
        with self._cursor() as cursor:
            cursor.execute(sql, {**self.params, "limit": size, "offset": offset})
            fetched = cursor.fetchall()
        # Without a page (past the end) the one row has a null id after the count.
        self.prefetched = (offset, size, [row[1:] for row in fetched if row[1] is not None])
        return fetched[0][0]

    def __getitem__(self, page: slice) -> list[tuple]:
        if not isinstance(page, slice) or page.stop is None or page.step is not None:
            raise TypeError("Meeting rows are read a bounded page (a slice) at a time.")
        start = page.start or 0
        if page.stop <= start:
            return []
        if self.prefetched is not None:
            offset, size, rows = self.prefetched
            if start == offset and page.stop - start <= size:
                return rows[: page.stop - start]
        sql = PAGE_SQL.format(source=self.source, where=self.where, order=self.order)
        with self._cursor() as cursor:
            cursor.execute(sql, {**self.params, "limit": page.stop - start, "offset": start})
            return cursor.fetchall()
