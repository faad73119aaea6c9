"""Reads behind the article pages."""

from __future__ import annotations

from articles.models import Article

# The fields the status panel shows.
STATUS_FIELDS = ("id", "title", "url", "status", "error", "status_changed_at")


def articles_recent(limit: int = 8) -> list[Article]:
    """Return the articles received last, whatever their status."""
    return list(
        Article.objects.only("id", "title", "url", "status", "created_at").order_by(
            "-created_at", "-id"
        )[:limit]
    )


def article_page(article_id: int) -> Article | None:
    """Return an article with its source for its page, or None (the search vector left out)."""
    return (
        Article.objects.select_related("source")
        .defer("search_vector")
        .filter(pk=article_id)
        .first()
    )


def article_status(article_id: int) -> Article | None:
    """Return an article with only what its status panel shows, or None."""
    return Article.objects.only(*STATUS_FIELDS).filter(pk=article_id).first()
