"""ArticleTopic follows the mentions it is derived from; topic activity and topic pages read it."""

import random
from datetime import UTC, date, datetime

import pytest
from django.db.models import Count
from django.db.models.functions import TruncMonth, TruncWeek, TruncYear

from articles.models import Article
from articles.services import article_ingest
from diplomacy.models import ArticleTopic, Meeting, Mention, Topic, TopicDay
from diplomacy.selectors import articles_mentioning, topic_activity
from diplomacy.services import article_process_now
from diplomacy.services.article_topics import article_topics_refresh
from tests.factories import (
    ArticleFactory,
    MeetingFactory,
    MeetingTopicFactory,
    MentionFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db

FENTANYL = (
    "Secretary of State Antony Blinken met Foreign Minister Wang Yi in Beijing on Sunday. "
    "They discussed fentanyl and the flow of precursor chemicals."
)
NO_TOPIC = "Secretary of State Antony Blinken met Foreign Minister Wang Yi in Beijing on Sunday."


def days_agree() -> bool:
    """TopicDay holds ArticleTopic's dated rows counted per topic and day (UTC)."""
    counted: dict = {}
    for topic, published in ArticleTopic.objects.filter(published_at__isnull=False).values_list(
        "topic_id", "published_at"
    ):
        key = (topic, published.astimezone(UTC).date())
        counted[key] = counted.get(key, 0) + 1
    kept = dict(
        ((topic, day), articles)
        for topic, day, articles in TopicDay.objects.filter(articles__gt=0).values_list(
            "topic_id", "day", "articles"
        )
    )
    return kept == counted


def rows(article_id=None) -> set[tuple]:
    found = ArticleTopic.objects.all()
    if article_id is not None:
        found = found.filter(article_id=article_id)
    return set(found.values_list("article_id", "topic__slug", "published_at"))


def ingested(body: str, published: datetime | None = datetime(2023, 6, 18, 9, tzinfo=UTC)):
    outcome = article_ingest(body=body, published_at=published, announce=False)
    article_process_now(outcome.article.pk)
    return Article.objects.get(pk=outcome.article.pk)


@pytest.fixture
def gazetteer(db):
    from django.core.management import call_command

    call_command("load_reference", gazetteer_only=True, verbosity=0)


def test_processing_an_article_records_each_topic_it_mentions_once(gazetteer):
    """Extraction writes one row per topic the article mentions, at its publication time."""
    article = ingested(FENTANYL)

    mentioned = set(
        Mention.objects.filter(article=article, topic__isnull=False).values_list(
            "topic__slug", flat=True
        )
    )
    assert "fentanyl" in mentioned
    assert rows(article.pk) == {(article.pk, slug, article.published_at) for slug in mentioned}
    assert days_agree() and TopicDay.objects.filter(articles__gt=0).exists()


def test_reprocessing_drops_the_topics_the_text_no_longer_mentions(gazetteer):
    """A re-run over a changed text replaces the article's rows, not adds to them."""
    article = ingested(FENTANYL)
    Article.objects.filter(pk=article.pk).update(body=NO_TOPIC, status="pending")

    article_process_now(article.pk)

    assert not Mention.objects.filter(article=article, topic__isnull=False).exists()
    assert rows(article.pk) == set()
    assert days_agree() and not TopicDay.objects.filter(articles__gt=0).exists()


def test_a_publication_date_read_from_the_text_reaches_the_rows(gazetteer):
    """An undated article dated by extraction is counted at that date, not left out."""
    article = ingested("BEIJING, March 3, 2024 - " + FENTANYL, published=None)

    assert article.published_at is not None
    assert {published for _, _, published in rows(article.pk)} == {article.published_at}


def test_deleting_an_article_deletes_its_rows(gazetteer):
    article = ingested(FENTANYL)
    other = ingested(FENTANYL.replace("Sunday", "Monday"))
    deleted = article.pk

    article.delete()

    assert rows(deleted) == set()
    assert rows(other.pk)
    assert days_agree()


def test_editing_the_publication_time_moves_the_rows():
    """An edit of the date (the admin saves the whole article) reaches the counts."""
    mention = MentionFactory(topic=TopicFactory(slug="taiwan"))
    article = mention.article
    article.published_at = datetime(2020, 2, 2, 8, tzinfo=UTC)

    article.save()

    assert rows() == {(article.pk, "taiwan", article.published_at)}
    assert days_agree()
    assert TopicDay.objects.get(articles__gt=0).day == date(2020, 2, 2)


def test_a_refresh_of_several_articles_matches_their_mentions():
    """One call refreshes a batch, and mentions of people or places add no row."""
    taiwan, trade = TopicFactory(slug="taiwan"), TopicFactory(slug="trade")
    articles = ArticleFactory.create_batch(3)
    for article in articles:
        Mention.objects.bulk_create(
            [
                Mention(article=article, kind="topic", text="Taiwan", start=0, end=6, topic=taiwan),
                Mention(
                    article=article, kind="topic", text="Taiwan", start=9, end=15, topic=taiwan
                ),
                Mention(article=article, kind="person", text="Wang", start=20, end=24),
            ]
        )
    Mention.objects.create(
        article=articles[0], kind="topic", text="trade", start=30, end=35, topic=trade
    )

    article_topics_refresh([a.pk for a in articles])

    assert rows() == {(a.pk, "taiwan", a.published_at) for a in articles} | {
        (articles[0].pk, "trade", articles[0].published_at)
    }


# Topic activity ----------------------------------------------------------------------------


def activity_from_mentions(topic: Topic, interval: str) -> list[dict]:
    """Topic activity as it was counted before ArticleTopic: from every mention."""
    trunc = {"week": TruncWeek, "month": TruncMonth, "year": TruncYear}[interval]
    periods: dict = {}
    meetings = (
        Meeting.objects.visible()
        .filter(meeting_topics__topic=topic, start_date__isnull=False)
        .annotate(period=trunc("start_date"))
        .values("period")
        .annotate(count=Count("id"))
        .order_by()
    )
    articles = (
        Mention.objects.filter(topic=topic, article__published_at__isnull=False)
        .annotate(period=trunc("article__published_at"))
        .values("period")
        .annotate(count=Count("article", distinct=True))
        .order_by()
    )
    for key, found in (("meetings", meetings), ("articles", articles)):
        for row in found:
            period = row["period"]
            period = period.date() if hasattr(period, "date") else period
            periods.setdefault(period, {"meetings": 0, "articles": 0})[key] = row["count"]
    return [{"period": period, **counts} for period, counts in sorted(periods.items())]


@pytest.mark.parametrize("interval", ["week", "month", "year"])
def test_topic_activity_counts_what_counting_every_mention_did(interval):
    """Over varied articles (several mentions each, undated ones, other topics, midnight
    edges), the counts equal the old computation from the mentions."""
    rng = random.Random(7)
    taiwan, trade = TopicFactory(slug="taiwan"), TopicFactory(slug="trade")
    for index in range(60):
        published = None
        if index % 9:
            published = datetime(
                rng.choice((2022, 2023, 2024)),
                rng.randint(1, 12),
                rng.randint(1, 28),
                rng.choice((0, 12, 23)),
                59 if index % 2 else 0,
                tzinfo=UTC,
            )
        article = ArticleFactory(published_at=published)
        for number in range(rng.randint(0, 3)):
            topic = rng.choice((taiwan, taiwan, trade))
            MentionFactory(article=article, topic=topic, start=number * 10, end=number * 10 + 5)
    for index in range(10):
        MeetingTopicFactory(
            topic=taiwan, meeting=MeetingFactory(start_date=date(2023, 1 + index, 1 + index))
        )

    expected = activity_from_mentions(taiwan, interval)

    assert sum(period["articles"] for period in expected) > 20
    assert topic_activity(taiwan, interval) == expected
    assert days_agree()


def test_the_topic_page_lists_the_newest_articles_mentioning_it():
    """Newest first by publication time, undated last, one entry per article."""
    taiwan = TopicFactory(slug="taiwan")
    old = ArticleFactory(published_at=datetime(2020, 1, 1, tzinfo=UTC))
    new = ArticleFactory(published_at=datetime(2024, 1, 1, tzinfo=UTC))
    undated = ArticleFactory(published_at=None)
    ArticleFactory(published_at=datetime(2025, 1, 1, tzinfo=UTC))  # mentions another topic
    for article in (old, new, undated):
        MentionFactory(article=article, topic=taiwan)
        MentionFactory(article=article, topic=taiwan, start=10, end=15)

    assert [a.pk for a in articles_mentioning(taiwan)] == [new.pk, old.pk, undated.pk]


def test_deleting_a_topic_deletes_its_counts():
    """The cascade deletes the topic's rows and counts; no count is written back for it."""
    taiwan, trade = TopicFactory(slug="taiwan"), TopicFactory(slug="trade")
    article = ArticleFactory(published_at=datetime(2024, 5, 1, tzinfo=UTC))
    MentionFactory(article=article, topic=taiwan)
    MentionFactory(article=article, topic=trade, start=10, end=15)

    taiwan.delete()

    assert set(TopicDay.objects.values_list("topic__slug", "articles")) == {("trade", 1)}
    assert days_agree()
