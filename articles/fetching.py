"""Fetch a web page or feed safely: bounded time, size, redirects and content types."""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
import urllib3
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.connection import create_connection

HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
FEED_TYPES = ("xml", "rss", "atom")
MAX_REDIRECTS = 5
USER_AGENT = "Backchannel/1.0 (+analyst ingestion)"


class FetchError(Exception):
    """The resource could not be fetched; the message is readable by an analyst."""


@dataclass(frozen=True)
class Fetched:
    url: str
    status: int
    content_type: str
    content: bytes
    etag: str = ""
    last_modified: str = ""


def _addresses(host: str) -> list[str]:
    """Return every address the host name resolves to."""
    return [info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)]


NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")
# Local-use NAT64 (RFC 8215): the IPv4 address may sit anywhere in it, so none of it passes.
LOCAL_NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b:1::/48")
TEREDO_PREFIX = ipaddress.IPv6Network("2001::/32")
SIXTOFOUR_PREFIX = ipaddress.IPv6Network("2002::/16")
IPV4_COMPATIBLE_PREFIX = ipaddress.IPv6Network("::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """Return the IPv4 addresses an IPv6 address carries (mapped, compatible, NAT64, 6to4, Teredo).

    `ipaddress` calls several of these forms global, yet a host that translates or tunnels
    them delivers the packets to the IPv4 address inside, which may be this machine.
    """
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip in NAT64_PREFIX or ip in IPV4_COMPATIBLE_PREFIX:
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    if ip in SIXTOFOUR_PREFIX:
        return [ip.sixtofour]
    if ip in TEREDO_PREFIX:
        return list(ip.teredo)
    return []


def address_is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Return True only for a plainly global unicast address, whatever IPv4 it embeds."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in LOCAL_NAT64_PREFIX:
            return False
        embedded = _embedded_ipv4(ip)
        if embedded:
            # Judged by the IPv4 inside: NAT64's prefix sits in ::/8, which counts as reserved.
            return all(address_is_public(address) for address in embedded)
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def checked_addresses(host: str) -> list[str]:
    """Resolve a host once and return its addresses, refusing any that is not public.

    Without this, anyone allowed to submit a URL could make the server fetch its own
    services or a cloud metadata endpoint and read the answer back as an article. The caller
    connects to exactly these addresses: resolving again to connect would let a name answer
    with a public address for the check and a private one for the connection.
    """
    try:
        addresses = _addresses(host)
    except (OSError, UnicodeError):
        raise FetchError(f"The host {host} could not be found.") from None
    if settings.FETCH_ALLOW_PRIVATE_ADDRESSES:
        return addresses
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not address_is_public(ip):
            raise FetchError(
                f"{host} points to a private or local address ({ip}); only public web "
                "addresses are fetched."
            )
    return addresses


class _CheckedConnectionMixin:
    """Connect only to an address that was checked, for every connection, redirects included.

    urllib3 would resolve the host again inside `create_connection`; here the host is
    resolved once, every address is checked, and the socket goes to those addresses. The
    host name itself stays the connection's host, so the Host header, SNI and certificate
    verification still use the name the URL gave.
    """

    def _checked(self, host: str) -> list[str]:
        return checked_addresses(host)

    def _new_conn(self) -> socket.socket:
        last_error: OSError | None = None
        for address in self._checked(self._dns_host):
            try:
                return create_connection(
                    (address, self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as error:
                raise urllib3.exceptions.ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out."
                ) from error
            except OSError as error:
                last_error = error
        raise urllib3.exceptions.NewConnectionError(
            self, f"Failed to establish a new connection: {last_error}"
        )


class _CheckedHTTPConnection(_CheckedConnectionMixin, HTTPConnection):
    pass


class _CheckedHTTPSConnection(_CheckedConnectionMixin, HTTPSConnection):
    pass


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _PublicAddressesOnly(HTTPAdapter):
    """An adapter whose connections go only to checked public addresses."""

    pools = {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(self.pools)


def checked_adapter(check: Callable[[str], list[str]]) -> HTTPAdapter:
    """Return an adapter that connects only to the addresses `check` returns for a host.

    `check` resolves the host and raises for addresses it refuses; the socket goes to exactly
    the addresses it returned (no second lookup). Other outgoing requests (webhooks) use it
    with their own rules about which addresses are allowed.
    """

    def checked(self, host: str) -> list[str]:
        return check(host)

    http = type("HTTPConnection", (_CheckedHTTPConnection,), {"_checked": checked})
    https = type("HTTPSConnection", (_CheckedHTTPSConnection,), {"_checked": checked})
    pools = {
        "http": type("HTTPPool", (_CheckedHTTPPool,), {"ConnectionCls": http}),
        "https": type("HTTPSPool", (_CheckedHTTPSPool,), {"ConnectionCls": https}),
    }
    return type("CheckedAdapter", (_PublicAddressesOnly,), {"pools": pools})()


def without_credentials(url: str) -> str:
    """Return the URL without a user name and password in its address."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port is not None else host
    return parts._replace(netloc=netloc).geturl()


def fetch(url: str, accept: tuple[str, ...], headers: dict | None = None) -> Fetched:
    """GET a URL, refusing slow, huge, looping or wrongly typed responses."""
    url = without_credentials(url)
    session = requests.Session()
    # No proxies, .netrc credentials or CA bundles from the environment: a proxy would resolve
    # and connect on its own, past the address checks.
    session.trust_env = False
    session.max_redirects = MAX_REDIRECTS
    session.mount("http://", _PublicAddressesOnly())
    session.mount("https://", _PublicAddressesOnly())
    limit = settings.FETCH_MAX_BYTES
    try:
        with session.get(
            url,
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            timeout=(5, settings.FETCH_TIMEOUT),
            stream=True,
        ) as response:
            return _read(response, url, accept, limit)
    except requests.TooManyRedirects:
        raise FetchError(f"More than {MAX_REDIRECTS} redirects from {url}.") from None
    except (requests.Timeout, urllib3.exceptions.TimeoutError):
        raise FetchError(f"{url} did not answer within {settings.FETCH_TIMEOUT} seconds.") from None
    except (requests.RequestException, urllib3.exceptions.HTTPError) as error:
        raise FetchError(f"Could not fetch {url}: {type(error).__name__}.") from None


def _read(response: requests.Response, url: str, accept: tuple[str, ...], limit: int) -> Fetched:
    """Check a response's status, type and size, and read its body within the deadline."""
    if response.status_code == 304:
        return Fetched(response.url, 304, "", b"")
    if response.status_code >= 400:
        raise FetchError(f"The server answered {response.status_code} for {url}.")
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type and not any(kind in content_type for kind in accept):
        raise FetchError(f"Unsupported content type {content_type!r} at {url}.")
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise FetchError(f"The page is larger than the {limit:,}-byte limit.")
    chunks, size = [], 0
    # The read timeout applies per chunk; a server trickling bytes meets this deadline.
    deadline = time.monotonic() + settings.FETCH_TIMEOUT * 2
    for chunk in _arriving(response):
        size += len(chunk)
        if time.monotonic() > deadline:
            raise FetchError(f"{url} took too long to send the page.")
        if size > limit:
            raise FetchError(f"The page is larger than the {limit:,}-byte limit.")
        chunks.append(chunk)
    return Fetched(
        url=response.url,
        status=response.status_code,
        content_type=content_type,
        content=b"".join(chunks),
        etag=response.headers.get("ETag", ""),
        last_modified=response.headers.get("Last-Modified", ""),
    )


def _arriving(response: requests.Response):
    """Yield the body in pieces as they arrive.

    iter_content() waits until a whole chunk is in, so a server sending a byte at a time would
    never reach the deadline check; read1() returns whatever one read brought.
    """
    while chunk := response.raw.read1(65536, decode_content=True):
        yield chunk
