"""The article pages: an article's text and status, and the ingest form that stores new ones.

What extraction found in an article is added by the diplomacy app's templates (included by
name), so this module needs nothing of diplomacy.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from articles import selectors
from articles.choices import ArticleStatus
from articles.exceptions import IngestError, TextTooLarge
from articles.forms import IngestForm
from articles.models import Article
from articles.pages import is_partial, readable
from articles.services import article_ingest

# An article waiting longer than this probably has no worker to process it.
STALLED_AFTER_SECONDS = 60

# Where a message of article_ingest belongs in the form, by a word it contains.
INGEST_ERROR_FIELDS = (
    ("source", "source"),
    ("publication date", "published_at"),
    ("url", "url"),
    ("address", "url"),
    ("text", "body"),
)


@readable
def article(request: HttpRequest, article_id: int) -> HttpResponse:
    """Show an article's text with what extraction found in it highlighted."""
    found = selectors.article_page(article_id)
    if found is None:
        raise Http404("No such article.")
    return render(
        request,
        "articles/article.html",
        {
            "article": found,
            "unfinished": found.status in (ArticleStatus.PENDING, ArticleStatus.PROCESSING),
            "safe_url": _safe_url(found.url),
        },
    )


def _safe_url(url: str | None) -> str:
    """Return the URL when it is a web address (never javascript: or data:), else ""."""
    if url and url.lower().startswith(("http://", "https://")):
        return url
    return ""


@readable
def article_status(request: HttpRequest, article_id: int) -> HttpResponse:
    """Return an article's processing status; the panel polls itself until it is final."""
    found = selectors.article_status(article_id)
    if found is None:
        raise Http404("No such article.")
    template = "articles/_article_status.html" if is_partial(request) else "articles/status.html"
    response = render(request, template, _status_context(found))
    patch_vary_headers(response, ["HX-Request"])
    return response


def _status_context(found: Article) -> dict:
    final = found.status in (ArticleStatus.DONE, ArticleStatus.FAILED)
    waited = (timezone.now() - found.status_changed_at).total_seconds()
    return {
        "article": found,
        "final": final,
        "stalled": not final and waited > STALLED_AFTER_SECONDS,
    }


def _can_ingest(user) -> bool:
    """Return whether the user may store articles: staff, or the permission to add them."""
    return user.is_authenticated and (user.is_staff or user.has_perm("articles.add_article"))


@login_required
def ingest(request: HttpRequest) -> HttpResponse:
    """Take a pasted text or a URL and store it for extraction (analysts and above)."""
    if not _can_ingest(request.user):
        raise PermissionDenied("Your account may read but not ingest; ask for the analyst role.")
    form = IngestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            outcome = article_ingest(
                body=data["body"] or None,
                url=data["url"] or None,
                title=data["title"],
                published_at=data["published_at"],
                source=data["source"] or None,
            )
        except TextTooLarge as error:
            form.add_error("body", error.message)
        except IngestError as error:
            lowered = error.message.lower()
            field = next((f for word, f in INGEST_ERROR_FIELDS if word in lowered), None)
            form.add_error(field, error.message)
        else:
            if not outcome.created:
                messages.info(
                    request, "This text was ingested before; this is the article already stored."
                )
            return redirect("ingest-status", article_id=outcome.article.pk)
    return render(
        request, "articles/ingest.html", {"form": form, "recent": selectors.articles_recent()}
    )


@login_required
def ingest_status(request: HttpRequest, article_id: int) -> HttpResponse:
    """Show an ingested article's progress until extraction is done."""
    found = selectors.article_status(article_id)
    if found is None:
        raise Http404("No such article.")
    return render(request, "articles/status.html", _status_context(found))
