"""Reads for channels: the channel list, one channel's meetings, and a meeting's readouts."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from statistics import median

from django.db import connections, router
from django.db.models import Exists, OuterRef, Q, QuerySet

from articles.choices import SourceSide
from diplomacy.choices import MeetingStatus, ReviewState
from diplomacy.formatting import country_side
from diplomacy.models import Channel, ChannelSuspension, Evidence, Meeting, MeetingChannel, Topic
from diplomacy.revision import cached_by_revision
from diplomacy.selectors import tables
from diplomacy.selectors.meetings import MEETING_CORE_FIELDS, visible_meeting_count

CHANNEL_LIST_FIELDS = ("slug", "name", "kind", "us_role", "cn_role", "start_date", "description")
# The two governments whose readouts are set side by side, in display order.
READOUT_SIDES = (SourceSide.US_GOVERNMENT, SourceSide.PRC_GOVERNMENT)


def suspended_on(today: date) -> Exists:
    """True for the outer channel when a suspension covers `today`."""
    return Exists(
        ChannelSuspension.objects.filter(channel=OuterRef("pk"), start_date__lte=today).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=today)
        )
    )


def channel_list_values(queryset: QuerySet[Channel], today: date) -> list[dict]:
    """Return channel rows as dicts, with counts, the last meeting and whether suspended."""
    rows = list(
        queryset.values(
            *CHANNEL_LIST_FIELDS,
            "pk",
            meeting_count=visible_meeting_count(MeetingChannel, "channel"),
            suspended=suspended_on(today),
        )
    )
    latest = _last_meetings([row["pk"] for row in rows], today)
    for row in rows:
        found = latest.get(row.pop("pk"), {})
        row["last_meeting_date"] = found.get("meeting__start_date")
        row["last_meeting_slug"] = found.get("meeting__slug")
        row["last_meeting_title"] = found.get("meeting__title")
    return rows


# Each channel's latest held, shown meeting on or before a day: the meetings are walked newest
# first (meeting_start_idx) until one linked to the channel, which for a channel met often is
# within the first few; a join of every link, sorted, read tens of thousands at a million.
_LAST_MEETINGS = f"""
SELECT channel.id, latest.start_date, latest.slug, latest.title
FROM unnest(%(channels)s::bigint[]) AS channel (id)
CROSS JOIN LATERAL (
    SELECT m.start_date, m.slug, m.title
    FROM {tables.MEETING} AS m
    WHERE m.status = %(held)s AND m.start_date <= %(today)s AND m.review_state <> %(rejected)s
      AND EXISTS (
          SELECT 1 FROM {tables.MEETING_CHANNEL} AS link
          WHERE link.channel_id = channel.id AND link.meeting_id = m.id
      )
    ORDER BY m.start_date DESC NULLS LAST, m.id DESC
    LIMIT 1
) AS latest
"""


def _last_meetings(channel_ids: list[int], today: date) -> dict[int, dict]:
    """Return each channel's latest held, shown meeting on or before `today`, by channel id."""
    with connections[router.db_for_read(Meeting)].cursor() as cursor:
        cursor.execute(
            _LAST_MEETINGS,
            {
                "channels": channel_ids,
                "held": MeetingStatus.HELD.value,
                "today": today,
                "rejected": ReviewState.REJECTED.value,
            },
        )
        return {
            pk: {"meeting__start_date": day, "meeting__slug": slug, "meeting__title": title}
            for pk, day, slug, title in cursor.fetchall()
        }


def days_between(earlier: date | None, later: date) -> int | None:
    return (later - earlier).days if earlier else None


@dataclass
class Interval:
    """The time between two consecutive meetings of a channel."""

    start_date: date
    end_date: date
    days: int
    suspended: bool  # a suspension overlapped it


@dataclass
class ChannelHistory:
    """One channel's meetings in date order, with the gaps between them."""

    channel: Channel
    suspensions: list[ChannelSuspension]
    meetings: list[dict]  # CHANNEL_MEETING_FIELDS rows, oldest first
    intervals: list[Interval]
    last_meeting: dict | None
    current_gap: int | None  # days since the last meeting
    suspended: bool
    topics_by_year: list[dict] = field(default_factory=list)
    people_by_side: dict[str, list[dict]] = field(default_factory=dict)
    years: list[int] = field(default_factory=list)
    gaps: dict[int, int] = field(default_factory=dict)  # meeting id -> days since the previous
    interval_ends: list[int] = field(default_factory=list)  # the later meeting of each interval

    @property
    def median_interval(self) -> int | None:
        return round(median(i.days for i in self.intervals)) if self.intervals else None

    @property
    def longest_interval(self) -> Interval | None:
        return max(self.intervals, key=lambda i: i.days) if self.intervals else None


# What the channel page and the intervals need of each meeting: no participants or topics,
# which `channel_summary` counts in SQL and the API reads for one page (`meeting_rows`).
CHANNEL_MEETING_FIELDS = MEETING_CORE_FIELDS


def channel_history(channel: Channel, today: date) -> ChannelHistory:
    """Return a channel's shown meetings in date order, its suspensions and its gaps, with its
    summary (`channel_summary`): cached for this revision of the data and this day, since a
    channel of thousands of meetings costs tens of milliseconds to read and measure."""
    history = cached_by_revision(
        f"channel-history:{channel.pk}:{today.isoformat()}",
        lambda: channel_summary(_channel_history(channel, today)),
        latest_only=True,
    )
    history.channel = channel
    return history


def _channel_history(channel: Channel, today: date) -> ChannelHistory:
    """Read a channel's history.

    The meetings are light rows (CHANNEL_MEETING_FIELDS), one query whatever the channel's
    size; `channel_summary` adds the topics per year and the people by side.
    """
    suspensions = list(channel.suspensions.order_by("start_date"))
    meetings = list(
        Meeting.objects.visible()
        .filter(meeting_channels__channel=channel)
        .order_by("start_date", "pk")
        .values(*CHANNEL_MEETING_FIELDS)
    )
    held = [
        row
        for row in meetings
        if row["status"] == MeetingStatus.HELD and row["start_date"] and row["start_date"] <= today
    ]
    intervals = [
        Interval(
            start_date=before["start_date"],
            end_date=after["start_date"],
            days=(after["start_date"] - before["start_date"]).days,
            suspended=any(
                s.start_date <= after["start_date"]
                and (s.end_date is None or s.end_date >= before["start_date"])
                for s in suspensions
            ),
        )
        for before, after in pairwise(held)
    ]
    last = held[-1] if held else None
    history = ChannelHistory(
        channel=channel,
        suspensions=suspensions,
        meetings=meetings,
        intervals=intervals,
        last_meeting=last,
        current_gap=days_between(last["start_date"] if last else None, today),
        suspended=any(
            s.start_date <= today and (s.end_date is None or s.end_date >= today)
            for s in suspensions
        ),
    )
    history.gaps = {
        after["id"]: interval.days for after, interval in zip(held[1:], intervals, strict=True)
    }
    history.interval_ends = [after["id"] for after in held[1:]]
    return history


# Topics per year (dated meetings) and people with their meetings, counted by PostgreSQL over
# the channel's shown meetings: a few dozen rows back, however many meetings it has.
CHANNEL_SUMMARY_SQL = f"""
SELECT 'topic', t.slug, t.name, '', EXTRACT(YEAR FROM m.start_date)::int, count(*)
FROM {tables.MEETING_CHANNEL} AS mc
JOIN {tables.MEETING} AS m ON m.id = mc.meeting_id
JOIN {tables.MEETING_TOPIC} AS mt ON mt.meeting_id = m.id
JOIN {tables.TOPIC} AS t ON t.id = mt.topic_id
WHERE mc.channel_id = %(channel)s AND m.review_state <> %(rejected)s
  AND m.start_date IS NOT NULL
GROUP BY t.slug, t.name, 5
UNION ALL
SELECT 'person', p.slug, p.name, p.country, NULL, count(*)
FROM {tables.MEETING_CHANNEL} AS mc
JOIN {tables.MEETING} AS m ON m.id = mc.meeting_id
JOIN {tables.PARTICIPATION} AS pa ON pa.meeting_id = m.id
JOIN {tables.PERSON} AS p ON p.id = pa.person_id
WHERE mc.channel_id = %(channel)s AND m.review_state <> %(rejected)s
GROUP BY p.slug, p.name, p.country
"""


