"""Formatting for pages, charts and feeds: dates at their precision, sides, highlighted text.

Plain functions: the template tags, charts, selectors and views all use them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import NamedTuple

from django.urls import reverse
from django.utils.html import escape, format_html
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

    Every piece of article text goes through escape(); spans outside the body, empty,
    overlapping an earlier one of their kind or crossing a sentence boundary are dropped, so
    that the markup is always well nested. One pass over the sorted spans: a long article
    with tens of thousands of mentions renders in linear time.
    """
    length = len(body)
    sentences = _disjoint(
        sorted((s for s in evidence if 0 <= s.start < s.end <= length), key=_span_order)
    )
    marks = _outside_or_within(
        _disjoint(sorted((m for m in mentions if 0 <= m.start < m.end <= length), key=_span_order)),
        sentences,
    )
    out: list[str] = []
    cursor = 0
    index = 0
    for sentence in sentences:
        before, index = _marks_ending_by(marks, index, sentence.start)
        out.append(_with_mentions(body, cursor, sentence.start, before))
        inside, index = _marks_ending_by(marks, index, sentence.end)
        out.append(
            format_html(
                '<span class="evidence" id="ev-{}" title="{}">', sentence.start, sentence.label
            )
        )
        out.append(_with_mentions(body, sentence.start, sentence.end, inside))
        out.append("</span>")
        cursor = sentence.end
    out.append(_with_mentions(body, cursor, length, marks[index:]))
    return mark_safe("".join(out))  # built from escape() and format_html() pieces only


def _span_order(span: Span) -> tuple[int, int]:
    return (span.start, -span.end)


def _disjoint(spans: Sequence[Span]) -> list[Span]:
    """Keep the sorted spans that do not overlap an earlier kept one."""
    kept: list[Span] = []
    for span in spans:
        if kept and span.start < kept[-1].end:
            continue
        kept.append(span)
    return kept


def _outside_or_within(marks: list[Span], sentences: list[Span]) -> list[Span]:
    """Keep the marks that lie wholly inside or wholly outside every sentence.

    Both lists are sorted and disjoint, so only the first sentence ending after a mark's start
    can cross it: one walk over both.
    """
    kept: list[Span] = []
    index = 0
    for mark in marks:
        while index < len(sentences) and sentences[index].end <= mark.start:
            index += 1
        sentence = sentences[index] if index < len(sentences) else None
        if (
            sentence is None
            or mark.end <= sentence.start
            or (sentence.start <= mark.start and mark.end <= sentence.end)
        ):
            kept.append(mark)
    return kept


def _marks_ending_by(marks: list[Span], index: int, stop: int) -> tuple[list[Span], int]:
    """Return the marks from `index` on that end by `stop`, and the index after them."""
    end = index
    while end < len(marks) and marks[end].end <= stop:
        end += 1
    return marks[index:end], end


def _with_mentions(body: str, start: int, end: int, marks: list[Span]) -> str:
    out: list[str] = []
    cursor = start
    for mark in marks:
        out.append(escape(body[cursor : mark.start]))
        text = body[mark.start : mark.end]
        if mark.url:
            out.append(
                format_html(
                    '<a class="mention mention-{}" href="{}" title="{}">{}</a>',
                    mark.kind,
                    mark.url,
                    mark.label,
                    text,
                )
            )
        else:
            out.append(
                format_html(
                    '<mark class="mention mention-{}" title="{}">{}</mark>',
                    mark.kind,
                    mark.label,
                    text,
                )
            )
        cursor = mark.end
    out.append(escape(body[cursor:end]))
    return "".join(out)


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
