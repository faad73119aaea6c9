"""Reads: the queries behind pages and API endpoints."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Left, TruncMonth, TruncWeek, TruncYear

from articles.models import Article
from diplomacy.choices import (
    DatePrecision,
    EvidenceField,
    MeetingKind,
    MeetingStatus,
    ReviewState,
)
from diplomacy.models import (
    Evidence,
    Location,
    Meeting,
    MeetingTopic,
    Mention,
    Participation,
    Person,
    Topic,
)
from diplomacy.revision import cached_by_revision
from diplomacy.templatetags.diplomacy_tags import HIGHLIGHT_START, HIGHLIGHT_STOP, date_range

INTERVALS = {"week": TruncWeek, "month": TruncMonth, "year": TruncYear}

# Search ranks only the newest matches: ranking every match of a common word is what makes
# full-text search slow (see DESIGN.md, performance notes).
SEARCH_CANDIDATES = 1000
# ts_headline parses the whole text it is given; the start of a long article is enough.
HEADLINE_CHARS = 50_000
# A meeting page lists at most this many evidence sentences (a summit may have thousands):
# each is rendered once per fact it supports, most of the page's cost.
EVIDENCE_LIMIT = 200


def topic_activity(topic: Topic, interval: str = "month") -> list[dict]:
    """Return meetings and article mentions of a topic per period, oldest first.

    Meetings count by start date, mentions by the article's publication date; periods with
    neither are left out. Counting reads every mention of the topic, so the result is cached
    until the data changes.
    """
    return cached_by_revision(
        f"topic-activity:{topic.pk}:{interval}", lambda: _topic_activity(topic, interval)
    )


def _topic_activity(topic: Topic, interval: str) -> list[dict]:
    trunc = INTERVALS[interval]
    meetings = (
        Meeting.objects.visible()
        .filter(meeting_topics__topic=topic, start_date__isnull=False)
        .annotate(period=trunc("start_date"))
        .values("period")
        .annotate(count=Count("id"))
    )
    mentions = (
        Mention.objects.filter(topic=topic, article__published_at__isnull=False)
        .annotate(period=trunc("article__published_at"))
        .values("period")
        .annotate(count=Count("article", distinct=True))
    )
    periods: dict = {}
    for key, rows in (("meetings", meetings), ("articles", mentions)):
        for row in rows:
            counts = periods.setdefault(_as_date(row["period"]), {"meetings": 0, "articles": 0})
            counts[key] = row["count"]
    return [{"period": period, **counts} for period, counts in sorted(periods.items())]


def _as_date(value):
    return value.date() if hasattr(value, "date") else value


# Timeline ---------------------------------------------------------------------------------


def meeting_timeline(queryset: QuerySet[Meeting], oldest_first: bool = False) -> QuerySet[Meeting]:
    """Return filtered meetings in timeline order (undated last) with what a card shows."""
    start = (
        F("start_date").asc(nulls_last=True)
        if oldest_first
        else F("start_date").desc(nulls_last=True)
    )
    order = (start, "id") if oldest_first else (start, "-id")
    return queryset.order_by(*order).defer("search_vector", "summary").with_related()


def meeting_month_counts(queryset: QuerySet[Meeting]) -> dict[date, dict[str, int]]:
    """Return meetings per month and kind, for meetings dated to the day or the month."""
    rows = (
        queryset.filter(
            start_date__isnull=False,
            date_precision__in=[DatePrecision.DAY, DatePrecision.MONTH],
        )
        .annotate(month=TruncMonth("start_date"))
        .values("month", "kind")
        .annotate(count=Count("id"))
        .order_by()
    )
    counts: dict[date, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(_as_date(row["month"]), {})[row["kind"]] = row["count"]
    return counts


def timeline_filter_choices(revision: int | None = None) -> dict:
    """Return the options of the timeline's filter form, the same for every visitor.

    Three queries over every meeting-topic and participation row, so cached until the data
    changes.
    """
    return cached_by_revision("timeline-filter-choices", _timeline_filter_choices, revision)


def _timeline_filter_choices() -> dict:
    visible = ~Q(meeting_topics__meeting__review_state=ReviewState.REJECTED)
    topics = list(
        Topic.objects.annotate(meeting_count=Count("meeting_topics", filter=visible))
        .order_by("name")
        .values("slug", "name", "meeting_count")
    )
    taking_part = Participation.objects.filter(person=OuterRef("pk")).exclude(
        meeting__review_state=ReviewState.REJECTED
    )
    people = list(
        Person.objects.filter(Exists(taking_part))
        .order_by("name")
        .values("slug", "name", "country")
    )
    locations = list(Location.objects.order_by("name").values("slug", "name", "kind", "country"))
    return {"topics": topics, "people": people, "locations": locations}


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
MEETING_EVIDENCE_SQL = """
WITH per_article AS MATERIALIZED (
    SELECT article_id, count(*) AS row_count
    FROM diplomacy_evidence
    WHERE meeting_id = %(meeting)s
    GROUP BY article_id
), placed AS (
    SELECT c.article_id, c.row_count,
           sum(c.row_count) OVER (
               ORDER BY a.published_at ASC NULLS LAST, c.article_id ROWS UNBOUNDED PRECEDING
           ) - c.row_count AS rows_before
    FROM per_article AS c
    JOIN articles_article AS a ON a.id = c.article_id
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
    JOIN diplomacy_evidence AS e ON e.meeting_id = %(meeting)s AND e.article_id = page.article_id
) AS numbered
WHERE position >= %(start)s AND position < %(stop)s
ORDER BY position
"""


def meeting_evidence_ids(meeting_id: int, start: int, stop: int) -> list[int]:
    """Return the ids of a meeting's evidence rows `start` to `stop` (exclusive) in order of
    publication: by the article's publication date, undated last, then article, then offset."""
    if stop <= start:
        return []
    with connection.cursor() as cursor:
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


