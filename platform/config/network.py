"""The address of the client behind a request, for everything that keys a limit by address.

`X-Forwarded-For` is written by whoever sends the request, so anyone can put any address in
it: a limit keyed by it would give an attacker a fresh allowance per request. It is believed
only when the peer itself (`REMOTE_ADDR`) is one of the proxies named in the setting
`TRUSTED_PROXIES` (IPs or CIDR networks; empty, the default, trusts nobody). Each proxy
appends the address it received the request from, so the chain is read from the right,
skipping the trusted proxies: the first address that is not one of them is the client. What
lies to its left was written by the client and is ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    """Return the networks of the TRUSTED_PROXIES setting; a single IP is a network of one."""
    try:
        return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)
    except ValueError as exc:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {exc}") from None


def _address(text: str) -> IPAddress | None:
    """Return `text` as an address (IPv4 mapped in IPv6 as IPv4), or None if it is not one."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: IPAddress, networks: Sequence[IPNetwork]) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def client_address(request: HttpRequest) -> str:
    """Return the address of the client that sent `request`, written one way ("-" if unknown).

    `request` may be Django's or DRF's (which passes META through).

    That is the peer, unless the peer is a trusted proxy: then the right-most address of
    `X-Forwarded-For` that is not a trusted proxy. A malformed entry ends the walk at the last
    trusted hop, which is the one that vouched for it.
    """
    remote = request.META.get("REMOTE_ADDR") or ""
    peer = _address(remote)
    if peer is None:
        return remote or "-"
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not networks or not _trusted(peer, networks):
        return str(peer)
    client = peer
    for entry in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        if not entry.strip():
            continue
        hop = _address(entry)
        if hop is None:
            break
        client = hop
        if not _trusted(hop, networks):
            break
    return str(client)