def channel_summary(history: ChannelHistory) -> ChannelHistory:
    """Count topics per year and people per side over the channel's meetings (one query)."""
    with connections[router.db_for_read(Meeting)].cursor() as cursor:
        cursor.execute(
            CHANNEL_SUMMARY_SQL,
            {"channel": history.channel.pk, "rejected": ReviewState.REJECTED.value},
        )
        fetched = cursor.fetchall()
    years = sorted({row["start_date"].year for row in history.meetings if row["start_date"]})
    per_year: dict[str, Counter] = defaultdict(Counter)
    names: dict[str, str] = {}
    people = []
    for kind, slug, name, country, year, count in fetched:
        if kind == "topic":
            names[slug] = name
            per_year[slug][year] += count
        else:
            side = country_side(country)
            people.append(
                {"slug": slug, "name": name, "country": country, "side": side, "meetings": count}
            )
    history.years = years
    history.topics_by_year = sorted(
        (
            {
                "slug": slug,
                "name": names[slug],
                "total": sum(counts.values()),
                "years": [counts.get(year, 0) for year in years],
            }
            for slug, counts in per_year.items()
        ),
        key=lambda item: (-item["total"], item["name"]),
    )
    by_side: dict[str, list[dict]] = defaultdict(list)
    for person in sorted(people, key=lambda p: (-p["meetings"], p["name"])):
        by_side[person["side"]].append(person)
    history.people_by_side = dict(by_side)
    return history


def meeting_channels(meeting_id: int) -> list[Channel]:
    """Return the channels a meeting was held through, by name."""
    return list(Channel.objects.filter(meeting_channels__meeting_id=meeting_id).order_by("name"))


# Readouts -----------------------------------------------------------------------------------


@dataclass
class Readout:
    """What one government's readouts of a meeting say."""

    side: str
    label: str
    articles: list[dict]  # {id, title, source, published_at}
    sentences: list[dict]  # {article_id, quote}, in article then text order
    topics: list[dict]  # {slug, name}
    only_here: list[dict]  # topics the other government's readouts leave out
    # Counted in full even when `limit` cut the lists above.
    article_count: int = 0
    sentence_count: int = 0

    def as_item(self) -> dict:
        """Return the API's item (the fields above but the counts)."""
        return {
            "side": self.side,
            "label": self.label,
            "articles": self.articles,
            "sentences": self.sentences,
            "topics": self.topics,
            "only_here": self.only_here,
        }

    @property
    def cut(self) -> bool:
        return len(self.sentences) < self.sentence_count or len(self.articles) < self.article_count


def meeting_readouts(meeting_id: int, limit: int | None = None) -> list[Readout]:
    """Return the US and PRC governments' readouts of a meeting, side by side.

    Empty unless both governments published one: a single readout has nothing to be set
    against. Topics come from the claims of each side's evidence sentences, all of them;
    `limit` keeps at most that many articles and sentences per side (a meeting read out
    many times has hundreds), with `article_count` and `sentence_count` telling how many
    there are.
    """
    rows = list(
        Evidence.objects.filter(meeting_id=meeting_id, article__source__side__in=READOUT_SIDES)
        .order_by("article__published_at", "article_id", "start")
        .values(
            "article_id",
            "quote",
            "claims",
            "article__title",
            "article__published_at",
            "article__source__name",
            "article__source__side",
        )
    )
    by_side: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_side[row["article__source__side"]].append(row)
    if not all(by_side.get(side) for side in READOUT_SIDES):
        return []
    slugs_by_side = {
        side: list(
            dict.fromkeys(
                slug for row in by_side[side] for slug in (row["claims"] or {}).get("topics", [])
            )
        )
        for side in READOUT_SIDES
    }
    every = {slug for slugs in slugs_by_side.values() for slug in slugs}
    names = dict(Topic.objects.filter(slug__in=every).values_list("slug", "name"))
    readouts = []
    for side in READOUT_SIDES:
        other = next(s for s in READOUT_SIDES if s != side)
        topics = [
            {"slug": slug, "name": names[slug]} for slug in slugs_by_side[side] if slug in names
        ]
        readout = Readout(
            side=side,
            label=SourceSide(side).label,
            articles=[],
            sentences=[],
            topics=topics,
            only_here=[t for t in topics if t["slug"] not in slugs_by_side[other]],
        )
        _readout_texts(readout, by_side[side], limit)
        readouts.append(readout)
    return readouts


def _readout_texts(readout: Readout, rows: list[dict], limit: int | None) -> None:
    """Fill a readout's articles and distinct sentences, at most `limit` of each."""
    articles: set[int] = set()
    seen: set[tuple[int, str]] = set()
    for row in rows:
        if row["article_id"] not in articles:
            articles.add(row["article_id"])
            if limit is None or len(readout.articles) < limit:
                readout.articles.append(
                    {
                        "id": row["article_id"],
                        "title": row["article__title"],
                        "source": row["article__source__name"],
                        "published_at": row["article__published_at"],
                    }
                )
        key = (row["article_id"], row["quote"])
        if key not in seen:
            seen.add(key)
            if limit is None or len(readout.sentences) < limit:
                readout.sentences.append({"article_id": row["article_id"], "quote": row["quote"]})
    readout.article_count = len(articles)
    readout.sentence_count = len(seen)
