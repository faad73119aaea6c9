"""Formatting for pages, charts and feeds: dates at their precision, sides, highlighted text.

Plain functions: the template tags, charts, selectors and views all use them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from html import escape as html_escape
from operator import itemgetter
from typing import NamedTuple
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
DASH = "\u2013"  # en dash between the ends of a range

SIDE_LABELS = {"us": "US", "cn": "China", "tw": "Taiwan", "other": "Other"}
COUNTRY_SIDES = {"US": "us", "CN": "cn", "TW": "tw"}

# ts_headline wraps matches in these private-use characters; they are turned into <mark> only
# after the rest of the snippet has been escaped.
HIGHLIGHT_START = "\ue000"
HIGHLIGHT_STOP = "\ue001"


def format_date_range(start: date | None, end: date | None, precision: str) -> str:
    """Return a date range written at its precision: "26–27 Jan 2024", "Nov 2023", "2023".

    A window without a calendar unit ("next week", "in the coming days") reads "between … and …".
    """
    if start is None or (precision == "unknown" and end is None):
        return "date unknown"
    if precision == "unknown":
        return f"between {_day_month_year(start)} and {_day_month_year(end)}"
    if end is None or end < start:
        end = start
    if precision == "year":
        return str(start.year) if start.year == end.year else f"{start.year}{DASH}{end.year}"
    if precision == "month":
        return _month_range(start, end)
    return _day_range(start, end)


def _month_range(start: date, end: date) -> str:
    if (start.year, start.month) == (end.year, end.month):
        return f"{MONTHS[start.month - 1]} {start.year}"
    if start.year == end.year:
        return f"{MONTHS[start.month - 1]}{DASH}{MONTHS[end.month - 1]} {start.year}"
    return f"{_month_year(start)} {DASH} {_month_year(end)}"


def _day_range(start: date, end: date) -> str:
    if start == end:
        return _day_month_year(start)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}{DASH}{end.day} {MONTHS[start.month - 1]} {start.year}"
    if start.year == end.year:
        return f"{start.day} {MONTHS[start.month - 1]} {DASH} {_day_month_year(end)}"
    return f"{_day_month_year(start)} {DASH} {_day_month_year(end)}"


def _month_year(day: date) -> str:
    return f"{MONTHS[day.month - 1]} {day.year}"


def _day_month_year(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def machine_date(day: date | None, precision: str) -> str:
    """Return the value of a <time datetime> attribute at the given precision."""
    if day is None or precision == "unknown":
        return ""
    if precision == "year":
        return f"{day.year:04d}"
    if precision == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


def period_label(day: date | None, precision: str) -> str:
    """Return the heading a meeting is grouped under on the timeline."""
    if day is None or precision == "unknown":
        return "Date unknown"
    if precision == "year":
        return f"{day.year} (month not known)"
    return f"{MONTH_NAMES[day.month - 1]} {day.year}"


def date_range(claim) -> str:
    """Format a date claim ({"start", "end", "precision"} with ISO dates)."""
    if not isinstance(claim, dict):
        return ""
    try:
        start = date.fromisoformat(claim.get("start") or "")
    except (TypeError, ValueError):
        return "date unknown"
    try:
        end = date.fromisoformat(claim.get("end") or "")
    except (TypeError, ValueError):
        end = None  # an open window, or a single day (format_date_range decides)
    return format_date_range(start, end, str(claim.get("precision") or "day"))


def side_label(side: str) -> str:
    return SIDE_LABELS.get(side or "", "Other")


def country_side(country: str) -> str:
    """Map a person's country to the side colour used by the dots."""
    return COUNTRY_SIDES.get((country or "").upper(), "other")


def highlight_snippet(text: str | None) -> SafeString:
    """Escape a ts_headline snippet, then turn its private markers into balanced <mark> tags."""
    pieces = re.split(f"([{HIGHLIGHT_START}{HIGHLIGHT_STOP}])", text or "")
    out: list[str] = []
    open_mark = False
    for piece in pieces:
        if piece == HIGHLIGHT_START:
            if not open_mark:
                out.append("<mark>")
                open_mark = True
        elif piece == HIGHLIGHT_STOP:
            if open_mark:
                out.append("</mark>")
                open_mark = False
        else:
            out.append(escape(piece))
    if open_mark:
        out.append("</mark>")
    return mark_safe("".join(out))  # every piece of text above went through escape()


