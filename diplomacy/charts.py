"""Charts drawn on the server as inline SVG: no script, no external library, readable offline.

Colours come from CSS classes (static/css/app.css), so the markup carries no inline style and
works under a strict Content-Security-Policy. Every chart has a text alternative.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape
from math import sqrt
from typing import TYPE_CHECKING

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from diplomacy.choices import MeetingKind
from diplomacy.formatting import MONTHS

if TYPE_CHECKING:
    from diplomacy.selectors.network import Network, NetworkNode

STRIP_WIDTH = 960  # viewBox units; CSS scales the SVG to the column width
STRIP_HEIGHT = 84
STRIP_BARS = 62  # tallest bar; the rest holds the year labels
MAX_BAR = 28  # widest bar, in viewBox units
ACTIVITY_WIDTH = 960
ACTIVITY_PANEL = 92  # height of one panel (meetings or articles)


@dataclass(frozen=True)
class MonthBar:
    month: date  # first day of the month
    counts: dict[str, int]  # meetings by kind
    url: str = ""  # where clicking the month leads (its date range)
    selected: bool = False

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def month_span(first: date, last: date) -> list[date]:
    """Return the first day of every month from `first` to `last` inclusive."""
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def month_label(month: date) -> str:
    return f"{MONTHS[month.month - 1]} {month.year}"


def month_strip(bars: Sequence[MonthBar]) -> SafeString:
    """Draw meetings per month as stacked bars coloured by kind; each month is a link."""
    if not bars:
        return mark_safe("")
    step = STRIP_WIDTH / len(bars)
    gap = max(min(2.0, step * 0.2), step - MAX_BAR)  # few months: slim bars, wide click areas
    tallest = max((bar.total for bar in bars), default=0) or 1
    kinds = [kind for kind, _ in MeetingKind.choices]
    labels = dict(MeetingKind.choices)
    columns = []
    for index, bar in enumerate(bars):
        x = index * step
        rects = []
        y = STRIP_BARS
        for kind in kinds:
            count = bar.counts.get(kind, 0)
            if not count:
                continue
            height = max(1.5, STRIP_BARS * count / tallest)
            y -= height
            rects.append(
                format_html(
                    '<rect class="kind-{}" x="{}" y="{}" width="{}" height="{}"/>',
                    kind,
                    num(x + gap / 2),
                    num(y),
                    num(step - gap),
                    num(height),
                )
            )
        breakdown = ", ".join(
            f"{bar.counts[kind]} {labels[kind].lower()}" for kind in kinds if bar.counts.get(kind)
        )
        summary = f"{month_label(bar.month)}: {_meetings(bar.total)}"
        if breakdown and len([k for k in kinds if bar.counts.get(k)]) > 1:
            summary += f" ({breakdown})"
        hit = format_html(
            '<rect class="hit{}" x="{}" y="0" width="{}" height="{}"/>',
            " selected" if bar.selected else "",
            num(x),
            num(step),
            STRIP_BARS,
        )
        body = format_html(
            "<title>{}</title>{}{}", summary, hit, mark_safe("".join(str(r) for r in rects))
        )
        if bar.url and bar.total:
            columns.append(
                format_html(
                    '<a href="{}" class="month" data-filter-link aria-label="{}">{}</a>',
                    bar.url,
                    summary + ". Show this month.",
                    body,
                )
            )
        else:
            columns.append(format_html('<g class="month">{}</g>', body))
    years = []
    for index, bar in enumerate(bars):
        if bar.month.month == 1 or index == 0:
            years.append(
                format_html(
                    '<text class="axis-label" x="{}" y="{}">{}</text>',
                    num(index * step + 1),
                    STRIP_HEIGHT - 6,
                    bar.month.year,
                )
            )
            years.append(
                format_html(
                    '<line class="axis-tick" x1="{}" x2="{}" y1="{}" y2="{}"/>',
                    num(index * step),
                    num(index * step),
                    STRIP_BARS,
                    STRIP_BARS + 8,
                )
            )
    total = sum(bar.total for bar in bars)
    description = (
        f"Meetings per month from {month_label(bars[0].month)} to {month_label(bars[-1].month)}: "
        f"{_meetings(total)} in all; the busiest month had {tallest}."
    )
    return format_html(
        '<svg class="strip-chart" viewBox="0 0 {} {}" role="group" aria-label="{}">'
        '<line class="axis" x1="0" x2="{}" y1="{}" y2="{}"/>{}{}</svg>',
        STRIP_WIDTH,
        STRIP_HEIGHT,
        description,
        STRIP_WIDTH,
        STRIP_BARS + 0.5,
        STRIP_BARS + 0.5,
        mark_safe("".join(str(c) for c in columns)),
        mark_safe("".join(str(y) for y in years)),
    )


def num(value: float) -> str:
    """Return a coordinate with at most two decimals ("12", "3.5")."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _meetings(count: int) -> str:
    return f"{count} meeting" if count == 1 else f"{count} meetings"


