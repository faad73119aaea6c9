"""Forwarded headers are believed only from TRUSTED_PROXIES: addresses and HTTPS can't be faked."""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle

from accounts import auth
from accounts.proxies import TrustedProxyMiddleware
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def resolved(settings_proxies, settings, **meta) -> dict:
    """Return the request META after the middleware, for a request with these headers."""
    settings.TRUSTED_PROXIES = settings_proxies
    request = RequestFactory().get("/", **meta)
    seen = {}

    def view(request):
        seen.update(request.META)

    TrustedProxyMiddleware(view)(request)
    return seen


def test_it_locks_out_an_address_that_rotates_x_forwarded_for(settings):
    """With no trusted proxy, inventing a new X-Forwarded-For per attempt changes nothing."""
    settings.TRUSTED_PROXIES = []
    UserFactory(username="analyst")
    for attempt in range(auth.LOGIN_FAILURE_LIMIT):
        Client().post(
            reverse("login"),
            {"username": f"guess{attempt}", "password": "wrong"},
            REMOTE_ADDR="203.0.113.7",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}",
        )

    response = Client().post(
        reverse("login"),
        {"username": "analyst", "password": PASSWORD},
        REMOTE_ADDR="203.0.113.7",
        HTTP_X_FORWARDED_FOR="192.0.2.200",
    )

    assert response.status_code == 429


def test_it_ignores_forwarded_headers_from_untrusted_peers(settings):
    """From a peer outside TRUSTED_PROXIES both headers are dropped and the peer is the client."""
    meta = resolved(
        ["10.0.0.0/8"],
        settings,
        REMOTE_ADDR="203.0.113.7",
        HTTP_X_FORWARDED_FOR="198.51.100.1",
        HTTP_X_FORWARDED_PROTO="https",
    )

    assert meta["REMOTE_ADDR"] == "203.0.113.7"
    assert "HTTP_X_FORWARDED_PROTO" not in meta
    assert "HTTP_X_FORWARDED_FOR" not in meta


@pytest.mark.parametrize(
    ("forwarded_for", "client"),
    [
        ("198.51.100.1", "198.51.100.1"),
        ("6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the first entry is the client's invention
        ("198.51.100.1, 10.0.0.9", "198.51.100.1"),  # a second proxy of ours in the chain
        ("2001:db8::1", "2001:db8::1"),
        ("", "10.0.0.2"),
        ("10.0.0.7, 10.0.0.9", "10.0.0.2"),
    ],
)
def test_it_follows_x_forwarded_for_past_trusted_proxies_only(settings, forwarded_for, client):
    """From a trusted proxy the client is the first address from the right that is not ours."""
    meta = resolved(
        ["10.0.0.0/8"],
        settings,
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR=forwarded_for,
        HTTP_X_FORWARDED_PROTO="https",
    )

    assert meta["REMOTE_ADDR"] == client
    assert meta["HTTP_X_FORWARDED_PROTO"] == "https"


def test_it_honours_x_forwarded_proto_only_from_trusted_proxies(client, settings):
    """With SECURE_SSL_REDIRECT, a spoofed `X-Forwarded-Proto: https` still gets redirected."""
    settings.SECURE_SSL_REDIRECT = True
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    url = reverse("diplomacy:topics")

    spoofed = client.get(url, REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_PROTO="https")
    proxied = client.get(url, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_PROTO="https")

    assert spoofed.status_code == 301
    assert spoofed["Location"].startswith("https://")
    assert proxied.status_code == 200


def test_it_keeps_the_health_check_on_plain_http(client, settings):
    """Probes inside the container ask over HTTP: /healthz is not redirected."""
    settings.SECURE_SSL_REDIRECT = True

    assert client.get(reverse("healthz")).status_code == 200


def test_it_throttles_by_the_resolved_address(settings):
    """DRF's throttles key on the client the middleware resolved, not on a written header."""
    meta = resolved([], settings, REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="1.2.3.4")
    request = RequestFactory().get("/")
    request.META.update(meta)
    request.META.pop("HTTP_X_FORWARDED_FOR", None)
    spoof = RequestFactory().get("/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="1.2.3.4")

    assert AnonRateThrottle().get_ident(Request(request)) == "203.0.113.7"
    assert AnonRateThrottle().get_ident(Request(spoof)) == "203.0.113.7"  # NUM_PROXIES=0
