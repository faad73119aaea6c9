"""Reads: the queries behind pages and API endpoints."""

from django.db.models import Count
from django.db.models.functions import TruncMonth, TruncWeek, TruncYear

from diplomacy.models import Meeting, Mention, Topic

INTERVALS = {"week": TruncWeek, "month": TruncMonth, "year": TruncYear}


def topic_activity(topic: Topic, interval: str = "month") -> list[dict]:
    """Return meetings and article mentions of a topic per period, oldest first.

    Meetings count by start date, mentions by the article's publication date; periods with
    neither are left out.
    """
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