def activity_chart(rows: Sequence[dict], subject: str = "the topic") -> SafeString:
    """Draw meetings and article mentions per month as two panels sharing the month axis.

    `rows` is topic_activity() or person_activity() output: {"period", "meetings",
    "articles"}, oldest first, with empty months left out; they are filled in here so the
    axis is continuous.
    """
    if not rows:
        return mark_safe("")
    by_month = {row["period"].replace(day=1): row for row in rows}
    months = month_span(min(by_month), max(by_month))
    step = ACTIVITY_WIDTH / len(months)
    gap = max(min(2.0, step * 0.2), step - MAX_BAR)
    height = ACTIVITY_PANEL * 2 + 26

    def panel(key: str, top: float, title: str, css: str) -> SafeString:
        values = [by_month.get(month, {}).get(key, 0) for month in months]
        tallest = max(values) or 1
        base = top + ACTIVITY_PANEL - 16
        usable = ACTIVITY_PANEL - 34
        bars = []
        for index, (month, value) in enumerate(zip(months, values, strict=True)):
            if not value:
                continue
            bar_height = max(1.5, usable * value / tallest)
            bars.append(
                format_html(
                    '<rect class="{}" x="{}" y="{}" width="{}" height="{}">'
                    "<title>{}: {} {}</title></rect>",
                    css,
                    num(index * step + gap / 2),
                    num(base - bar_height),
                    num(step - gap),
                    num(bar_height),
                    month_label(month),
                    value,
                    title.lower(),
                )
            )
        return format_html(
            '<text class="panel-title" x="0" y="{}">{} (most in a month: {})</text>'
            '<line class="axis" x1="0" x2="{}" y1="{}" y2="{}"/>{}',
            top + 12,
            title,
            max(values),
            ACTIVITY_WIDTH,
            base + 0.5,
            base + 0.5,
            mark_safe("".join(str(b) for b in bars)),
        )

    ticks = format_html_join(
        "",
        '<line class="year-rule" x1="{0}" x2="{0}" y1="16" y2="{1}"/>'
        '<text class="axis-label" x="{2}" y="{3}">{4}</text>',
        (
            (num(index * step), height - 16, num(index * step + 2), height - 4, month.year)
            for index, month in enumerate(months)
            if month.month == 1 or index == 0
        ),
    )
    meetings_total = sum(row["meetings"] for row in rows)
    articles_total = sum(row["articles"] for row in rows)
    description = (
        f"Activity from {month_label(months[0])} to {month_label(months[-1])}: "
        f"{_meetings(meetings_total)} and {articles_total} articles mentioning {subject}."
    )
    return format_html(
        '<svg class="activity-chart" viewBox="0 0 {} {}" role="img" aria-label="{}">{}{}{}</svg>',
        ACTIVITY_WIDTH,
        height,
        description,
        ticks,
        panel("meetings", 0, "Meetings", "bar-meetings"),
        panel("articles", ACTIVITY_PANEL + 8, "Articles", "bar-articles"),
    )


def month_bars(
    counts: dict[date, dict[str, int]],
    url_for: Callable[[date], str],
    selected: Callable[[date], bool],
) -> list[MonthBar]:
    """Return a bar for every month between the first and last with meetings."""
    if not counts:
        return []
    return [
        MonthBar(month, counts.get(month, {}), url_for(month), selected(month))
        for month in month_span(min(counts), max(counts))
    ]


CHANNEL_WIDTH = 960
CHANNEL_HEIGHT = 96
CHANNEL_AXIS = 64  # y of the time axis; meetings sit above it, year labels below
CHANNEL_MARGIN = 12  # keeps the first and last markers inside the frame


