"""Reads behind search: ranked candidates of articles and meetings, and their headlines."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.core.cache import cache
from django.db import connection
from django.db.models import F, QuerySet, Subquery

from articles.models import Article
from diplomacy.formatting import HIGHLIGHT_START, HIGHLIGHT_STOP
from diplomacy.models import Meeting
from diplomacy.selectors.meetings import in_given_order

# Search ranks only the newest matches: ranking every match of a common word is what makes
# full-text search slow (see DESIGN.md, performance notes). Finding and ranking them costs in
# proportion (each one's tsvector is read twice): 300, fifteen pages, cost a third of 1,000.
SEARCH_CANDIDATES = 300
# By default article search looks only at articles published since the newest this many
# were: finding the newest matches then reads at most this many rows whichever plan finds
# them, so a word's cost no longer grows with the archive, nor with how long ago it was last
# in the news (a walk down the publication index past months without a match). The page says
# so and links to every date.
SEARCH_WINDOW_ARTICLES = 10_000
# A common word's newest matches are among the newest articles: they are looked for there
# first, newest first, checking this many at most; only when fewer than SEARCH_CANDIDATES
# match there are the matches found from the text index. The index alone reads every match
# (a common word's, or a name whose two words PostgreSQL takes for independent, is thousands
# in the window) before picking the newest.
SEARCH_NEWEST_FIRST = 1_200
# ts_headline parses the whole text it is given; the start of a long article is enough.
HEADLINE_CHARS = 50_000
# An article's snippet is first sought in this stretch, from a little before its first match.
HEADLINE_NEAR_CHARS = 2_000
HEADLINE_BEFORE_CHARS = 300
HEADLINE_OPTIONS = {
    "StartSel": HIGHLIGHT_START,
    "StopSel": HIGHLIGHT_STOP,
    "MaxWords": 40,
    "MinWords": 15,
    "MaxFragments": 2,
    "FragmentDelimiter": " … ",
}
# The query's stems (non-word characters escaped) as one alternation; the stretch of each
# article from shortly before the first word starting with one of them (or its start); its
# headline, or the headline of the article's start when the stretch holds no match.
ARTICLE_HEADLINES = r"""
WITH query AS (
    SELECT websearch_to_tsquery('english', %(text)s) AS tsquery,
           (SELECT string_agg(regexp_replace(stem, '(\W)', '\\\1', 'g'), '|')
            FROM unnest(tsvector_to_array(to_tsvector('english', %(text)s))) AS stem) AS stems
), near AS MATERIALIZED (
    SELECT article.id, article.body, query.tsquery,
           ts_headline(
               'english',
               substr(
                   article.body,
                   greatest(
                       1,
                       coalesce(
                           nullif(regexp_instr(article.body, '\m(' || query.stems || ')',
                                               1, 1, 0, 'i'), 0),
                           1
                       ) - %(before)s
                   ),
                   %(length)s
               ),
               query.tsquery,
               %(options)s
           ) AS snippet
    FROM articles_article AS article, query
    WHERE article.id = ANY(%(ids)s)
)
SELECT id,
       CASE WHEN strpos(snippet, %(start)s) > 0 THEN snippet
            ELSE ts_headline('english', left(body, %(chars)s), tsquery, %(options)s)
       END