# Topics -----------------------------------------------------------------------------------


def topic_list() -> list[Topic]:
    """Return every topic with its number of meetings and the date of the latest one.

    Cached until the data changes: it counts every meeting-topic row.
    """
    return cached_by_revision("topic-list", _topic_list)


def _topic_list() -> list[Topic]:
    visible = ~Q(meeting_topics__meeting__review_state=ReviewState.REJECTED)
    return list(
        Topic.objects.select_related("parent")
        .annotate(
            meeting_count=Count("meeting_topics", filter=visible),
            latest_meeting=Max("meeting_topics__meeting__start_date", filter=visible),
        )
        .order_by("name")
    )


def topic_meetings(topic: Topic) -> QuerySet[Meeting]:
    links = MeetingTopic.objects.filter(meeting=OuterRef("pk"), topic=topic)
    return meeting_timeline(Meeting.objects.visible().filter(Exists(links)))


def topic_people(topic: Topic, limit: int = 10) -> list[dict]:
    """Return the people at the most meetings on the topic."""
    return list(
        Participation.objects.filter(meeting__meeting_topics__topic=topic)
        .exclude(meeting__review_state=ReviewState.REJECTED)
        .values("person__slug", "person__name", "person__country")
        .annotate(meetings=Count("meeting", distinct=True))
        .order_by("-meetings", "person__name")[:limit]
    )


def topic_cooccurring(topic: Topic, limit: int = 10) -> list[dict]:
    """Return the topics most often discussed at the same meetings as this one."""
    meetings = MeetingTopic.objects.filter(topic=topic).values("meeting")
    return list(
        MeetingTopic.objects.filter(meeting__in=Subquery(meetings))
        .exclude(topic=topic)
        .exclude(meeting__review_state=ReviewState.REJECTED)
        .values("topic__slug", "topic__name")
        .annotate(meetings=Count("meeting"))
        .order_by("-meetings", "topic__name")[:limit]
    )


def articles_mentioning(topic: Topic, limit: int = 10) -> list[Article]:
    """Return the newest articles that mention the topic."""
    mentions = Mention.objects.filter(article=OuterRef("pk"), topic=topic)
    return list(
        Article.objects.filter(Exists(mentions))
        .select_related("source")
        .defer("body", "search_vector")
        .order_by(F("published_at").desc(nulls_last=True), "-id")[:limit]
    )


# People -----------------------------------------------------------------------------------


def person_meetings(person: Person) -> QuerySet[Meeting]:
    taking_part = Participation.objects.filter(meeting=OuterRef("pk"), person=person)
    return meeting_timeline(Meeting.objects.visible().filter(Exists(taking_part)))


def person_counterparts(person: Person, limit: int = 10) -> list[dict]:
    """Return the people this person met most often."""
    meetings = Participation.objects.filter(person=person).values("meeting")
    return list(
        Participation.objects.filter(meeting__in=Subquery(meetings))
        .exclude(person=person)
        .exclude(meeting__review_state=ReviewState.REJECTED)
        .values("person__slug", "person__name", "person__country")
        .annotate(meetings=Count("meeting", distinct=True))
        .order_by("-meetings", "person__name")[:limit]
    )


def person_topics(person: Person, limit: int = 8) -> list[dict]:
    """Return the topics of this person's meetings, most frequent first."""
    meetings = Participation.objects.filter(person=person).values("meeting")
    return list(
        MeetingTopic.objects.filter(meeting__in=Subquery(meetings))
        .exclude(meeting__review_state=ReviewState.REJECTED)
        .values("topic__slug", "topic__name")
        .annotate(meetings=Count("meeting"))
        .order_by("-meetings", "topic__name")[:limit]
    )