def channel_chart(meetings: Sequence[dict], suspensions: Sequence, today: date) -> SafeString:
    """Draw a channel's meetings on a time axis, with its suspensions as shaded intervals.

    `meetings` are meeting list rows (slug, title, kind, status, start_date, url), oldest
    first; meetings not held (planned, cancelled) are drawn hollow;
    `suspensions` have start_date and end_date (None while still suspended). Each meeting
    links to its meeting page; the page's table of meetings is the text alternative.
    """
    dated = [row for row in meetings if row["start_date"]]
    if not dated:
        return mark_safe("")
    first = min([dated[0]["start_date"], *(s.start_date for s in suspensions)])
    last = max([dated[-1]["start_date"], today])
    first = date(first.year, 1, 1)
    span = max((last - first).days, 1)
    usable = CHANNEL_WIDTH - 2 * CHANNEL_MARGIN

    def x(day: date) -> float:
        return CHANNEL_MARGIN + usable * (day - first).days / span

    shaded = format_html_join(
        "",
        '<rect class="suspension" x="{}" y="8" width="{}" height="{}">'
        "<title>Suspended from {} {}</title></rect>",
        (
            (
                num(x(s.start_date)),
                num(max(2.0, x(s.end_date or today) - x(s.start_date))),
                CHANNEL_AXIS - 8,
                s.start_date.isoformat(),
                f"to {s.end_date.isoformat()}" if s.end_date else "(still suspended)",
            )
            for s in suspensions
        ),
    )
    years = format_html_join(
        "",
        '<line class="year-rule" x1="{0}" x2="{0}" y1="8" y2="{1}"/>'
        '<text class="axis-label" x="{2}" y="{3}">{4}</text>',
        (
            (num(x(date(year, 1, 1))), CHANNEL_AXIS + 6, num(x(date(year, 1, 1)) + 2), 84, year)
            for year in range(first.year, last.year + 1)
            if (last.year - first.year) < 12 or year % 5 == 0
        ),
    )
    markers = _channel_markers(dated, x)
    now = format_html(
        '<line class="today-rule" x1="{0}" x2="{0}" y1="4" y2="{1}"/>'
        '<text class="axis-label today-label" x="{2}" y="12">today</text>',
        num(x(today)),
        CHANNEL_AXIS,
        num(x(today) - 30),
    )
    description = (
        f"{_meetings(len(dated))} from {dated[0]['start_date'].isoformat()} to "
        f"{dated[-1]['start_date'].isoformat()}"
        + (f", with {len(suspensions)} suspension(s) shaded" if suspensions else "")
        + ". The table below lists them."
    )
    return format_html(
        '<svg class="channel-chart" viewBox="0 0 {} {}" role="group" aria-label="{}">'
        '{}{}<line class="axis" x1="0" x2="{}" y1="{}" y2="{}"/>{}{}</svg>',
        CHANNEL_WIDTH,
        CHANNEL_HEIGHT,
        description,
        shaded,
        years,
        CHANNEL_WIDTH,
        CHANNEL_AXIS + 0.5,
        CHANNEL_AXIS + 0.5,
        now,
        markers,
    )


def _channel_markers(dated: Sequence[dict], x: Callable[[date], float]) -> SafeString:
    """Draw each meeting of a channel as a linked circle.

    Built with plain string formatting, escaping only what comes from the data: a channel
    can have hundreds of meetings, and format_html costs a lazy escape per value.
    """
    parts = []
    for index, row in enumerate(dated):
        suffix = "" if row["status"] == "held" else f" ({escape(row['status'])})"
        parts.append(
            f'<a href="{escape(row["url"])}" class="channel-meeting">'
            f'<circle class="kind-{escape(row["kind"])} status-{escape(row["status"])}" '
            f'cx="{num(x(row["start_date"]))}" cy="{CHANNEL_AXIS - 14 - 12 * (index % 3)}" r="6">'
            f"<title>{row['start_date'].isoformat()}: {escape(row['title'])}{suffix}</title>"
            "</circle></a>"
        )
    return mark_safe("".join(parts))  # every value from the data is escaped above


NETWORK_X = {"us": 0, "cn": 120}  # US officials on the left, PRC officials on the right
NETWORK_TOP = 40  # room for the two column headings
NETWORK_ROW = 30
NETWORK_NAME_CHARS = 19  # longer names are cut (the full name is in the node's title)
NETWORK_HEADINGS = {"us": "United States", "cn": "China"}
# Widths of a character of a name (13px) and of the headings (12px capitals, spaced), in
# viewBox units: the viewBox is cut to the longest names, so a phone shrinks the chart no more
# than it must.
NETWORK_NAME_EM = 7.4
NETWORK_HEADING_EM = 9.0
NETWORK_RADIUS = (4, 10)  # smallest and largest node


