"""The limit: the meeting list served by raw psycopg and orjson, with no framework at all.

    gunicorn --workers 4 bench.minimal_handler:application   (DATABASE_URL names the database)

It answers `GET /api/v1/meetings/` with the filters the load runs use (`topic`, repeatable, any
of; `participant`, repeatable, all of; `date_from`, `date_to`, overlapping; `page`,
`page_size`) in the API's JSON shape, built by tuned SQL: slugs resolved from a per-process
cache, one statement for the count and one for the page (ids chosen first, then participants
and topics aggregated into JSON for those rows only). Whatever the real API costs above this is
framework, serialisation or query shape; the benchmarks report the API's throughput as a share
of this one's.
"""

from __future__ import annotations

import os
from datetime import date
from urllib.parse import parse_qs, quote, urlencode

import orjson
import psycopg
from psycopg.types.json import set_json_loads

set_json_loads(orjson.loads)

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500

PAGE_SQL = """
WITH page AS (
    SELECT m.id
    FROM diplomacy_meeting AS m
    WHERE {where}
    ORDER BY m.start_date DESC NULLS LAST, m.id DESC
    LIMIT %(limit)s OFFSET %(offset)s
)
SELECT m.id, m.slug, m.title, m.kind, m.status, m.start_date, m.end_date, m.date_precision,
       m.announced, l.slug, l.name, l.kind, l.country,
       coalesce((
           SELECT json_agg(json_build_object('slug', p.slug, 'name', p.name,
                                             'country', p.country, 'role', pa.role)
                           ORDER BY pa.id)
           FROM diplomacy_participation AS pa JOIN diplomacy_person AS p ON p.id = pa.person_id
           WHERE pa.meeting_id = m.id), '[]'),
       coalesce((
           SELECT json_agg(json_build_object('slug', t.slug, 'name', t.name) ORDER BY t.name)
           FROM diplomacy_meetingtopic AS mt JOIN diplomacy_topic AS t ON t.id = mt.topic_id
           WHERE mt.meeting_id = m.id), '[]'),
       m.article_count, m.evidence_count
FROM page
JOIN diplomacy_meeting AS m ON m.id = page.id
LEFT JOIN diplomacy_location AS l ON l.id = m.location_id
ORDER BY m.start_date DESC NULLS LAST, m.id DESC
"""
# With a topic filter the count runs over the link table and its (topic, meeting) index.
TOPIC_COUNT_SQL = """
SELECT {count}
FROM diplomacy_meetingtopic AS mt JOIN diplomacy_meeting AS m ON m.id = mt.meeting_id
WHERE mt.topic_id = ANY(%(topics)s) AND {where}
"""
COUNT_SQL = "SELECT count(*) FROM diplomacy_meeting AS m WHERE {where}"


class BadRequest(ValueError):
    pass


class Lookups:
    """Slug → id for topics and people, read once per process (reference data is small)."""

    def __init__(self, conn: psycopg.Connection):
        self.topics = dict(conn.execute("SELECT slug, id FROM diplomacy_topic").fetchall())
        self.people = dict(conn.execute("SELECT slug, id FROM diplomacy_person").fetchall())

    def ids(self, table: dict, slugs: list[str], what: str) -> list[int]:
        try:
            return [table[slug] for slug in slugs]
        except KeyError as missing:
            raise BadRequest(f"unknown {what} {missing}") from None


_conn: psycopg.Connection | None = None
_lookups: Lookups | None = None


def connection() -> tuple[psycopg.Connection, Lookups]:
    global _conn, _lookups
    if _conn is None or _conn.closed:
        _conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
        _lookups = Lookups(_conn)
    return _conn, _lookups


def _day(params: dict, name: str) -> date | None:
    value = params.get(name, [""])[0]
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name} must be YYYY-MM-DD") from None


def _positive(params: dict, name: str, default: int) -> int:
    value = params.get(name, [""])[0]
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise BadRequest(f"{name} must be a positive integer")
    return int(value)


