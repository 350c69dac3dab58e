"""The one answer to "where does this request come from", for sign-in throttling, audit and limits.

Behind proxies the TCP peer (`REMOTE_ADDR`) is the nearest proxy, and the client is in
`X-Forwarded-For`, which each proxy extends on the right with the address it saw. Only the
entries our own proxies wrote can be believed: with `TRUSTED_PROXY_HOPS = n` the client is the
n-th entry from the right, and everything to its left (which the client may have sent itself)
is ignored. The header is read only when the peer is one of `TRUSTED_PROXY_NETWORKS`, so a
client that reaches the application directly cannot choose its address by sending the header.
See docs/operations.md ("Client addresses behind proxies") for Azure examples.

django-axes (`AXES_CLIENT_IP_CALLABLE`), the audit trail and the rate limits all call
`client_address`; the answer is kept on the request so one request has one address.
"""

from __future__ import annotations

import ipaddress
from functools import cache

from django.conf import settings
from django.http import HttpRequest

_ATTRIBUTE = "_escalate_client_address"


@cache
def _networks(
    spec: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def _address(text: str) -> str | None:
    """An address, also from the `1.2.3.4:5678` and `[2001:db8::1]:5678` forms some proxies write
    (Azure Application Gateway appends the client's port)."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def _is_trusted_proxy(peer: str) -> bool:
    address = ipaddress.ip_address(peer)
    return any(address in network for network in _networks(tuple(settings.TRUSTED_PROXY_NETWORKS)))


def resolve_client_address(*, remote_addr: str, forwarded_for: str, hops: int) -> str | None:
    """The client's address from the peer, the X-Forwarded-For header and the trusted hop count."""
    peer = _address(remote_addr)
    if peer is None or hops <= 0 or not forwarded_for or not _is_trusted_proxy(peer):
        return peer
    entries = [entry for entry in forwarded_for.split(",") if entry.strip()]
    # Fewer entries than hops: the request skipped an outer proxy (e.g. reached the Application
    # Gateway without Front Door); every entry was then written by one of ours, the first
    # being the address the outermost proxy it did pass saw.
    chosen = entries[-hops] if len(entries) >= hops else entries[0]
    return _address(chosen) or peer


def client_address(request: HttpRequest) -> str | None:
    """The address of the client that sent `request`, the same for every caller in a request."""
    cached = getattr(request, _ATTRIBUTE, None)
    if cached is not None:
        return cached or None
    address = resolve_client_address(
        remote_addr=request.META.get("REMOTE_ADDR", ""),
        forwarded_for=request.META.get("HTTP_X_FORWARDED_FOR", ""),
        hops=settings.TRUSTED_PROXY_HOPS,
    )
    setattr(request, _ATTRIBUTE, address or "")
    return address
