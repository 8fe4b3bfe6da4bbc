"""Where the console listens and whom it believes: its address, the proxies it trusts with
``X-Forwarded-*`` headers, and the host names it answers to.

* **Proxies**: uvicorn's ``ProxyHeadersMiddleware`` takes the scheme (``X-Forwarded-Proto``) and
  the client's address (``X-Forwarded-For``) from a peer in ``forwarded_allow_ips`` only (none by
  default): behind a TLS proxy the console then sees ``https`` (the browser's ``Origin`` matches,
  the session cookie is ``Secure``) and the real client (the login throttle counts per client).
* **Host names**: Starlette's ``TrustedHostMiddleware`` answers 400 to a ``Host`` the console does
  not own (a DNS-rebinding page's name): ``--host`` when it is an address or a name, the loopback
  names when it listens on loopback or on every address, and ``allowed_hosts`` (the names browsers
  use through a proxy). Listening on every address (``0.0.0.0``, ``::``) needs ``allowed_hosts``.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

from pinterest_agent.errors import ConfigurationError
from pinterest_agent.queues.console.access import is_loopback
from pinterest_agent.queues.settings import Settings

__all__ = ["LOOPBACK_NAMES", "ConsoleNetwork", "listen"]

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
_EVERY_ADDRESS = ("0.0.0.0", "::", "")  # noqa: S104 - names, compared, never bound here


def _items(comma_separated: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in comma_separated.split(",") if item.strip())


def _host_value(name: str) -> str:
    """A name as it appears in a ``Host`` header (an IPv6 address in brackets), lower case."""
    bare = name.strip().strip("[]").lower()
    try:
        return f"[{bare}]" if ipaddress.ip_address(bare).version == 6 else bare
    except ValueError:
        return bare


@dataclass(frozen=True)
class ConsoleNetwork:
    """The console's address and the names and proxies it trusts (settings ``console_*``,
    overridden by the command's options)."""

    host: str = "127.0.0.1"
    port: int = 8086
    forwarded_allow_ips: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings, *, host: str | None = None,
                      port: int | None = None, forwarded_allow_ips: str | None = None,
                      allowed_hosts: tuple[str, ...] = ()) -> ConsoleNetwork:
        proxies = settings.console_forwarded_allow_ips if forwarded_allow_ips is None \
            else forwarded_allow_ips
        return cls(host=settings.console_host if host is None else host,
                   port=settings.console_port if port is None else port,
                   forwarded_allow_ips=_items(proxies),
                   allowed_hosts=(*_items(settings.console_allowed_hosts), *allowed_hosts))

    @property
    def every_address(self) -> bool:
        return self.host.strip("[]") in _EVERY_ADDRESS

    def host_names(self) -> list[str]:
        """The ``Host`` values (without port) the console answers to."""
        names = list(self.allowed_hosts)
        if not self.every_address:
            names.append(self.host)
        if self.every_address or is_loopback(self.host):
            names += LOOPBACK_NAMES
        return sorted({_host_value(name) for name in names if name.strip()})

    def check(self) -> None:
        """Refuse to listen on every address without the names browsers will use."""
        if self.every_address and not self.allowed_hosts:
            raise ConfigurationError(
                f"the console would listen on every address ({self.host or '*'}) without knowing "
                "the names browsers reach it by; name them with --allowed-host (or "
                "PINTEREST_AGENT_CONSOLE_ALLOWED_HOSTS), or listen on one address with --host",
                code="console_allowed_host_required",
            )

    def url(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.port}/"


def listen(network: ConsoleNetwork) -> socket.socket:
    """The console's listening socket, bound now: a port in use is a configuration error
    raised before anything (a one-time password) is printed."""
    try:
        return socket.create_server(
            (network.host.strip("[]"), network.port),
            family=socket.AF_INET6 if ":" in network.host else socket.AF_INET, backlog=2048)
    except OSError as exc:
        raise ConfigurationError(
            f"the console cannot listen on {network.url()}: {exc.strerror or exc}; stop what "
            "uses that port or choose another with --port",
            code="console_port_unavailable",
        ) from exc
