"""Template tags and filters of the dashboard; the formatting itself is in diplomacy.formatting.

The article pages belong to `articles`, which imports nothing of diplomacy: they include
diplomacy's fragments by name, and those fragments read what extraction found through the
article tags below.
"""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from diplomacy import formatting, selectors
from diplomacy.roles import can_curate

register = template.Library()

register.filter("date_range", formatting.date_range)
register.filter("side_label", formatting.side_label)
register.filter("country_side", formatting.country_side)
register.filter("highlight_snippet", formatting.highlight_snippet)
register.filter("sentence_links", formatting.sentence_links)


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


# Where the findings of the articles rendered by one template live: the article page includes
# two fragments (its text and its side panels) that share one computation.
_FINDINGS = "diplomacy.article_findings"


def _curator(context) -> bool:
    """Return whether the reader may see rejected meetings (curators and staff)."""
    user = context.get("user")
    return user is not None and can_curate(user)


@register.simple_tag(takes_context=True)
def viewer_can_curate(context) -> bool:
    """Return whether the reader is a curator (or staff), who may re-run extraction."""
    return _curator(context)


@register.simple_tag(takes_context=True)
def article_findings(context, article) -> selectors.ArticleFindings:
    """Return what extraction found in the article, as the reader may see it."""
    # dicts[0] of the render context lasts for the whole render, includes and all (Django
    # keeps its own per-render caches there); the later dicts are per template.
    shared = context.render_context.dicts[0].setdefault(_FINDINGS, {})
    include_rejected = _curator(context)
    key = (article.pk, include_rejected)
    if key not in shared:
        shared[key] = selectors.article_findings(article, include_rejected=include_rejected)
    return shared[key]


@register.simple_tag(takes_context=True)
def article_sentences(context, article) -> list:
    """Return the article's evidence sentences for a curator's alias form, else nothing."""
    if not _curator(context):
        return []
    return selectors.article_sentences(article.pk)


@register.simple_tag(takes_context=True)
def article_meetings_found(context, article) -> list:
    """Return the meetings the article gave evidence for, as the reader may see them."""
    return selectors.article_meetings(article.pk, include_rejected=_curator(context))


@register.filter
def row_dates(row: dict) -> str:
    """Format a meeting list row's dates at their precision."""
    return formatting.format_date_range(row["start_date"], row["end_date"], row["date_precision"])


@register.simple_tag
def meeting_channels(meeting) -> list:
    """Return the channels a meeting was held through."""
    return selectors.meeting_channels(meeting.pk)


@register.simple_tag
def meeting_readouts(meeting, sources=None, truncated=False, limit=None) -> list:
    """Return the two governments' readouts of a meeting, or [] unless both published one.

    Given the articles already shown (`sources`, with their sources) and not `truncated`, a
    meeting that lacks one government's readout costs no query. `limit` caps the articles
    and sentences listed per side.
    """
    if sources is not None and not truncated:
        sides = {article.source.side for article in sources if article.source_id}
        if not set(selectors.READOUT_SIDES) <= sides:
            return []
    return selectors.meeting_readouts(meeting.pk, limit)


@register.filter
def role_label(role: str) -> str:
    """Spell an office role key as words ("foreign-minister": foreign minister)."""
    return (role or "").replace("-", " ")


@register.simple_tag
def evidence_quote(evidence) -> SafeString:
    """Render a sentence with its article, as a list item, once per request.

    A meeting page lists up to a hundred sentences, each under every fact it supports: the
    markup is built here rather than by an included template (a few hundred includes were
    most of the page's time), and kept on the row for the next fact that lists it.
    """
    rendered = getattr(evidence, "rendered_quote", None)
    if rendered is None:
        rendered = evidence.rendered_quote = _quote_html(evidence)
    return rendered


def _quote_html(evidence) -> SafeString:
    article = evidence.article
    url = reverse("articles:article", args=[evidence.article_id])
    source = format_html(" · {}", article.source.name) if article.source else ""
    published = ""
    if article.published_at:
        day = timezone.localtime(article.published_at).date()
        label = f"{day.day} {formatting.MONTHS[day.month - 1]} {day.year}"
        published = format_html(' · <time datetime="{}">{}</time>', day.isoformat(), label)
    conflicting = bool(evidence.conflicting)
    return format_html(
        '<li class="quote{}">\n  <blockquote data-evidence="{}">{}</blockquote>\n'
        '  <p class="quote-source">\n    <a href="{}#ev-{}">{}</a>{}{}\n'
        '    <span class="confidence" title="Extraction confidence">{}% confidence</span>\n'
        "    {}\n  </p>\n</li>\n",
        " quote-conflicting" if conflicting else "",
        evidence.pk,
        evidence.quote,
        url,
        evidence.start,
        article.title or "Untitled article",
        source,
        published,
        "" if evidence.confidence is None else round(float(evidence.confidence) * 100),
        mark_safe(CONFLICT_BADGE if conflicting else ""),
    )


CONFLICT_BADGE = '<span class="badge badge-conflict">Conflicts with the curated value</span>'
