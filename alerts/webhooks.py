"""Posting a signed event to a webhook: address rules, signature, bounded time."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
import urllib3
from django.conf import settings

from articles.fetching import address_is_public, checked_adapter

SIGNATURE_HEADER = "X-Backchannel-Signature"
TIMESTAMP_HEADER = "X-Backchannel-Timestamp"
EVENT_HEADER = "X-Backchannel-Event"
USER_AGENT = "Backchannel-Webhooks/1.0"


class WebhookRefused(Exception):
    """The webhook address is not one the server may post to; the message says why."""


@dataclass(frozen=True)
class Outcome:
    succeeded: bool
    status_code: int | None
    error: str
    duration_ms: int


def address_allowed(address: str) -> bool:
    """Return whether a webhook may go to this address: public, or in an allowed network."""
    ip = ipaddress.ip_address(address.split("%")[0])
    allowed = (ipaddress.ip_network(net, strict=False) for net in settings.WEBHOOK_ALLOWED_NETWORKS)
    return any(ip.version == net.version and ip in net for net in allowed) or address_is_public(ip)


def webhook_addresses(host: str) -> list[str]:
    """Resolve a webhook host and return its addresses, refusing any that is not allowed."""
    try:
        addresses = [
            info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        ]
    except (OSError, UnicodeError):
        raise WebhookRefused(f"The host {host} could not be found.") from None
    for address in addresses:
        if not address_allowed(address):
            raise WebhookRefused(
                f"{host} points to a private, local or metadata address ({address}); "
                "webhooks go to public addresses only."
            )
    return addresses


def webhook_url_check(url: str) -> None:
    """Raise WebhookRefused unless the URL is http(s), names a host, carries no password and
    resolves to allowed addresses only."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise WebhookRefused("Not a valid URL.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookRefused("Use an http:// or https:// address with a host name.")
    if parts.username is not None or parts.password is not None:
        raise WebhookRefused("Put no user name or password in the address; the body is signed.")
    if port == 0:
        raise WebhookRefused("Not a valid port.")
    webhook_addresses(parts.hostname)


def signature(secret: str, body: bytes) -> str:
    """Return the signature header's value: sha256= and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_post(url: str, secret: str, body: bytes, event: str) -> Outcome:
    """POST a body once, signed, within WEBHOOK_TIMEOUT; never raises for the endpoint's faults."""
    started = time.monotonic()
    status_code, error = None, ""
    try:
        webhook_url_check(url)
        status_code = _send(url, secret, body, event)
        if not 200 <= status_code < 300:
            error = f"The endpoint answered {status_code}."
    except WebhookRefused as refused:
        error = str(refused)
    except (requests.Timeout, urllib3.exceptions.TimeoutError):
        error = f"No answer within {settings.WEBHOOK_TIMEOUT} s."
    except (requests.RequestException, urllib3.exceptions.HTTPError) as failure:
        error = f"Could not connect: {type(failure).__name__}."
    duration_ms = int((time.monotonic() - started) * 1000)
    return Outcome(not error, status_code, error[:500], duration_ms)


def _send(url: str, secret: str, body: bytes, event: str) -> int:
    session = requests.Session()
    session.trust_env = False  # a proxy from the environment would connect past the checks
    adapter = checked_adapter(_checked_or_refused)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature(secret, body),
        TIMESTAMP_HEADER: str(int(time.time())),
        EVENT_HEADER: event,
    }
    timeout = settings.WEBHOOK_TIMEOUT
    with session.post(
        url,
        data=body,
        headers=headers,
        timeout=(timeout, timeout),
        allow_redirects=False,
        stream=True,
    ) as response:
        return response.status_code  # the body is not read: only the status counts


def _checked_or_refused(host: str) -> list[str]:
    try:
        return webhook_addresses(host)
    except WebhookRefused as refused:
        raise urllib3.exceptions.NewConnectionError(None, str(refused)) from None
