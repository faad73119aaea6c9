"""`Authorization: Token <key>` for the API, with an optional lifetime and a last-used time."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework import authentication, exceptions

from accounts.models import ApiToken

# Recording every request's use would add a write to each read; a minute is precise enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_expires_at(token: ApiToken) -> datetime | None:
    """Return when the token stops working, or None when tokens do not expire."""
    if not settings.API_TOKEN_LIFETIME:
        return None
    return token.created_at + timedelta(days=settings.API_TOKEN_LIFETIME)


def token_record_use(token: ApiToken) -> None:
    """Stamp the token's last use, at most once per LAST_USED_RESOLUTION."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """DRF's token scheme over ApiToken, refusing tokens past API_TOKEN_LIFETIME days."""

    model = ApiToken

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        expires_at = token_expires_at(token)
        if expires_at is not None and timezone.now() >= expires_at:
            raise exceptions.AuthenticationFailed(
                "Token has expired; ask an administrator for a new one."
            )
        token_record_use(token)
        return (user, token)
