"""Reads behind article pages and the article API: what was extracted from an article."""

from __future__ import annotations

from collections import Counter

from django.db.models import Exists, OuterRef, Subquery

from articles.models import Article
from diplomacy.choices import (
    MentionKind,
)
from diplomacy.models import (
    Evidence,
    Meeting,
    Mention,
)

# Articles ---------------------------------------------------------------------------------


def articles_recent(limit: int = 8) -> list[Article]:
    """Return the articles received last, whatever their status."""
    return list(
        Article.objects.only("id", "title", "url", "status", "created_at").order_by(
            "-created_at", "-id"
        )[:limit]
    )


def article_mentions(article_id: int) -> list[dict]:
    """Return an article's mentions in text order (the longer first where two start together),
    each with the slug and name of the person, place or topic it was resolved to."""
    return list(
        Mention.objects.filter(article_id=article_id)
        .order_by("start", "-end", "pk")
        .values(
            "kind",
            "text",
            "start",
            "end",
            "value",
            "person__slug",
            "person__name",
            "location__slug",
            "location__name",
            "topic__slug",
            "topic__name",
        )
    )


ENTITIES = ("person", "location", "topic")


def article_evidence(article: Article) -> list[Evidence]:
    """Return the evidence taken from an article, with its meetings."""
    return list(
        Evidence.objects.filter(article=article)
        .select_related("meeting")
        .defer("meeting__search_vector", "meeting__summary")
        .order_by("start", "meeting_id")
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


def entity_counts(mentions: list[dict]) -> dict[str, list[tuple[str, str, int]]]:
    """Return the people, places and topics found in an article: (slug, name, mentions)."""
    found: dict[str, Counter] = {"person": Counter(), "location": Counter(), "topic": Counter()}
    for row in mentions:
        kind = row["kind"]
        if kind in found and row.get(f"{kind}__slug"):
            found[kind][(row[f"{kind}__slug"], row[f"{kind}__name"])] += 1
    return {
        kind: [(slug, name, count) for (slug, name), count in counter.most_common()]
        for kind, counter in found.items()
    }


def article_mentions_by_kind(article_id: int) -> dict[str, list[dict]]:
    """Return an article's mentions grouped by kind, each kind present, in text order."""
    grouped: dict[str, list[dict]] = {kind: [] for kind in MentionKind.values}
    for row in article_mentions(article_id):
        kind = row["kind"]
        slug = next((row[f"{entity}__slug"] for entity in ENTITIES if row[f"{entity}__slug"]), None)
        grouped.setdefault(kind, []).append(
            {key: row[key] for key in ("text", "start", "end", "value")} | {"slug": slug}
        )
    return grouped
