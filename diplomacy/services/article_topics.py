"""Keeping ArticleTopic in step with the mentions and publication times it is derived from.

Two writes change what it holds: storing an article's extraction (its topic mentions, and a
publication date inferred from the text), and editing an article's publication time. Deleting
an article or a topic deletes its rows by cascade.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from diplomacy.models import ArticleTopic

# The rows the topic mentions of the articles `{articles}` (a condition on `mention`) selects
# give: one statement for any number of articles, so a batch costs what one article does.
DERIVE = """
INSERT INTO diplomacy_articletopic (article_id, topic_id, published_at)
SELECT DISTINCT mention.article_id, mention.topic_id, article.published_at
FROM diplomacy_mention AS mention
JOIN articles_article AS article ON article.id = mention.article_id
WHERE {articles} AND mention.topic_id IS NOT NULL
"""
REFRESH = DERIVE.format(articles="mention.article_id = ANY(%s)")


def article_topics_refresh(article_ids: Iterable[int]) -> None:
    """Replace these articles' topic rows by what their mentions and dates say now.

    Call it once the articles' mentions and publication times are written (in the same
    transaction).
    """
    ids = sorted(set(article_ids))
    if not ids:
        return
    ArticleTopic.objects.filter(article_id__in=ids).delete()
    with connection.cursor() as cursor:
        cursor.execute(REFRESH, [ids])


def article_topics_redate(article_id: int, published_at) -> None:
    """Move an article's topic rows to its new publication time (an edit in the admin)."""
    ArticleTopic.objects.filter(article_id=article_id).update(published_at=published_at)
