"""A client address as the app compares it: parsed, an IPv4-mapped IPv6 address as its IPv4.

Behind a dual-stack socket an IPv4 client can arrive as ``::ffff:203.0.113.9``; its network
and the allowed networks it is checked against are the IPv4 ones.
"""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_address(address: str) -> IPAddress | None:
    """``address`` parsed, IPv4-mapped IPv6 unwrapped to IPv4; None if it is no address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip
