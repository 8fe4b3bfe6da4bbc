"""Resolve a host once, check every address against the policy, order them for connecting.

:meth:`AddressGuard.addresses` is the single place a host name becomes addresses; the network
backend calls it at connect time and ``SafeFetcher.check_url`` calls it for URLs the worker only
passes on. The resolver's failures are split into :class:`HostNotFoundError` (the name does not
exist: permanent) and :class:`HostLookupError` (try again later).
"""

from __future__ import annotations

import ipaddress
import itertools
import socket
from collections.abc import Callable, Sequence

from pinterest_agent.providers.netsafe.errors import (
    HostLookupError,
    HostNotFoundError,
    UnsafeURLError,
)
from pinterest_agent.providers.netsafe.policy import AddressPolicy, IPAddress, literal_address

__all__ = ["AddressGuard", "Resolver", "connection_order", "system_resolver"]

Resolver = Callable[[str, int], list[str]]
"""``(host, port) -> [address, ...]`` in the resolver's preference order."""

_NOT_FOUND = frozenset(
    getattr(socket, name) for name in ("EAI_NONAME", "EAI_NODATA", "EAI_ADDRFAMILY")
    if hasattr(socket, name)
)
"""``getaddrinfo`` errors that mean the name has no address (NXDOMAIN, no A/AAAA record)."""


def system_resolver(host: str, port: int) -> list[str]:
    """``getaddrinfo`` in its own order (RFC 6724 destination address selection), deduplicated."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: dict[str, None] = {}
    for family, _, _, _, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6):
            seen.setdefault(str(sockaddr[0]))
    return list(seen)


def connection_order(addresses: Sequence[IPAddress]) -> list[IPAddress]:
    """RFC 8305 section 4: keep the resolver's order within each family and interleave the
    families, starting with the family of the resolver's first answer (IPv6 when RFC 6724
    prefers it)."""
    unique = list(dict.fromkeys(addresses))
    if not unique:
        return []
    first = unique[0].version
    preferred = [ip for ip in unique if ip.version == first]
    other = [ip for ip in unique if ip.version != first]
    return [ip for pair in itertools.zip_longest(preferred, other) for ip in pair
            if ip is not None]


class AddressGuard:
    """Turns a host into the addresses a connection may try, or raises."""

    def __init__(self, policy: AddressPolicy, resolver: Resolver = system_resolver) -> None:
        self.policy = policy
        self._resolve = resolver

    def addresses(self, host: str, port: int) -> list[str]:
        """Every address of *host*, each allowed by the policy, in connection order.

        Raises :class:`UnsafeURLError` if the name or *any* address is refused (a host that
        answers with one private address among public ones is refused: the next lookup could
        return only that one), :class:`HostNotFoundError` or :class:`HostLookupError`.
        """
        reason = self.policy.name_refusal(host)
        if reason is not None:
            raise UnsafeURLError(f"{host!r} is {reason}; use a public URL")
        literal = literal_address(host)
        ips = [literal] if literal is not None else self._lookup(host, port)
        for ip in ips:
            reason = self.policy.refusal(ip)
            if reason is None:
                continue
            if literal is None:
                said = f"{host!r} resolves to {ip}, {reason}"
            elif str(ip) != host:
                said = f"the host {host!r} means {ip}, {reason}"
            else:
                said = f"{ip} is {reason}"
            raise UnsafeURLError(f"{said}; use a public URL")
        return [str(ip) for ip in connection_order(ips)]

    def _lookup(self, host: str, port: int) -> list[IPAddress]:
        try:
            answers = self._resolve(host, port)
        except socket.gaierror as exc:
            detail = exc.strerror or str(exc)
            if exc.errno in _NOT_FOUND:
                raise HostNotFoundError(f"the host {host!r} does not exist ({detail})") from exc
            raise HostLookupError(f"the host {host!r} could not be resolved ({detail})") from exc
        except UnicodeError as exc:
            raise HostNotFoundError(f"{host!r} is not a valid host name ({exc})") from exc
        except OSError as exc:
            raise HostLookupError(f"the host {host!r} could not be resolved ({exc})") from exc
        if not answers:
            raise HostNotFoundError(f"the host {host!r} has no address")
        ips: list[IPAddress] = []
        for answer in answers:
            try:
                ips.append(ipaddress.ip_address(answer))
            except ValueError as exc:
                raise UnsafeURLError(
                    f"{host!r} resolves to {answer!r}, which is not an IP address"
                ) from exc
        return ips
