import secrets

from django.conf import settings
from django.db import models


def token_key_generate() -> str:
    """Return a new random key: 40 hexadecimal characters, like the keys issued before."""
    return secrets.token_hex(20)


class ApiToken(models.Model):
    """A key that signs an API client in as its user (`Authorization: Token <key>`)."""

    key = models.CharField(max_length=40, unique=True, default=token_key_generate, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_token"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "API token"

    def __str__(self):
        return f"API token of {self.user}"


class SignInFailure(models.Model):
    """One failed sign-in, counted against a client address or a username (hashed) for a while.

    Kept in the database, not a cache, so that every web process sees every failure: with a
    per-process cache, attempts spread over gunicorn's workers never reach the limit.
    """

    key = models.CharField(max_length=120)
    failed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["key", "failed_at"], name="signin_failure_key_time"),
            models.Index(fields=["failed_at"], name="signin_failure_time"),
        ]

    def __str__(self):
        return f"{self.key} at {self.failed_at:%Y-%m-%d %H:%M:%S}"
