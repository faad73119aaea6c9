"""The search page: which articles it looks at (a window of the newest, or every date) and
which of the matches it ranks."""

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from diplomacy import selectors
from diplomacy.formatting import HIGHLIGHT_START, HIGHLIGHT_STOP
from diplomacy.selectors import search as search_selectors
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def window_of_three(monkeypatch):
    """Search looks at the newest three articles by default."""
    monkeypatch.setattr(search_selectors, "SEARCH_WINDOW_ARTICLES", 3)
    monkeypatch.setattr(selectors, "SEARCH_WINDOW_ARTICLES", 3)


def published(day: int, body: str, hour: int = 12):
    return ArticleFactory(
        title=f"Report of {day} March",
        body=body,
        published_at=datetime(2024, 3, day, hour, tzinfo=UTC),
    )


def titles(html: str) -> list[str]:
    return [part.split("<", 1)[0] for part in html.split('">Report of ')[1:]]


def search(client, **params):
    response = client.get(reverse("diplomacy:search"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_it_searches_the_newest_articles_by_default_and_says_so(client, window_of_three):
    """Matches published before the window are left out, and the page names the day the
    window starts from and links to every date."""
    for day in (1, 2, 3, 4, 5):
        published(day, f"Talks on fentanyl, day {day}.")
    published(6, "Nothing about that here.")
    undated = ArticleFactory(title="Undated", body="Fentanyl again.", published_at=None)

    html = search(client, q="fentanyl")

    # The newest three are the 6th, 5th and 4th: the window starts on 3 March, the day of the
    # fourth newest, so the articles of that day are in it.
    assert titles(html) == ["5 March", "4 March", "3 March"]
    assert "Articles published since 3 Mar 2024 (the newest 3)" in html
    assert 'href="/search/?q=fentanyl&amp;since=all"' in html
    assert undated.title not in html


def test_it_searches_every_date_when_asked(client, window_of_three):
    """`since=all` ranks every match, undated articles included, and links back."""
    for day in (1, 2, 3, 4, 5):
        published(day, f"Talks on fentanyl, day {day}.")
    published(6, "Nothing about that here.")
    ArticleFactory(title="Undated", body="Fentanyl again.", published_at=None)

    html = search(client, q="fentanyl", since="all")

    assert sorted(titles(html)) == ["1 March", "2 March", "3 March", "4 March", "5 March"]
    assert "Undated" in html
    assert "Articles of every date" in html
    assert 'href="/search/?q=fentanyl">Newest articles only' in html


def test_it_searches_from_a_given_day(client, window_of_three):
    for day in (1, 2, 3, 4, 5):
        published(day, f"Talks on fentanyl, day {day}.")

    html = search(client, q="fentanyl", since="2024-03-02")

    assert sorted(titles(html)) == ["2 March", "3 March", "4 March", "5 March"]
    assert "Articles published since 2 Mar 2024." in html


def test_it_offers_every_date_when_the_window_has_no_match(client, window_of_three):
    """A word last in the news before the window finds nothing there: the page says where it
    looked and links to the older articles."""
    published(1, "The Sunnylands summit.")
    for day in (2, 3, 4, 5):
        published(day, f"Talks on fentanyl, day {day}.")

    html = search(client, q="Sunnylands")

    assert "No article published since 2 Mar 2024 matches “Sunnylands”" in html
    assert 'href="/search/?q=Sunnylands&amp;since=all"' in html
    assert titles(search(client, q="Sunnylands", since="all")) == ["1 March"]


def test_it_reads_an_unreadable_since_as_the_default(client, window_of_three):
    for day in (1, 2, 3, 4, 5):
        published(day, f"Talks on fentanyl, day {day}.")

    html = search(client, q="fentanyl", since="yesterday")

    assert titles(html) == ["5 March", "4 March", "3 March", "2 March"]


def test_it_has_no_window_to_speak_of_in_a_small_archive(client):
    """With no more articles than the window holds, every date is searched, unannounced."""
    published(1, "Talks on fentanyl.")
    undated = ArticleFactory(title="Undated", body="Fentanyl again.", published_at=None)

    html = search(client, q="fentanyl")

    assert titles(html) == ["1 March"] and undated.title in html
    assert "search-window" not in html


@pytest.mark.parametrize("newest_first", [3, 2, 0])
def test_it_ranks_only_the_newest_matches(client, monkeypatch, newest_first):
    """Of every match, only the newest SEARCH_CANDIDATES are ranked: an older article that
    would rank first is not among them, and the best of the newest come first. So it is
    whether they are found among the newest articles (SEARCH_NEWEST_FIRST of three) or, when
    too few of those match, from the text index."""
    monkeypatch.setattr(search_selectors, "SEARCH_CANDIDATES", 3)
    monkeypatch.setattr(selectors, "SEARCH_CANDIDATES", 3)
    monkeypatch.setattr(search_selectors, "SEARCH_NEWEST_FIRST", newest_first)
    found_newest_first = []
    ranked_ids = search_selectors.ranked_ids

    def recording(matches, query, newest, candidates=None):
        found_newest_first.append(candidates is not None)
        return ranked_ids(matches, query, newest, candidates)

    monkeypatch.setattr(search_selectors, "ranked_ids", recording)
    published(1, "Fentanyl, fentanyl, fentanyl: fentanyl talks on fentanyl.")
    published(2, "Talks on fentanyl and on trade, tariffs, visas and students.")
    published(3, "Fentanyl talks: fentanyl precursors and fentanyl seizures.")
    published(4, "Talks on trade, tariffs, visas, students and fentanyl.")

    html = search(client, q="fentanyl")

    assert titles(html)[0] == "3 March"
    assert sorted(titles(html)) == ["2 March", "3 March", "4 March"]
    assert "best of the 3 newest matches" in html
    assert search_selectors.search_window_start() is None
    assert found_newest_first[0] == (newest_first == 3)  # articles first, then meetings


def test_the_window_starts_on_the_day_of_the_first_article_past_it(monkeypatch):
    monkeypatch.setattr(search_selectors, "SEARCH_WINDOW_ARTICLES", 2)
    published(1, "a")
    published(2, "b", hour=23)
    published(3, "c", hour=0)
    published(4, "d")
    ArticleFactory(published_at=None)

    assert search_selectors.search_window_start() == date(2024, 3, 2)


# Snippets ----------------------------------------------------------------------------------

FILLER = "The delegations met again in the afternoon and spoke for an hour. " * 60


def snippet(article, text: str) -> str:
    found = search_selectors.article_headlines([article.pk], text)[article.pk]
    return found.replace(HIGHLIGHT_START, "[").replace(HIGHLIGHT_STOP, "]")


def test_a_snippet_shows_a_match_far_into_the_article():
    """The stretch around the first match is headlined, not the article's start."""
    article = ArticleFactory(
        body=FILLER + "Both sides vowed to curb Fentanyl precursors. " + FILLER
    )

    assert "curb [Fentanyl] precursors" in snippet(article, "fentanyl")


def test_a_snippet_finds_words_of_other_forms_and_phrases():
    """Stems find inflected words ("talks" the "talking"); a phrase is highlighted whole."""
    article = ArticleFactory(
        body=FILLER + "They kept talking. " + FILLER + "Keep lines of communication open."
    )

    assert "[talking]" in snippet(article, "talks")
    assert "[lines] of [communication]" in snippet(article, '"lines of communication"')


def test_a_snippet_of_words_far_apart_falls_back_to_the_whole_article():
    """When the stretch after the first word lacks the others, the article's start is
    headlined as before, so every word the query needs can still be shown."""
    article = ArticleFactory(body="Military drills. " + FILLER + "The channels stay open.")

    found = snippet(article, "military channels")

    assert "[Military]" in found


def test_a_snippet_of_stop_words_or_operators_alone_is_the_articles_start():
    article = ArticleFactory(body="Talks resumed in Geneva. " + FILLER)

    assert snippet(article, "the").startswith("Talks resumed")
    assert snippet(article, "a & b | c (").startswith("Talks resumed")
