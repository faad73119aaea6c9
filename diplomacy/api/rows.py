"""Shaping meeting and channel list rows (from diplomacy.selectors) into API items and CSV rows."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from urllib.parse import quote

from django.urls import get_script_prefix

from diplomacy.models import Channel, Meeting
from diplomacy.selectors.channels import CHANNEL_LIST_FIELDS, ChannelHistory, days_between
from diplomacy.selectors.meetings import (
    AGGREGATED_FIELDS,
    LOCATION_KEYS,
    MEETING_COUNT_FIELDS,
    MEETING_HEAD_FIELDS,
    MEETING_LIST_FIELDS,
    PARTICIPANT_KEYS,
    ROW_COUNTS,
    ROW_HEAD,
    ROW_PARTICIPANTS,
    ROW_TOPICS,
    TOPIC_KEYS,
    row_json_list,
    row_location,
)

SLUG_PLACEHOLDER = "meeting-slug-placeholder"

# The CSV has the list's columns, with the nested objects flattened: a place gives its slug
# and name, participants and topics their slugs (and participants their names).
CSV_COLUMNS = {
    "location": (
        ("location", lambda row: (row["location"] or {}).get("slug")),
        ("location_name", lambda row: (row["location"] or {}).get("name")),
    ),
    "participants": (
        ("participants", lambda row: [person["slug"] for person in row["participants"]]),
        ("participant_names", lambda row: [person["name"] for person in row["participants"]]),
    ),
    "topics": (("topics", lambda row: [topic["slug"] for topic in row["topics"]]),),
}
MEETING_CSV_HEADER = tuple(
    column
    for name in MEETING_LIST_FIELDS
    for column in ([flat for flat, _ in CSV_COLUMNS[name]] if name in CSV_COLUMNS else [name])
)


@lru_cache(maxsize=16)
def page_path(model, script_prefix: str) -> str:
    """Return the path of the model's HTML page with SLUG_PLACEHOLDER for the slug, reversed
    once per process (and prefix: a deployment under a sub-path has its own)."""
    return model(slug=SLUG_PLACEHOLDER).get_absolute_url()


# Slugs recur from request to request: each is quoted once.
quoted_slug = lru_cache(maxsize=8192)(quote)


class MeetingRowShaper:
    """Turn meeting list rows into the API's list items for one request."""

    def __init__(self, request):
        # The meeting page URL differs only by slug: build it once per request, not per row.
        page = page_path(Meeting, get_script_prefix())
        self.url_template = request.build_absolute_uri(page)
        self.url_prefix, self.url_suffix = self.url_template.split(SLUG_PLACEHOLDER)

    def url(self, slug: str) -> str:
        return self.url_prefix + quoted_slug(slug) + self.url_suffix

    def list_item(self, row: tuple) -> dict:
        """Return a row of MEETING_ROW_COLUMNS (selectors.meetings) as a list item.

        The item `self(meeting_row(row))` gives, built in one step for the list's hot path:
        the statement's json keeps the nested objects' keys in documented order already.
        """
        item = dict(zip(MEETING_HEAD_FIELDS, row[ROW_HEAD], strict=True))
        item["location"] = row_location(row)
        item["participants"] = row_json_list(row[ROW_PARTICIPANTS])
        item["topics"] = row_json_list(row[ROW_TOPICS])
        item.update(zip(MEETING_COUNT_FIELDS, row[ROW_COUNTS], strict=True))
        item["url"] = self.url(item["slug"])
        return item

    def __call__(self, row: dict) -> dict:
        """Return the row as a list item, in the documented field order; extras follow."""
        location = row["location_object"]
        item = {name: row[name] for name in MEETING_HEAD_FIELDS}
        item["location"] = location and {key: location[key] for key in LOCATION_KEYS}
        item["participants"] = [
            {key: person[key] for key in PARTICIPANT_KEYS} for person in row["participant_list"]
        ]
        item["topics"] = [{key: topic[key] for key in TOPIC_KEYS} for topic in row["topic_list"]]
        item.update((name, row[name]) for name in MEETING_COUNT_FIELDS)
        item["url"] = self.url(row["slug"])
        for name, value in row.items():
            if name not in item and name not in AGGREGATED_FIELDS:
                item[name] = value
        return item

    def csv_row(self, row: dict) -> list:
        """Return the row as CSV cells, in the order of MEETING_CSV_HEADER."""
        item = self(row)
        cells = []
        for name in MEETING_LIST_FIELDS:
            if name in CSV_COLUMNS:
                cells += [value(item) for _, value in CSV_COLUMNS[name]]
            else:
                cells.append(item[name])
        return cells


class ChannelRowShaper:
    """Turn channel list rows (diplomacy.selectors.channels) into the API's items."""

    def __init__(self, request, today):
        self.request = request
        self.today = today
        self.meetings = MeetingRowShaper(request)
        page = page_path(Channel, get_script_prefix())
        self.url_template = request.build_absolute_uri(page)

    def url(self, slug: str) -> str:
        return self.url_template.replace(SLUG_PLACEHOLDER, quote(slug))

    def last_meeting(self, slug, title, start_date) -> dict | None:
        if not slug:
            return None
        return {
            "slug": slug,
            "title": title,
            "start_date": start_date,
            "url": self.meetings.url(slug),
        }

    def __call__(self, row: dict) -> dict:
        item = {name: row[name] for name in CHANNEL_LIST_FIELDS}
        last = row["last_meeting_date"]
        item["meeting_count"] = row["meeting_count"]
        item["last_meeting"] = self.last_meeting(
            row["last_meeting_slug"], row["last_meeting_title"], last
        )
        item["days_since_last"] = days_between(last, self.today)
        item["suspended"] = row["suspended"]
        item["url"] = self.url(row["slug"])
        return item

    def detail(self, history: ChannelHistory, page: ChannelMeetingsPage) -> dict:
        """Return the channel with one page of its meetings and the intervals ending on it."""
        channel = history.channel
        last = history.last_meeting
        item = {name: getattr(channel, name) for name in CHANNEL_LIST_FIELDS}
        item["meeting_count"] = len(history.meetings)
        item["last_meeting"] = last and self.last_meeting(
            last["slug"], last["title"], last["start_date"]
        )
        item["days_since_last"] = history.current_gap
        item["suspended"] = history.suspended
        item["url"] = self.url(channel.slug)
        item["aliases"] = list(channel.aliases)
        item["suspensions"] = [
            {
                "start_date": suspension.start_date,
                "end_date": suspension.end_date,
                "side": suspension.side,
                "note": suspension.note,
            }
            for suspension in history.suspensions
        ]
        item["meetings"] = [self.meetings(row) for row in page.rows]
        item["meetings_next"] = page.next_url
        item["meetings_previous"] = page.previous_url
        shown = {row["id"] for row in page.rows}
        item["intervals"] = [
            asdict(interval)
            for interval, end in zip(history.intervals, history.interval_ends, strict=True)
            if end in shown
        ]
        return item


@dataclass
class ChannelMeetingsPage:
    """One page of a channel's meetings in the detail: their list rows and the links around."""

    rows: list[dict]
    next_url: str | None
    previous_url: str | None
