"""List shaping: rows built by PostgreSQL, ready for orjson, without model instances.

Nested serializers cost 5–10× the raw-SQL limit on the meeting list (DESIGN.md, "Performance
notes"), so list rows are `values()` dicts with participants and topics aggregated into JSON
arrays in the same query. Detail views keep ModelSerializers.
"""

from urllib.parse import quote

import orjson
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import Count, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, JSONObject

from diplomacy.choices import MentionKind, ReviewState
from diplomacy.models import Location, Meeting, MeetingTopic, Mention, Participation

# Columns shown as stored: those before the nested objects, and the counts after them.
MEETING_HEAD_FIELDS = (
    "id",
    "slug",
    "title",
    "kind",
    "status",
    "start_date",
    "end_date",
    "date_precision",
    "announced",
)
MEETING_COUNT_FIELDS = ("article_count", "evidence_count")
# The nested objects are rebuilt with keys in documented order: jsonb sorts keys by length.
LOCATION_KEYS = ("slug", "name", "kind", "country")
PARTICIPANT_KEYS = ("slug", "name", "country", "role")
TOPIC_KEYS = ("slug", "name")
AGGREGATED_FIELDS = {"location_object", "participant_list", "topic_list"}
# Extra columns the feeds need besides the list row.
MEETING_FEED_FIELDS = ("summary", "location_note", "first_reported_at", "created_at", "updated_at")
MEETING_CSV_HEADER = (
    "id",
    "slug",
    "title",
    "kind",
    "status",
    "start_date",
    "end_date",
    "date_precision",
    "announced",
    "location",
    "location_name",
    "participants",
    "participant_names",
    "topics",
    "article_count",
    "evidence_count",
    "url",
)
SLUG_PLACEHOLDER = "meeting-slug-placeholder"


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


# The rows of one page, given their ids: a fixed statement, so nothing is compiled per request.
# json (not jsonb) keeps the keys in the documented order; ::text lets orjson decode them.
MEETING_ROWS_SQL = """
SELECT m.id, m.slug, m.title, m.kind, m.status, m.start_date, m.end_date, m.date_precision,
       m.announced, m.article_count, m.evidence_count,
       l.slug, l.name, l.kind, l.country,
       (SELECT json_agg(json_build_object('slug', p.slug, 'name', p.name,
                                          'country', p.country, 'role', pa.role)
                        ORDER BY pa.id)::text
        FROM diplomacy_participation AS pa JOIN diplomacy_person AS p ON p.id = pa.person_id
        WHERE pa.meeting_id = m.id),
       (SELECT json_agg(json_build_object('slug', t.slug, 'name', t.name)
                        ORDER BY t.name, t.id)::text
        FROM diplomacy_meetingtopic AS mt JOIN diplomacy_topic AS t ON t.id = mt.topic_id
        WHERE mt.meeting_id = m.id)
FROM diplomacy_meeting AS m
LEFT JOIN diplomacy_location AS l ON l.id = m.location_id
WHERE m.id = ANY(%s)
"""


def meeting_rows(ids: list[int]) -> list[dict]:
    """Return the list rows of these meetings, in the order of `ids` (two round trips less
    compiling than `meeting_list_values`, the same dicts)."""
    if not ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(MEETING_ROWS_SQL, [ids])
        fetched = cursor.fetchall()
    rows = {}
    for row in fetched:
        item = dict(zip(MEETING_HEAD_FIELDS + MEETING_COUNT_FIELDS, row[:11], strict=True))
        item["location_object"] = (
            dict(zip(LOCATION_KEYS, row[11:15], strict=True)) if row[11] is not None else None
        )
        item["participant_list"] = orjson.loads(row[15]) if row[15] else []
        item["topic_list"] = orjson.loads(row[16]) if row[16] else []
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


class MeetingRowShaper:
    """Turn `meeting_list_values` rows into the API's list items for one request."""

    def __init__(self, request):
        # Reverse once per request, not once per row: the meeting page URL differs only by slug.
        page = Meeting(slug=SLUG_PLACEHOLDER).get_absolute_url()
        self.url_template = request.build_absolute_uri(page)

    def url(self, slug: str) -> str:
        return self.url_template.replace(SLUG_PLACEHOLDER, quote(slug))

    def __call__(self, row: dict) -> dict:
        """Return the row as a list item, in the documented field order; extras follow."""
        location = row["location_object"]
        item = {field: row[field] for field in MEETING_HEAD_FIELDS}
        item["location"] = location and {key: location[key] for key in LOCATION_KEYS}
        item["participants"] = [
            {key: person[key] for key in PARTICIPANT_KEYS} for person in row["participant_list"]
        ]
        item["topics"] = [{key: topic[key] for key in TOPIC_KEYS} for topic in row["topic_list"]]
        item.update((field, row[field]) for field in MEETING_COUNT_FIELDS)
        item["url"] = self.url(row["slug"])
        for field, value in row.items():
            if field not in item and field not in AGGREGATED_FIELDS:
                item[field] = value
        return item

    def csv_row(self, row: dict) -> list:
        row = self(row)
        location = row["location"] or {}
        return [
            row["id"],
            row["slug"],
            row["title"],
            row["kind"],
            row["status"],
            row["start_date"],
            row["end_date"],
            row["date_precision"],
            row["announced"],
            location.get("slug"),
            location.get("name"),
            [person["slug"] for person in row["participants"]],
            [person["name"] for person in row["participants"]],
            [topic["slug"] for topic in row["topics"]],
            row["article_count"],
            row["evidence_count"],
            row["url"],
        ]


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


def article_meetings(article_id: int) -> QuerySet[Meeting]:
    """Return the meetings an article reports (through its evidence), newest first."""
    return (
        Meeting.objects.visible()
        .filter(evidence__article_id=article_id)
        .distinct()
        .only("id", "slug", "title", "start_date")
        .order_by(F("start_date").desc(nulls_last=True), "-pk")
    )


def article_mentions_by_kind(article_id: int) -> dict[str, list[dict]]:
    """Return an article's mentions grouped by kind, each kind present, in text order."""
    grouped: dict[str, list[dict]] = {kind: [] for kind in MentionKind.values}
    mentions = (
        Mention.objects.filter(article_id=article_id)
        .order_by("start", "pk")
        .values(
            "kind",
            "text",
            "start",
            "end",
            "value",
            person_slug=F("person__slug"),
            location_slug=F("location__slug"),
            topic_slug=F("topic__slug"),
        )
    )
    for mention in mentions:
        linked = [mention.pop(f"{entity}_slug") for entity in ("person", "location", "topic")]
        mention["slug"] = next((slug for slug in linked if slug), None)
        grouped.setdefault(mention.pop("kind"), []).append(mention)
    return grouped