def sentence_links(starts: Iterable[int]) -> SafeString:
    """Return links to a meeting's evidence sentences in the article: "sentence 1, sentence 2".

    Built in one join: a long article's panel lists a thousand of them.
    """
    return mark_safe(  # the only values are integers
        ", ".join(
            f'<a href="#ev-{int(start)}" class="small">sentence {number}</a>'
            for number, start in enumerate(starts, 1)
        )
    )


class Span(NamedTuple):
    """A stretch of the article body to wrap: an evidence sentence or an entity mention.

    A tuple, so that tens of thousands of them are built, sorted and unpacked cheaply.
    """

    start: int
    end: int
    kind: str  # evidence | person | location | topic | date | title
    url: str = ""
    label: str = ""  # tooltip: the resolved name, the ISO date, the meetings a sentence supports


def highlight_article(
    body: str, mentions: Iterable[Span], evidence: Iterable[Span] = ()
) -> SafeString:
    """Return the article body as HTML with evidence sentences and mentions wrapped.

    Every piece of article text, and every kind, URL and label, goes through the standard
    library's escape: the same text as Django's escape(), without the lazy-text wrapper that
    costs more than the escaping over the 60,000 pieces of a long article. Spans outside the
    body, empty, overlapping an earlier one of their kind or crossing a sentence boundary are
    dropped, so that the markup is always well nested. One pass over the sorted spans: a long
    article with tens of thousands of mentions renders in linear time.
    """
    length = len(body)
    sentences = _disjoint(_in_text_order(s for s in evidence if 0 <= s[0] < s[1] <= length))
    marks = _outside_or_within(
        _disjoint(_in_text_order(m for m in mentions if 0 <= m[0] < m[1] <= length)), sentences
    )
    out: list[str] = []
    tags: dict[tuple[str, str, str], tuple[str, str]] = {}
    cursor = index = 0
    for start, end, _kind, _url, label in sentences:
        index = _write_marks(out, body, cursor, start, marks, index, tags)
        out.append(f'<span class="evidence" id="ev-{start}" title="{html_escape(label)}">')
        index = _write_marks(out, body, start, end, marks, index, tags)
        out.append("</span>")
        cursor = end
    _write_marks(out, body, cursor, length, marks, index, tags)
    return mark_safe("".join(out))  # article text, kinds, URLs and labels all went through escape


def _in_text_order(spans: Iterable[Span]) -> list[Span]:
    """Sort spans by start, the longer first where two start together, else as given.

    Two stable sorts on C keys instead of one on a Python key: the mentions arrive in this
    order already, which both sorts see in one pass.
    """
    by_end = sorted(spans, key=itemgetter(1), reverse=True)  # reverse=True keeps ties in order
    return sorted(by_end, key=itemgetter(0))


def _disjoint(spans: Sequence[Span]) -> list[Span]:
    """Keep the sorted spans that do not overlap an earlier kept one."""
    kept: list[Span] = []
    reached = -1
    for span in spans:
        if span[0] < reached:
            continue
        kept.append(span)
        reached = span[1]
    return kept


def _outside_or_within(marks: list[Span], sentences: list[Span]) -> list[Span]:
    """Keep the marks that lie wholly inside or wholly outside every sentence.

    Both lists are sorted and disjoint, so only the first sentence ending after a mark's start
    can cross it: one walk over both.
    """
    kept: list[Span] = []
    ends = [sentence[1] for sentence in sentences]
    starts = [sentence[0] for sentence in sentences]
    count = len(sentences)
    index = 0
    for mark in marks:
        start, end = mark[0], mark[1]
        while index < count and ends[index] <= start:
            index += 1
        if (
            index == count
            or end <= starts[index]
            or (starts[index] <= start and end <= ends[index])
        ):
            kept.append(mark)
    return kept


