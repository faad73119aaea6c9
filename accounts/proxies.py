"""The client's address and scheme, believing forwarded headers only from trusted proxies.

Behind nginx, REMOTE_ADDR is the proxy's address and the client is in X-Forwarded-For; reached
directly, anyone can write those headers. Only when the peer is in TRUSTED_PROXIES is
X-Forwarded-For followed (from the right, past every trusted proxy, to the first address that
is not one) and X-Forwarded-Proto kept for SECURE_PROXY_SSL_HEADER. Otherwise both headers are
dropped, so nothing downstream (sign-in brakes, throttles, HTTPS detection) can be fooled.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def trusted_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip().split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


def client_address(peer: str, forwarded_for: str, networks: tuple[Network, ...]) -> str:
    """Return the first address, from the right, that is not a trusted proxy."""
    if not is_trusted(peer, networks):
        return peer
    for hop in reversed([part.strip() for part in forwarded_for.split(",") if part.strip()]):
        if not is_trusted(hop, networks):
            return hop[:100]
    return peer  # every hop is a proxy of ours: the nearest is as close as we can tell


class TrustedProxyMiddleware:
    """Set REMOTE_ADDR to the client's address and drop forwarded headers nobody vouches for."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        networks = trusted_networks(tuple(settings.TRUSTED_PROXIES))
        peer = meta.get("REMOTE_ADDR", "")
        if is_trusted(peer, networks):
            meta["REMOTE_ADDR"] = client_address(
                peer, meta.get("HTTP_X_FORWARDED_FOR", ""), networks
            )
        else:
            meta.pop("HTTP_X_FORWARDED_PROTO", None)
        # The address is resolved: nothing after this should read the raw header again.
        meta.pop("HTTP_X_FORWARDED_FOR", None)
        return self.get_response(request)
