"""Sign-in with a brake on password guessing.

Failed sign-ins are counted per client address and per username, whichever
sign-in form they came through (this page or the admin's). After LOGIN_FAILURE_LIMIT failures
within LOGIN_FAILURE_WINDOW seconds, further attempts are refused until the window ends: this
page answers 429 with a readable message, and the authentication backend refuses even a correct
password, so the admin's sign-in cannot be used to go on guessing.

The failures are rows in the database (SignInFailure), so the limit holds across every web
process and container whatever the cache is; a sliding window counts the rows of the last
LOGIN_FAILURE_WINDOW seconds.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts.models import SignInFailure

LOGIN_FAILURE_LIMIT = 10
LOGIN_FAILURE_WINDOW = 15 * 60
TOO_MANY_MESSAGE = (
    "Too many failed sign-in attempts from this address or for this account. "
    "Wait 15 minutes and try again, or ask an administrator to reset your password."
)


def _client_address(request: HttpRequest | None) -> str:
    """Return the client's address: REMOTE_ADDR, which TrustedProxyMiddleware has resolved."""
    if request is None:
        return "unknown"
    return request.META.get("REMOTE_ADDR") or "unknown"


def _keys(request: HttpRequest | None, username: str | None) -> list[str]:
    keys = [f"login-failures:ip:{_client_address(request)}"]
    if username:
        digest = hashlib.sha256(username.strip().casefold().encode()).hexdigest()
        keys.append(f"login-failures:user:{digest}")
    return keys


def _window_start():
    return timezone.now() - timedelta(seconds=LOGIN_FAILURE_WINDOW)


def login_blocked(request: HttpRequest | None, username: str | None) -> bool:
    """Return True when this address or this username has used up its failures."""
    counts = (
        SignInFailure.objects.filter(
            key__in=_keys(request, username), failed_at__gte=_window_start()
        )
        .values("key")
        .annotate(count=Count("id"))
    )
    return any(row["count"] >= LOGIN_FAILURE_LIMIT for row in counts)


def login_failure_record(request: HttpRequest | None, username: str | None) -> None:
    """Count one failed sign-in against the address and the username."""
    now = timezone.now()
    SignInFailure.objects.bulk_create(
        SignInFailure(key=key, failed_at=now) for key in _keys(request, username)
    )
    # Failures are rare next to requests: forgetting the expired ones here keeps the table small.
    SignInFailure.objects.filter(failed_at__lt=_window_start()).delete()


@receiver(user_login_failed, dispatch_uid="accounts.auth.count_failure")
def _count_failure(sender, credentials, request=None, **kwargs):
    login_failure_record(request, credentials.get(get_user_model().USERNAME_FIELD))


@receiver(user_logged_in, dispatch_uid="accounts.auth.forgive_username")
def _forgive_username(sender, request, user, **kwargs):
    # A successful sign-in clears the account's count; the address keeps its own.
    SignInFailure.objects.filter(key__in=_keys(None, user.get_username())[1:]).delete()


class RateLimitedModelBackend(ModelBackend):
    """Django's backend, refusing every attempt once the failure limit is reached."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if login_blocked(request, username):
            raise PermissionDenied(TOO_MANY_MESSAGE)
        return super().authenticate(request, username=username, password=password, **kwargs)


class RateLimitedLoginView(LoginView):
    """The sign-in page; answers 429 while the address or the username is locked out."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if login_blocked(request, request.POST.get("username")):
            return self.too_many(request)
        return super().post(request, *args, **kwargs)

    def too_many(self, request: HttpRequest) -> HttpResponse:
        form = self.get_form_class()(request)  # unbound: nothing the visitor typed is echoed
        form.cleaned_data = {}  # add_error() expects a cleaned form
        form.add_error(None, TOO_MANY_MESSAGE)
        response = self.render_to_response(self.get_context_data(form=form), status=429)
        response["Retry-After"] = str(LOGIN_FAILURE_WINDOW)
        return response


login = RateLimitedLoginView.as_view()