def _write_marks(
    out: list[str],
    body: str,
    cursor: int,
    stop: int,
    marks: list[Span],
    index: int,
    tags: dict[tuple[str, str, str], tuple[str, str]],
) -> int:
    """Append body[cursor:stop] escaped, with the marks from `index` on that end by `stop`
    wrapped in their tags; return the index of the first mark left."""
    count = len(marks)
    while index < count:
        start, end, kind, url, label = marks[index]
        if end > stop:
            break
        # The tags of one entity are the same for all its mentions: built once per render.
        pair = tags.get((kind, url, label))
        if pair is None:
            pair = tags[kind, url, label] = _mention_tags(kind, url, label)
        out += (html_escape(body[cursor:start]), pair[0], html_escape(body[start:end]), pair[1])
        cursor = end
        index += 1
    out.append(html_escape(body[cursor:stop]))
    return index


def _mention_tags(kind: str, url: str, label: str) -> tuple[str, str]:
    """Return the opening and closing tag around a mention: a link when it has a URL."""
    if url:
        opening = '<a class="mention mention-{}" href="{}" title="{}">'
        return opening.format(*map(html_escape, (kind, url, label))), "</a>"
    opening = '<mark class="mention mention-{}" title="{}">'
    return opening.format(*map(html_escape, (kind, label))), "</mark>"


def mention_spans(rows: Iterable[tuple]) -> list[Span]:
    """Build highlight spans from article_mentions() rows, linking resolved entities.

    The URL of a person, place or topic is reversed once per entity, not once per mention.
    """
    links: dict[tuple[str, str, str], tuple[str, str]] = {}
    spans: list[Span] = []
    for (
        start,
        end,
        kind,
        _text,
        value,
        person_slug,
        person_name,
        location_slug,
        location_name,
        topic_slug,
        topic_name,
    ) in rows:
        if kind == "person" and person_slug:
            entity = (kind, person_slug, person_name or "")
        elif kind == "topic" and topic_slug:
            entity = (kind, topic_slug, topic_name or "")
        elif kind == "location" and location_slug:
            entity = (kind, location_slug, location_name or "")
        else:
            label = (value or "date") if kind == "date" else "Title" if kind == "title" else ""
            spans.append(Span(start, end, kind, "", label))
            continue
        link = links.get(entity)
        if link is None:
            link = links[entity] = _entity_link(*entity)
        spans.append(Span(start, end, kind, *link))
    return spans


def _entity_link(kind: str, slug: str, name: str) -> tuple[str, str]:
    """Return the URL and tooltip of a mention resolved to a person, place or topic."""
    if kind == "person":
        return reverse("diplomacy:person", args=[slug]), name
    if kind == "topic":
        return reverse("diplomacy:topic", args=[slug]), f"Topic: {name}"
    return reverse("diplomacy:timeline") + "?location=" + slug, f"Meetings in {name}"


# Exports and feeds of a list page ---------------------------------------------------------


class ExportLinks(NamedTuple):
    """The addresses of one list of meetings as CSV, JSON, an Atom feed and an iCalendar."""

    csv: str
    json: str
    atom: str
    ics: str


def export_links(filters: Iterable[tuple[str, str]]) -> ExportLinks:
    """Return the export and feed addresses of the meetings that match `filters`.

    `filters` are (name, value) pairs in the meeting list's filter names (DESIGN.md); every
    endpoint takes the same ones, so each address lists the meetings its page lists.
    """
    pairs = [(name, value) for name, value in filters if str(value).strip()]
    meetings = reverse("api:meeting-list")

    def address(path: str, *extra: tuple[str, str]) -> str:
        query = urlencode([*pairs, *extra])
        return f"{path}?{query}" if query else path

    return ExportLinks(
        csv=address(meetings, ("format", "csv")),
        json=address(meetings, ("format", "json")),
        atom=address(reverse("feeds:meetings-atom")),
        ics=address(reverse("feeds:meetings-ics")),
    )
