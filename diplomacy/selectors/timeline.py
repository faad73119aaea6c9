"""Reads behind the timeline, topic and person pages."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncMonth, TruncWeek, TruncYear

from articles.models import Article
from diplomacy.choices import (
    DatePrecision,
    ReviewState,
)
from diplomacy.models import (
    Location,
    Meeting,
    MeetingTopic,
    Mention,
    Participation,
    Person,
    Topic,
    TopicDay,
)
from diplomacy.revision import cached_by_revision

INTERVALS = {"week": TruncWeek, "month": TruncMonth, "year": TruncYear}


def topic_activity(topic: Topic, interval: str = "month") -> list[dict]:
    """Return meetings and article mentions of a topic per period, oldest first.

    Meetings count by start date, mentions by the article's publication date; periods with
    neither are left out. Articles are summed from TopicDay (the articles of each day that
    mention the topic: a few thousand rows a topic), not counted from every mention; the
    result is cached until the data changes all the same.
    """
    return cached_by_revision(
        f"topic-activity:{topic.pk}:{interval}", lambda: _topic_activity(topic, interval)
    )


def _topic_activity(topic: Topic, interval: str) -> list[dict]:
    meetings = Meeting.objects.visible().filter(meeting_topics__topic=topic)
    days = TopicDay.objects.filter(topic=topic, articles__gt=0)
    return activity_per_period(meetings, days, interval, published="day", count=Sum("articles"))


def person_activity(person: Person, interval: str = "month") -> list[dict]:
    """Return a person's meetings and the articles mentioning them per period, oldest first.

    Counted like `topic_activity`, and cached the same way.
    """
    return cached_by_revision(
        f"person-activity:{person.pk}:{interval}", lambda: _person_activity(person, interval)
    )


def _person_activity(person: Person, interval: str) -> list[dict]:
    meetings = Meeting.objects.visible().filter(participations__person=person)
    return activity_per_period(meetings, Mention.objects.filter(person=person), interval)


def activity_per_period(
    meetings: QuerySet[Meeting],
    mentions: QuerySet[Mention] | QuerySet[TopicDay],
    interval: str,
    published: str = "article__published_at",
    count=None,
) -> list[dict]:
    """Count meetings (by start date) and mentioning articles (by publication date) per period.

    `mentions` are mentions (an article counted once however often it names the subject), or
    other rows with a date at `published` whose `count` adds up to articles. Two queries;
    periods with neither are left out.
    """
    trunc = INTERVALS[interval]
    meeting_counts = (
        meetings.filter(start_date__isnull=False)
        .annotate(period=trunc("start_date"))
        .values("period")
        .annotate(count=Count("id"))
        .order_by()
    )
    article_counts = (
        mentions.filter(**{f"{published}__isnull": False})
        .annotate(period=trunc(published))
        .values("period")
        .annotate(count=count or Count("article", distinct=True))
        .order_by()
    )
    periods: dict = {}
    for key, rows in (("meetings", meeting_counts), ("articles", article_counts)):
        for row in rows:
            counts = periods.setdefault(_as_date(row["period"]), {"meetings": 0, "articles": 0})
            counts[key] = row["count"]
    return [{"period": period, **counts} for period, counts in sorted(periods.items())]


def _as_date(value):
    return value.date() if hasattr(value, "date") else value


# Timeline ---------------------------------------------------------------------------------


def meeting_timeline(
    queryset: QuerySet[Meeting], oldest_first: bool = False, cards: bool = True
) -> QuerySet[Meeting]:
    """Return filtered meetings in timeline order (undated last) with what a card shows, or
    (`cards=False`) with their dates alone, for cards that are cached."""
    start = (
        F("start_date").asc(nulls_last=True)
        if oldest_first
        else F("start_date").desc(nulls_last=True)
    )
    order = (start, "id") if oldest_first else (start, "-id")
    queryset = queryset.order_by(*order)
    if not cards:
        return queryset.only("pk", "start_date", "date_precision")
    return queryset.defer("search_vector", "summary").with_related()


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
    """Return the newest articles that mention the topic (walking the topic's end of
    article_topic_published_idx: one row per article, newest first)."""
    return list(
        Article.objects.filter(article_topics__topic=topic)
        .select_related("source")
        .defer("body", "search_vector")
        .order_by(F("article_topics__published_at").desc(nulls_last=True), "-id")[:limit]
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
