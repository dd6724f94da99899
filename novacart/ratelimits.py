"""Rate-limit keys: who a request counts against."""

from __future__ import annotations

import ipaddress

from flask_limiter.util import get_remote_address


def client_network() -> str:
    """The client's IPv4 address, or its IPv6 /64 network.

    One IPv6 subscriber usually holds a whole /64 and can pick a fresh address for every request,
    so keying by address would give an attacker 2**64 budgets.
    """
    address = get_remote_address()
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:203.0.113.7 is an IPv4 client on a dual-stack socket
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
