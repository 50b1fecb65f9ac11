"""Which network addresses a liveness check may connect to.

A reported URL is written by a stranger. Checking it from the hotline's own machine must not
let that stranger reach the hotline's network: its database, its cloud provider's metadata
service, the admin page of the router. The rule is on the address actually connected to, after
every spelling has been turned into one (decimal, octal, hex, short IPv4 forms, IPv6 forms that
carry an IPv4 address): only globally routable unicast addresses pass.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Named for the reader; each is already outside "global" (link-local, unique-local, shared
# address space, IETF protocol assignments), and a test checks that stays so.
CLOUD_METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, Azure, GCP, OpenStack, DigitalOcean
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
    )
)

# IPv6 prefixes whose addresses carry an IPv4 address inside them: judged by the IPv4 one.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """Return the IPv4 address an IPv6 address stands for (mapped, 6to4, Teredo, NAT64)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64 or address in _NAT64_LOCAL:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    # IPv4-compatible (::a.b.c.d, deprecated) still reaches a.b.c.d on some stacks.
    if int(address) >> 32 == 0 and int(address) > 1:
        return ipaddress.IPv4Address(int(address))
    return None


def address_refusal(address: IPAddress, *, allowed: Iterable[IPNetwork] = ()) -> str | None:
    """Return why a check may not connect to `address`, or None if it may.

    `allowed` lets tests reach their own servers on 127.0.0.1; it comes only from the
    HOTLINE_FETCH_ALLOWED_TEST_NETWORKS setting, which production leaves empty.
    """
    if any(address in network for network in allowed):
        return None
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            why = address_refusal(inner)
            return f"{why} (inside {address})" if why else None
    if address in CLOUD_METADATA:
        return f"{address} is a cloud metadata service"
    if address.is_multicast:
        return f"{address} is a multicast address"
    if address.is_loopback:
        return f"{address} is this machine (loopback)"
    if address.is_link_local:
        return f"{address} is a link-local address"
    if address.is_unspecified:
        return f"{address} is the unspecified address"
    if not address.is_global:
        return f"{address} is a private or reserved address"
    return None
