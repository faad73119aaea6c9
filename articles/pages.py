"""What the pages of every app share: who may read them, and whether a request wants a fragment.

It lives in `articles` because `diplomacy` may import `articles` and never the reverse, so both
apps' views can use one definition.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest


def readable(view):
    """Let anyone read when PUBLIC_READ is on; otherwise send visitors to sign in first."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not settings.PUBLIC_READ and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def is_partial(request: HttpRequest) -> bool:
    """Return True for htmx requests that swap part of a page (not a history restore)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request and not htmx.boosted
