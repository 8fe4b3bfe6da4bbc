"""The guard at connect time: an httpcore network backend under an httpx transport.

httpcore's connection pool asks its network backend for a TCP stream to ``(host, port)`` each
time it opens a connection, then starts TLS on that stream with the URL's host name. The
:class:`GuardedBackend` answers that call: it resolves the host once through the
:class:`AddressGuard` (every address checked), tries the allowed addresses in RFC 8305 order and
falls back to the next on a refused connection or a connect timeout. The URL is never rewritten,
so TLS is verified against the host name the job named and the pool keys connections by that
name: a connection is reused only for the same scheme, host and port.

:class:`GuardedTransport` is the httpx transport over that pool
(:class:`providers.pool.PoolTransport`, built only from httpx's and httpcore's public API).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from pinterest_agent.providers.netsafe.guard import AddressGuard
from pinterest_agent.providers.pool import PoolTransport

__all__ = ["DEFAULT_MAX_CONNECT_ATTEMPTS", "GuardedBackend", "GuardedTransport"]

log = logging.getLogger(__name__)

DEFAULT_MAX_CONNECT_ATTEMPTS = 4
"""Addresses tried per connection (each with the full connect timeout); after RFC 8305's
interleaving the first four cover both families when the host has both."""


class GuardedBackend(httpcore.NetworkBackend):
    """Connects only to addresses the guard allowed. ``connector`` (the system's sockets by
    default) makes each single-address attempt; it is the seam for tests."""

    def __init__(
        self,
        guard: AddressGuard,
        *,
        connector: httpcore.NetworkBackend | None = None,
        max_attempts: int = DEFAULT_MAX_CONNECT_ATTEMPTS,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._guard = guard
        self._connector = connector or httpcore.SyncBackend()
        self._max_attempts = max_attempts

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._guard.addresses(host, port)[: self._max_attempts]
        failures: list[str] = []
        last: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            try:
                return self._connector.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                log.debug("connect to %s (%s) port %s failed: %r", host, address, port, exc)
                failures.append(f"{address}: {exc or type(exc).__name__}")
                last = exc
        assert last is not None  # the guard returns at least one address or raises
        raise type(last)(
            f"could not connect to {host} port {port} on any address ({'; '.join(failures)})"
        ) from last

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("job-supplied URLs never connect to a Unix socket")

    def sleep(self, seconds: float) -> None:
        self._connector.sleep(seconds)


class GuardedTransport(PoolTransport):
    """An httpx transport over an ``httpcore.ConnectionPool`` that connects through
    *backend* (a :class:`GuardedBackend`), verifying TLS with *ssl_context* against the URL's
    host name."""

    def _extensions(self, request: httpx.Request) -> dict[str, Any]:
        # No ``sni_hostname`` override: the certificate is always checked against the URL's host.
        return {k: v for k, v in request.extensions.items() if k != "sni_hostname"}
