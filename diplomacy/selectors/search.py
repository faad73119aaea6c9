"""Reads behind search: ranked candidates of articles and meetings, and their headlines."""

from __future__ import annotations

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db.models import F, QuerySet, Subquery
from django.db.models.functions import Left

from articles.models import Article
from diplomacy.formatting import HIGHLIGHT_START, HIGHLIGHT_STOP
from diplomacy.models import (
    Meeting,
)
from diplomacy.selectors.meetings import in_given_order

# Search ranks only the newest matches: ranking every match of a common word is what makes
# full-text search slow (see DESIGN.md, performance notes).
SEARCH_CANDIDATES = 1000
# ts_headline parses the whole text it is given; the start of a long article is enough.
HEADLINE_CHARS = 50_000
# ts_headline parses the whole text it is given; the start of a long article is enough.

# Search -----------------------------------------------------------------------------------


def text_query(value: str) -> SearchQuery:
    return SearchQuery(value, search_type="websearch", config="english")


def ranked_ids(matches: QuerySet, query: SearchQuery, newest: str) -> list[int]:
    """Return the ids of the newest SEARCH_CANDIDATES `matches`, best ranked first.

    One query: the candidates are read newest first (by the `newest` date, from its index)
    and ranked; callers page over the ids, so nothing is counted or ranked twice.
    """
    order = (F(newest).desc(nulls_last=True), "-id")
    candidates = matches.order_by(*order).values("id")[:SEARCH_CANDIDATES]
    return list(
        matches.model.objects.filter(id__in=Subquery(candidates))
        .annotate(rank=SearchRank(F("search_vector"), query))
        .order_by("-rank", *order)
        .values_list("id", flat=True)
    )


def article_search(query: SearchQuery) -> list[int]:
    """Return the ids of articles matching the query, best first."""
    return ranked_ids(Article.objects.filter(search_vector=query), query, "published_at")


def articles_by_id(ids: list[int]) -> list[Article]:
    """Return these articles (without their text) with their sources, in the order given."""
    return in_given_order(
        Article.objects.select_related("source").defer("body", "search_vector"), ids
    )


def meeting_search(query: SearchQuery) -> list[int]:
    """Return the ids of visible meetings matching the query, best first."""
    return ranked_ids(meeting_matches(query), query, "start_date")


def meeting_matches(query: SearchQuery) -> QuerySet[Meeting]:
    return Meeting.objects.visible().filter(search_vector=query)


def meetings_by_id(ids: list[int]) -> list[Meeting]:
    """Return these meetings, in the order given."""
    return in_given_order(Meeting.objects.defer("search_vector"), ids)


def headlines(model, ids: list[int], query: SearchQuery, expression) -> dict[int, str]:
    """Return ts_headline snippets for the given rows only (headlines are costly)."""
    if not ids:
        return {}
    rows = (
        model.objects.filter(id__in=ids)
        .annotate(
            snippet=SearchHeadline(
                expression,
                query,
                config="english",
                start_sel=HIGHLIGHT_START,
                stop_sel=HIGHLIGHT_STOP,
                max_words=40,
                min_words=15,
                max_fragments=2,
                fragment_delimiter=" … ",
            )
        )
        .values_list("id", "snippet")
    )
    return dict(rows)


def article_headlines(ids: list[int], query: SearchQuery) -> dict[int, str]:
    return headlines(Article, ids, query, Left("body", HEADLINE_CHARS))


def meeting_headlines(ids: list[int], query: SearchQuery) -> dict[int, str]:
    return headlines(Meeting, ids, query, "summary")