def network_chart(
    network: Network,
    edge_url: Callable[[str, str], str],
    person_url: Callable[[str], str],
    ego: str = "",
) -> SafeString:
    """Draw who met whom: US officials in a column on the left, PRC officials on the right,
    each ordered as given (busiest first), a line between two officials who met, as thick as
    their number of meetings.

    Each official links to `person_url(slug)` (their page), each line to
    `edge_url(us_slug, cn_slug)` (their meetings); `ego` is highlighted. The page's table of
    pairs is the text alternative.
    """
    if not network.edges:
        return mark_safe("")
    columns = {side: network.side(side) for side in NETWORK_X}
    rows = max(len(nodes) for nodes in columns.values())
    height = NETWORK_TOP + rows * NETWORK_ROW + 8
    places = {
        node.slug: (NETWORK_X[side], _network_y(index, len(nodes), rows))
        for side, nodes in columns.items()
        for index, node in enumerate(nodes)
    }
    busiest_edge = max(edge.meeting_count for edge in network.edges)
    names = {node.slug: node.name for node in network.nodes}
    edges = format_html_join(
        "",
        '<a href="{}" class="network-edge" aria-label="{}">'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke-width="{}"><title>{}</title></line></a>',
        (
            (
                edge_url(edge.source, edge.target),
                label,
                places[edge.source][0],
                num(places[edge.source][1]),
                places[edge.target][0],
                num(places[edge.target][1]),
                num(1.5 + 8.5 * (edge.meeting_count - 1) / max(busiest_edge - 1, 1)),
                label,
            )
            for edge in network.edges
            for label in [_edge_label(names, edge)]
        ),
    )
    busiest_node = max(node.meeting_count for node in network.nodes)
    nodes = mark_safe(
        "".join(
            str(
                _network_node(
                    node, places[node.slug], busiest_node, node.slug == ego, person_url(node.slug)
                )
            )
            for node in network.nodes
        )
    )
    headings = format_html_join(
        "",
        '<text class="network-heading" x="{}" y="16" text-anchor="{}">{}</text>',
        (
            (NETWORK_X[side] + (-6 if side == "us" else 6), anchor, NETWORK_HEADINGS[side])
            for side, anchor in (("us", "end"), ("cn", "start"))
        ),
    )
    left, right = (_network_reach(columns[side], side) for side in ("us", "cn"))
    description = (
        f"{len(columns['us'])} US and {len(columns['cn'])} PRC officials, "
        f"{len(network.edges)} pairs who met, in {_meetings(network.meeting_count)}. "
        "The table of pairs lists them."
    )
    width = right - left
    return format_html(
        '<svg class="network-chart" viewBox="{} 0 {} {}" width="{}" height="{}" role="group" '
        'aria-label="{}">{}{}{}</svg>',
        num(left),
        num(width),
        height,
        num(width),
        height,
        description,
        headings,
        edges,
        nodes,
    )


def _network_reach(nodes: Sequence[NetworkNode], side: str) -> float:
    """Return the x of the far end of a column's longest name (or its heading)."""
    name = max((len(_short_name(node.name)) for node in nodes), default=0) * NETWORK_NAME_EM
    heading = len(NETWORK_HEADINGS[side]) * NETWORK_HEADING_EM
    reach = max(NETWORK_RADIUS[1] + 5 + name, heading) + 8
    return NETWORK_X[side] - reach if side == "us" else NETWORK_X[side] + reach


def _short_name(name: str) -> str:
    if len(name) <= NETWORK_NAME_CHARS:
        return name
    return name[: NETWORK_NAME_CHARS - 1].rstrip() + "…"


def _network_y(index: int, count: int, rows: int) -> float:
    """Spread a column's officials over the height of the longer column."""
    return NETWORK_TOP + (index + 0.5) * rows * NETWORK_ROW / count


def _edge_label(names: dict[str, str], edge) -> str:
    return f"{names[edge.source]} and {names[edge.target]}: {_meetings(edge.meeting_count)}"


def _network_node(node: NetworkNode, place: tuple[float, float], busiest: int, ego: bool, url: str):
    x, y = place
    smallest, largest = NETWORK_RADIUS
    radius = smallest + (largest - smallest) * sqrt(node.meeting_count / busiest)
    name = _short_name(node.name)
    offset = radius + 5
    return format_html(
        '<a href="{}" class="network-node side-{}{}" aria-label="{}">'
        '<title>{}</title><circle cx="{}" cy="{}" r="{}"/>'
        '<text x="{}" y="{}" text-anchor="{}">{}</text></a>',
        url,
        node.side,
        " ego" if ego else "",
        f"{node.name}: {_meetings(node.meeting_count)}",
        f"{node.name}: {_meetings(node.meeting_count)}",
        x,
        num(y),
        num(radius),
        num(x - offset if node.side == "us" else x + offset),
        num(y + 4.5),
        "end" if node.side == "us" else "start",
        name,
    )
