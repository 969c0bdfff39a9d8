"""A key's allowed networks: the addresses and CIDR ranges it may be used from.

Stored as text, ``127.0.0.2/32,2001:db8::/32`` (none: from anywhere). admit.lua cannot
parse addresses, so the record cached in Redis holds each network as 32 hex digits of its
IPv6 form (IPv4 inside ``::ffff:0:0/96``) and its prefix length, and the request's address
travels the same way (``address_hex``).
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l

from app.addresses import parse_address
from app.keys.rules import KeyRefused

MAX_NETWORKS = 20
# Bound: 256 stored network lists parsed (each at most MAX_NETWORKS ranges), per cache.
NETWORK_LISTS_CACHED = 256
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")


class InvalidNetworks(KeyRefused):
    """An address or range that does not parse, has host bits set, or too many of them."""


def clean_networks(values: Iterable[str] | str | None) -> str | None:
    """The stored form of ``values`` (a list, or text with one per line or comma), or None."""
    if values is None:
        return None
    if isinstance(values, str):
        values = values.replace(",", "\n").splitlines()
    networks: list[str] = []
    for value in filter(None, (value.strip() for value in values)):
        try:
            if "%" in value:  # a zone (scope id): meaningless off the host, unbounded text
                raise ValueError(value)
            network: Network = ipaddress.ip_network(value)
        except ValueError:
            if "/" in value and "%" not in value and _parses_loosely(value):
                raise InvalidNetworks(
                    _l(
                        "%(network)s has bits set past its prefix: did you mean %(fixed)s?",
                        network=value,
                        fixed=str(ipaddress.ip_network(value, strict=False)),
                    )
                ) from None
            raise InvalidNetworks(
                _l(
                    "%(network)r is not an IP address or CIDR range, such as 203.0.113.0/24.",
                    network=value,
                )
            ) from None
        text = str(_unmapped(network))
        if text not in networks:
            networks.append(text)
    if len(networks) > MAX_NETWORKS:
        raise InvalidNetworks(
            _l("A key can have at most %(count)d allowed networks.", count=MAX_NETWORKS)
        )
    return ",".join(networks) or None


def _parses_loosely(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


def _unmapped(network: Network) -> Network:
    if isinstance(network, ipaddress.IPv6Network) and network.subnet_of(_MAPPED):
        address = ipaddress.IPv4Address(int(network.network_address) & 0xFFFFFFFF)
        return ipaddress.IPv4Network((address, network.prefixlen - 96))
    return network


def network_list(stored: str | None) -> list[str]:
    """The stored form as a list (the API's ``allowed_networks``; empty: from anywhere)."""
    return stored.split(",") if stored else []


@functools.lru_cache(maxsize=NETWORK_LISTS_CACHED)
def _networks(stored: str) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(text) for text in stored.split(","))


def is_allowed(stored: str | None, address: str) -> bool:
    """Whether a key with these allowed networks may be used from ``address``."""
    if not stored:
        return True
    seen = parse_address(address)
    if seen is None:
        return False
    return any(seen in network for network in _networks(stored))


def _as_ipv6(value: int, version: int) -> int:
    return value if version == 6 else int(_MAPPED.network_address) | value


def address_hex(address: str) -> str:
    """``address`` as admit.lua compares it: 32 hex digits of its IPv6 form, or ''."""
    try:
        seen = ipaddress.ip_address(address)
    except ValueError:
        return ""
    return f"{_as_ipv6(int(seen), seen.version):032x}"


def to_script(stored: str | None) -> str:
    """The stored form as admit.lua reads it: ``<32 hex>/<prefix length>``, comma-separated."""
    if not stored:
        return ""
    return ",".join(
        f"{_as_ipv6(int(network.network_address), network.version):032x}/"
        f"{network.prefixlen + (96 if network.version == 4 else 0)}"
        for network in _networks(stored)
    )


@functools.lru_cache(maxsize=NETWORK_LISTS_CACHED)
def from_script(text: str) -> str | None:
    """The stored form back from ``to_script``'s."""
    if not text:
        return None
    networks = []
    for part in text.split(","):
        digits, _, bits = part.partition("/")
        network = ipaddress.IPv6Network((int(digits, 16), int(bits)))
        networks.append(str(_unmapped(network)))
    return ",".join(networks)
