"""Reads behind article pages and the article API: what was extracted from an article."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Subquery
from django.utils.safestring import SafeString

from articles.models import Article
from diplomacy.choices import MentionKind, ReviewState
from diplomacy.formatting import Span, highlight_article, mention_spans
from diplomacy.models import Evidence, Meeting, Mention
from diplomacy.revision import cached_by_revision

# One row of article_mentions(): the span, what was found, and the slug and name of the person,
# place or topic it was resolved to (None where it was not).
MENTION_COLUMNS = (
    "start",
    "end",
    "kind",
    "text",
    "value",
    "person__slug",
    "person__name",
    "location__slug",
    "location__name",
    "topic__slug",
    "topic__name",
)


def article_mentions(article_id: int) -> list[tuple]:
    """Return an article's mentions in text order (the longer first where two start together),
    as tuples of MENTION_COLUMNS: a long article has tens of thousands."""
    return list(
        Mention.objects.filter(article_id=article_id)
        .order_by("start", "-end", "pk")
        .values_list(*MENTION_COLUMNS)
    )


def article_evidence(article: Article, include_rejected: bool = False) -> list[tuple]:
    """Return the evidence taken from an article in text order, as tuples
    (start, end, meeting id, meeting slug, meeting title, fields).

    Evidence for rejected meetings is left out unless `include_rejected` (for curators).
    """
    evidence = Evidence.objects.filter(article=article)
    if not include_rejected:
        evidence = evidence.exclude(meeting__review_state=ReviewState.REJECTED)
    return list(
        evidence.order_by("start", "meeting_id").values_list(
            "start", "end", "meeting_id", "meeting__slug", "meeting__title", "fields"
        )
    )


def article_meetings(article_id: int, include_rejected: bool = False) -> list[Meeting]:
    """Return the meetings an article gave evidence for, by first sentence.

    Rejected meetings are left out unless `include_rejected` (for curators).
    """
    first = Evidence.objects.filter(article_id=article_id, meeting=OuterRef("pk")).order_by("start")
    meetings = Meeting.objects.all() if include_rejected else Meeting.objects.visible()
    return list(
        meetings.filter(Exists(first))
        .annotate(first_start=Subquery(first.values("start")[:1]))
        .order_by("first_start")
        .only(
            "slug",
            "title",
            "kind",
            "status",
            "review_state",
            "start_date",
            "end_date",
            "date_precision",
        )
    )


def entity_counts(mentions: list[tuple]) -> dict[str, list[tuple[str, str, int]]]:
    """Return the people, places and topics found in an article: (slug, name, mentions).

    `mentions` are article_mentions() rows; the most mentioned come first.
    """
    found: dict[str, Counter] = {"person": Counter(), "location": Counter(), "topic": Counter()}
    for (
        _start,
        _end,
        kind,
        _text,
        _value,
        person_slug,
        person_name,
        location_slug,
        location_name,
        topic_slug,
        topic_name,
    ) in mentions:
        if kind == "person" and person_slug:
            found[kind][person_slug, person_name] += 1
        elif kind == "location" and location_slug:
            found[kind][location_slug, location_name] += 1
        elif kind == "topic" and topic_slug:
            found[kind][topic_slug, topic_name] += 1
    return {
        kind: [(slug, name, count) for (slug, name), count in counter.most_common()]
        for kind, counter in found.items()
    }


def article_mentions_by_kind(article_id: int) -> dict[str, list[dict]]:
    """Return an article's mentions grouped by kind, each kind present, in text order."""
    grouped: dict[str, list[dict]] = {kind: [] for kind in MentionKind.values}
    for row in article_mentions(article_id):
        start, end, kind, text, value = row[:5]
        slug = next((slug for slug in row[5::2] if slug), None)  # person, location, topic
        grouped.setdefault(kind, []).append(
            {"text": text, "start": start, "end": end, "value": value, "slug": slug}
        )
    return grouped


@dataclass(frozen=True)
class ArticleFindings:
    """What extraction found in an article, ready for its page."""

    highlighted: SafeString  # the body with evidence sentences and mentions wrapped
    entities: dict[str, list[tuple[str, str, int]]]  # entity_counts()
    meetings: list[dict]  # {"slug", "title", "fields", "sentences" (their starts)}


def article_findings(article: Article, include_rejected: bool = False) -> ArticleFindings:
    """Return an article's highlighted body, entities and meetings, cached per data revision.

    Highlighting a long article with tens of thousands of mentions takes a fifth of a second;
    repeated views read it from the cache until extraction or curation changes the data. The
    key holds the article's status and processing time as well, for changes made without the
    revision moving on, and who is reading: rejected meetings are shown only to curators.
    """
    processed = article.processed_at.isoformat() if article.processed_at else ""
    audience = "curators" if include_rejected else "readers"
    return cached_by_revision(
        f"article-findings:{article.pk}:{article.status}:{processed}:{audience}",
        lambda: _article_findings(article, include_rejected),
        latest_only=True,
    )


def _article_findings(article: Article, include_rejected: bool) -> ArticleFindings:
    mentions = article_mentions(article.pk)
    evidence = article_evidence(article, include_rejected=include_rejected)
    titles: dict[tuple[int, int], list[str]] = {}
    meetings: dict[int, dict] = {}
    for start, end, meeting_id, slug, title, fields in evidence:
        titles.setdefault((start, end), []).append(title)
        entry = meetings.setdefault(
            meeting_id, {"slug": slug, "title": title, "fields": set(), "sentences": []}
        )
        entry["fields"].update(fields)
        entry["sentences"].append(start)
    sentences = [
        Span(start, end, "evidence", label="Evidence for: " + "; ".join(names))
        for (start, end), names in titles.items()
    ]
    for entry in meetings.values():
        entry["fields"] = sorted(entry["fields"])
    return ArticleFindings(
        highlighted=highlight_article(article.body, mention_spans(mentions), sentences),
        entities=entity_counts(mentions),
        meetings=list(meetings.values()),
    )