def meeting_page(conn, lookups: Lookups, params: dict) -> tuple[int, list[tuple], int, int]:
    """Return (count, rows, page, page size) for the filters in `params`."""
    where = ["m.review_state <> 'rejected'"]
    args: dict = {}
    topics = lookups.ids(lookups.topics, params.get("topic", []), "topic")
    if topics:
        args["topics"] = topics
        where.append(
            "EXISTS (SELECT 1 FROM diplomacy_meetingtopic AS mt "
            "WHERE mt.meeting_id = m.id AND mt.topic_id = ANY(%(topics)s))"
        )
    for number, person in enumerate(
        lookups.ids(lookups.people, params.get("participant", []), "participant")
    ):
        args[f"person{number}"] = person
        where.append(
            "EXISTS (SELECT 1 FROM diplomacy_participation AS pa "
            f"WHERE pa.meeting_id = m.id AND pa.person_id = %(person{number})s)"
        )
    date_from, date_to = _day(params, "date_from"), _day(params, "date_to")
    if date_from:
        args["date_from"] = date_from
        where.append(
            "(m.end_date >= %(date_from)s"
            " OR (m.end_date IS NULL AND m.start_date >= %(date_from)s))"
        )
    if date_to:
        args["date_to"] = date_to
        where.append("m.start_date <= %(date_to)s")
    page = _positive(params, "page", 1)
    size = min(_positive(params, "page_size", PAGE_SIZE), MAX_PAGE_SIZE)
    condition = " AND ".join(where)
    if topics:
        # One topic: the (meeting, topic) pair is unique, so rows are meetings already.
        counted = "count(*)" if len(topics) == 1 else "count(DISTINCT mt.meeting_id)"
        count_sql = TOPIC_COUNT_SQL.format(count=counted, where=" AND ".join(where[:1] + where[2:]))
    else:
        count_sql = COUNT_SQL.format(where=condition)
    count = conn.execute(count_sql, args).fetchone()[0]
    rows = conn.execute(
        PAGE_SQL.format(where=condition), {**args, "limit": size, "offset": (page - 1) * size}
    ).fetchall()
    return count, rows, page, size


def page_link(base: str, params: dict, page: int) -> str:
    query = {key: values for key, values in params.items() if key != "page"}
    if page > 1:
        query["page"] = [str(page)]
    text = urlencode(sorted(query.items()), doseq=True)
    return f"{base}?{text}" if text else base


def meetings_json(environ: dict) -> bytes:
    conn, lookups = connection()
    params = parse_qs(environ.get("QUERY_STRING", ""))
    count, rows, page, size = meeting_page(conn, lookups, params)
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "localhost")
    origin = f"{environ.get('wsgi.url_scheme', 'http')}://{host}"
    base = f"{origin}{environ.get('PATH_INFO', '')}"
    results = [
        {
            "id": row[0],
            "slug": row[1],
            "title": row[2],
            "kind": row[3],
            "status": row[4],
            "start_date": row[5],
            "end_date": row[6],
            "date_precision": row[7],
            "announced": row[8],
            "location": {"slug": row[9], "name": row[10], "kind": row[11], "country": row[12]}
            if row[9] is not None
            else None,
            "participants": row[13],
            "topics": row[14],
            "article_count": row[15],
            "evidence_count": row[16],
            "url": f"{origin}/meetings/{quote(row[1])}/",
        }
        for row in rows
    ]
    return orjson.dumps(
        {
            "count": count,
            "next": page_link(base, params, page + 1) if page * size < count else None,
            "previous": page_link(base, params, page - 1) if page > 1 else None,
            "results": results,
        }
    )


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/healthz":
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"status":"ok"}']
    if path != "/api/v1/meetings/":
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return [b'{"detail":"Not found."}']
    try:
        body = meetings_json(environ)
    except BadRequest as error:
        start_response("400 Bad Request", [("Content-Type", "application/json")])
        return [orjson.dumps({"detail": str(error)})]
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
