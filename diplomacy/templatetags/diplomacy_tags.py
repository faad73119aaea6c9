"""Template tags and filters of the dashboard; the formatting itself is in diplomacy.formatting."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from diplomacy import formatting

register = template.Library()

register.filter("date_range", formatting.date_range)
register.filter("side_label", formatting.side_label)
register.filter("country_side", formatting.country_side)
register.filter("highlight_snippet", formatting.highlight_snippet)


@register.simple_tag
def meeting_dates(meeting) -> SafeString:
    """Render a meeting's dates at their precision inside a <time> element."""
    text = formatting.format_date_range(
        meeting.start_date, meeting.end_date, meeting.date_precision
    )
    machine = formatting.machine_date(meeting.start_date, meeting.date_precision)
    if not machine:
        return format_html('<span class="date-unknown">{}</span>', text)
    return format_html('<time datetime="{}">{}</time>', machine, text)