FROM near
"""

# Search -----------------------------------------------------------------------------------


def text_query(value: str) -> SearchQuery:
    return SearchQuery(value, search_type="websearch", config="english")


def ranked_ids(matches: QuerySet, query: SearchQuery, newest: str, candidates=None) -> list[int]:
    """Return the ids of the newest SEARCH_CANDIDATES `matches` (or of the `candidates`, when
    they are known), best ranked first.

    One query: the candidates are read newest first (by the `newest` date, from its index)
    and ranked; callers page over the ids, so nothing is counted or ranked twice.
    """
    order = (F(newest).desc(nulls_last=True), "-id")
    if candidates is None:
        candidates = Subquery(matches.order_by(*order).values("id")[:SEARCH_CANDIDATES])
    return list(
        matches.model.objects.filter(id__in=candidates)
        .annotate(rank=SearchRank(F("search_vector"), query))
        .order_by("-rank", *order)
        .values_list("id", flat=True)
    )


# The newest matches among the newest SEARCH_NEWEST_FIRST articles (since a day, or of all).
NEWEST_MATCHES = """
SELECT id FROM (
    SELECT id, published_at, search_vector FROM articles_article
    WHERE published_at >= %(since)s OR %(since)s IS NULL
    ORDER BY published_at DESC NULLS LAST, id DESC
    LIMIT %(newest)s
) AS newest
WHERE search_vector @@ websearch_to_tsquery('english', %(text)s)
ORDER BY published_at DESC NULLS LAST, id DESC
LIMIT %(candidates)s
"""


def article_search(text: str, since: date | None = None) -> list[int]:
    """Return the ids of articles matching the text (as `text_query` reads it), best first;
    with `since`, only those published on or after that day (UTC)."""
    query = text_query(text)
    matches = Article.objects.filter(search_vector=query)
    if since is not None:
        matches = matches.filter(published_at__gte=day_start(since))
    with connection.cursor() as cursor:
        cursor.execute(
            NEWEST_MATCHES,
            {
                "since": day_start(since) if since is not None else None,
                "newest": SEARCH_NEWEST_FIRST,
                "text": text,
                "candidates": SEARCH_CANDIDATES,
            },
        )
        newest = [row[0] for row in cursor.fetchall()]
    if len(newest) == SEARCH_CANDIDATES:
        return ranked_ids(matches, query, "published_at", newest)
    return ranked_ids(matches, query, "published_at")


def search_window_start() -> date | None:
    """Return the day the newest SEARCH_WINDOW_ARTICLES articles were published since, or None
    when there are no more than that many dated articles (every date is as cheap).

    One probe of the publication index, cached for a minute rather than per data revision
    (which ingestion moves on with every article): the day moves only as articles arrive, and
    a minute late it only widens the window by those.
    """
    return cache.get_or_set("search-window-start", _search_window_start_box, 60)[0]


def _search_window_start_box() -> tuple[date | None]:
    return (_search_window_start(),)


def _search_window_start() -> date | None:
    nth = (
        Article.objects.filter(published_at__isnull=False)
        .order_by(F("published_at").desc(nulls_last=True), "-id")
        .values_list("published_at", flat=True)[SEARCH_WINDOW_ARTICLES : SEARCH_WINDOW_ARTICLES + 1]
    )
    found = list(nth)
    return found[0].astimezone(UTC).date() if found else None


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


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


def article_headlines(ids: list[int], text: str) -> dict[int, str]:
    """Return snippets of these articles for the query `text` (web-style, as text_query reads
    it), its words highlighted.

    ts_headline parses every word of the text it is given, which for a page of articles costs
    more than finding and ranking them. So each article's snippet is first drawn from a
    stretch of HEADLINE_NEAR_CHARS around the first word that starts like one of the query's
    stems (a regular expression, no parsing), and from the article's start (HEADLINE_CHARS)
    only when that stretch holds no match, as when the query's words are far apart.
    """
    if not ids:
        return {}
    options = ", ".join(
        connection.ops.compose_sql(f"{name}=%s", [value])
        for name, value in HEADLINE_OPTIONS.items()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            ARTICLE_HEADLINES,
            {
                "ids": list(ids),
                "text": text,
                "options": options,
                "before": HEADLINE_BEFORE_CHARS,
                "length": HEADLINE_NEAR_CHARS,
                "chars": HEADLINE_CHARS,
                "start": HIGHLIGHT_START,
            },
        )
        return dict(cursor.fetchall())


def meeting_headlines(ids: list[int], query: SearchQuery) -> dict[int, str]:
    return headlines(Meeting, ids, query, "summary")