# Articles ---------------------------------------------------------------------------------


def articles_recent(limit: int = 8) -> list[Article]:
    """Return the articles received last, whatever their status."""
    return list(
        Article.objects.only("id", "title", "url", "status", "created_at").order_by(
            "-created_at", "-id"
        )[:limit]
    )


def article_mentions(article: Article) -> list[dict]:
    return list(
        Mention.objects.filter(article=article)
        .order_by("start", "-end")
        .values(
            "kind",
            "text",
            "start",
            "end",
            "value",
            "person__slug",
            "person__name",
            "location__slug",
            "location__name",
            "topic__slug",
            "topic__name",
        )
    )


def article_evidence(article: Article) -> list[Evidence]:
    """Return the evidence taken from an article, with its meetings."""
    return list(
        Evidence.objects.filter(article=article)
        .select_related("meeting")
        .defer("meeting__search_vector", "meeting__summary")
        .order_by("start", "meeting_id")
    )


def article_meetings(article_id: int) -> list[Meeting]:
    """Return the meetings an article gave evidence for, by first sentence."""
    first = Evidence.objects.filter(article_id=article_id, meeting=OuterRef("pk")).order_by("start")
    return list(
        Meeting.objects.filter(Exists(first))
        .annotate(first_start=Subquery(first.values("start")[:1]))
        .order_by("first_start")
        .only("slug", "title", "kind", "status", "start_date", "end_date", "date_precision")
    )


def entity_counts(mentions: list[dict]) -> dict[str, list[tuple[str, str, int]]]:
    """Return the people, places and topics found in an article: (slug, name, mentions)."""
    found: dict[str, Counter] = {"person": Counter(), "location": Counter(), "topic": Counter()}
    for row in mentions:
        kind = row["kind"]
        if kind in found and row.get(f"{kind}__slug"):
            found[kind][(row[f"{kind}__slug"], row[f"{kind}__name"])] += 1
    return {
        kind: [(slug, name, count) for (slug, name), count in counter.most_common()]
        for kind, counter in found.items()
    }


# Search -----------------------------------------------------------------------------------


def text_query(value: str) -> SearchQuery:
    return SearchQuery(value, search_type="websearch", config="english")


def ranked_ids(matches: QuerySet, query: SearchQuery, newest: str) -> list[int]:
    """Return the ids of the newest SEARCH_CANDIDATES `matches`, best ranked first.

    One query: the candidates are read newest first (by the `newest` date, from its index)
    and ranked; callers page over the ids, so nothing is counted or ranked twice.
    """
    order = (F(newest).desc(nulls_last=True), "-id")
    candidates = matches.order_by(*order).values("id")[:SEARCH_CANDIDATES]
    return list(
        matches.model.objects.filter(id__in=Subquery(candidates))
        .annotate(rank=SearchRank(F("search_vector"), query))
        .order_by("-rank", *order)
        .values_list("id", flat=True)
    )


def article_search(query: SearchQuery) -> list[int]:
    """Return the ids of articles matching the query, best first."""
    return ranked_ids(Article.objects.filter(search_vector=query), query, "published_at")


def articles_by_id(ids: list[int]) -> list[Article]:
    """Return these articles (without their text) with their sources, in the order given."""
    return in_given_order(
        Article.objects.select_related("source").defer("body", "search_vector"), ids
    )


def meeting_search(query: SearchQuery) -> list[int]:
    """Return the ids of visible meetings matching the query, best first."""
    return ranked_ids(meeting_matches(query), query, "start_date")


def meeting_matches(query: SearchQuery) -> QuerySet[Meeting]:
    return Meeting.objects.visible().filter(search_vector=query)


def meetings_by_id(ids: list[int]) -> list[Meeting]:
    """Return these meetings, in the order given."""
    return in_given_order(Meeting.objects.defer("search_vector"), ids)


def headlines(model, ids: list[int], query: SearchQuery, expression) -> dict[int, str]:
    """Return ts_headline snippets for the given rows only (headlines are costly)."""
    if not ids:
        return {}
    rows = (
        model.objects.filter(id__in=ids)
        .annotate(
            snippet=SearchHeadline(
                expression,
                query,
                config="english",
                start_sel=HIGHLIGHT_START,
                stop_sel=HIGHLIGHT_STOP,
                max_words=40,
                min_words=15,
                max_fragments=2,
                fragment_delimiter=" … ",
            )
        )
        .values_list("id", "snippet")
    )
    return dict(rows)


def article_headlines(ids: list[int], query: SearchQuery) -> dict[int, str]:
    return headlines(Article, ids, query, Left("body", HEADLINE_CHARS))


def meeting_headlines(ids: list[int], query: SearchQuery) -> dict[int, str]:
    return headlines(Meeting, ids, query, "summary")
