"""The one block policy: which addresses and host names a job-supplied URL may reach.

An address is refused when it is, or embeds, anything but a public unicast address:

- Python's ``ipaddress`` properties: loopback, private (RFC 1918, ULA ``fc00::/7``, the
  documentation and benchmark ranges...), link-local (``169.254.0.0/16``, ``fe80::/10``), shared
  CGNAT space (``100.64.0.0/10``), multicast, reserved, unspecified, not global;
- the deprecated IPv6 site-local range ``fec0::/10`` (``ipaddress`` counts it as global);
- cloud metadata addresses, even where the range would pass (:data:`METADATA_ADDRESSES`:
  ``168.63.129.16`` is Azure's wireserver in public space, ``192.0.0.192`` Oracle's);
- IPv6 forms that carry an IPv4 address (IPv4-mapped, IPv4-compatible, 6to4, Teredo, NAT64
  ``64:ff9b::/96``) when the IPv4 address is refused; the local-use NAT64 prefix
  ``64:ff9b:1::/48`` always (where it embeds the address depends on the site's prefix length).

A NAT64 address embedding a public IPv4 address is allowed: that is what DNS64 answers for every
IPv4-only site on an IPv6-only network.

Host names in :data:`METADATA_HOSTNAMES` and under the special-use suffixes in
:data:`NON_PUBLIC_SUFFIXES` are refused before any lookup. ``allow_loopback`` (the local sandbox
and tests, never the default) lets ``127.0.0.0/8`` and ``::1`` through and nothing else.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass

__all__ = [
    "METADATA_ADDRESSES",
    "METADATA_HOSTNAMES",
    "NON_PUBLIC_SUFFIXES",
    "AddressPolicy",
    "IPAddress",
    "embedded_ipv4",
    "literal_address",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure IMDS, OpenStack, DigitalOcean...
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.0.23",  # Tencent Cloud
        "168.63.129.16",  # Azure wireserver (public address space)
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
        "fd00:ec2::254",  # AWS IMDS over IPv6
    )
)
"""Refused whatever their range says."""

METADATA_HOSTNAMES: frozenset[str] = frozenset({
    "metadata",
    "metadata.google.internal",
    "metadata.goog",
    "instance-data",
    "instance-data.ec2.internal",
    "metadata.tencentyun.com",
})
"""Cloud metadata service names, refused before any lookup."""

NON_PUBLIC_SUFFIXES: tuple[str, ...] = (".internal", ".local", ".home.arpa")
"""Special-use domains that never name a public site (ICANN ``.internal``, mDNS, RFC 8375)."""

_SITE_LOCAL = ipaddress.IPv6Network("fec0::/10")
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_LOOPBACK = (ipaddress.IPv4Network("127.0.0.0/8"), ipaddress.IPv6Network("::1/128"))
_INET_ATON_FORM = re.compile(
    r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}\.?", re.IGNORECASE
)
"""What ``inet_aton`` (and so ``getaddrinfo``) reads as an IPv4 address: ``2130706433``,
``0x7f.1``, ``0177.0.0.1``, ``127.1``."""


def literal_address(host: str) -> IPAddress | None:
    """The address *host* denotes by itself, in any form the system resolver would accept as
    numeric, or ``None`` for a name. A numeric-looking host that is no valid address (such as
    ``999999999999``) is returned as ``0.0.0.0`` so the policy refuses it."""
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    if not _INET_ATON_FORM.fullmatch(bare):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(bare.rstrip(".")))
    except OSError:
        return ipaddress.IPv4Address(0)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, 6to4, Teredo, NAT64)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64_WELL_KNOWN or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _range_refusal(ip: IPAddress) -> str | None:
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_private:
        return "a private address"
    if ip.is_reserved:
        return "a reserved address"
    if not ip.is_global:
        return "not a public address"
    return None


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """``refusal(ip)`` says why an address is refused (``None``: allowed); ``name_refusal`` the
    same for a host name."""

    allow_loopback: bool = False

    def refusal(self, ip: IPAddress) -> str | None:
        if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id is not None:
            ip = ipaddress.IPv6Address(ip.compressed.split("%", 1)[0])
        if ip in METADATA_ADDRESSES:
            return "a cloud metadata address"
        if self.allow_loopback and any(ip in net for net in _LOOPBACK):
            return None
        if isinstance(ip, ipaddress.IPv6Address):
            if ip in _NAT64_LOCAL_USE:
                return "a local-use NAT64 address"
            if ip in _SITE_LOCAL:
                return "a site-local address"
            inner = embedded_ipv4(ip)
            if inner is not None:
                inner_refusal = AddressPolicy().refusal(inner)
                if inner_refusal is not None:
                    return f"an IPv6 form of {inner}, {inner_refusal}"
                if ip in _NAT64_WELL_KNOWN:
                    return None  # DNS64's answer for a public IPv4 site
        return _range_refusal(ip)

    def name_refusal(self, host: str) -> str | None:
        name = host.rstrip(".").lower()
        if name in METADATA_HOSTNAMES:
            return "a cloud metadata host name"
        if name.endswith(NON_PUBLIC_SUFFIXES):
            return "a special-use name that is never public"
        return None
