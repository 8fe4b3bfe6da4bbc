"""SSRF-safe outbound HTTP for URLs that come from jobs (destination links, source images).

A URL from a job is untrusted: it may point at the worker's own network (Redis, a cloud metadata
service) directly, through DNS, or through a redirect. :class:`SafeFetcher`:

- accepts only ``http``/``https`` URLs without credentials;
- resolves the host itself and refuses the request if *any* resolved address is loopback,
  private, link-local (including ``169.254.169.254``), shared (CGNAT), multicast, reserved,
  unspecified, or an IPv6 form that embeds such an IPv4 address (IPv4-mapped, IPv4-compatible,
  6to4, Teredo, NAT64);
- connects to the address it checked (the host name goes into ``Host`` and TLS SNI, and the
  certificate is still verified against the name), so a second DNS answer cannot differ;
- follows redirects itself, checking every hop, with a short timeout and a size cap.

``allow_loopback=True`` lets 127.0.0.0/8 and ::1 through; it exists for the local sandbox and
tests and is never the default.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from providers.errors import InvalidInputError, PermanentError, TransientError

__all__ = [
    "DestinationUnreachableError",
    "FetchFailedError",
    "FetchTooLargeError",
    "FetchUnavailableError",
    "FetchedBody",
    "Resolver",
    "SafeFetcher",
    "UnsafeURLError",
]

log = logging.getLogger(__name__)

Resolver = Callable[[str, int], list[str]]
"""``(host, port) -> [ip, ...]``; the default uses ``socket.getaddrinfo``."""

DEFAULT_TIMEOUT_S = 5.0
DEFAULT_MAX_REDIRECTS = 5
_REDIRECTS = {301, 302, 303, 307, 308}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


class UnsafeURLError(InvalidInputError):
    """The URL is not one the worker will fetch (scheme, credentials, or a non-public address)."""

    default_code = "unsafe_url"


class DestinationUnreachableError(PermanentError):
    """The Pin's destination link does not answer with a success status."""

    default_code = "destination_unreachable"


class FetchTooLargeError(InvalidInputError):
    default_code = "source_too_large"


class FetchFailedError(PermanentError):
    """A fetched URL answered 4xx (permanent); see :class:`FetchUnavailableError` for 5xx."""

    default_code = "source_unreachable"


class FetchUnavailableError(TransientError):
    default_code = "source_unavailable"


@dataclass(frozen=True, slots=True)
class FetchedBody:
    content: bytes
    content_type: str | None
    final_url: str


def _default_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    packed = ip.packed
    if packed[:12] == bytes(12) and int(ip) > 1:  # deprecated IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(packed[12:])
    return None


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_v4(ip)
        if inner is not None and not _is_public(inner):
            return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def _drain_and_close(response: httpx.Response, limit: int = 64 * 1024) -> None:
    """Read a small rest of the body so the keep-alive connection goes back to the pool."""
    try:
        if response.is_stream_consumed:
            pass
        elif response.request.method == "HEAD":
            response.read()
        else:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) <= limit:
                response.read()
    except httpx.HTTPError:
        pass
    finally:
        response.close()


def _redact(url: str) -> str:
    """Scheme, host and path only: query strings may carry tokens."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{parts.path}"


class SafeFetcher:
    """Fetches job-supplied URLs without reaching the worker's own network.

    ``transport`` is the seam for tests; in production httpx's default transport is used.
    """

    def __init__(
        self,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_redirects: int = DEFAULT_MAX_REDIRECTS,
        allow_loopback: bool = False,
        resolver: Resolver | None = None,
        transport: httpx.BaseTransport | None = None,
        user_agent: str = "pinterest-agent-worker/0.1 (+link preflight)",
        extra_ca_file: str | None = None,
    ) -> None:
        self._timeout = httpx.Timeout(timeout_s)
        self._max_redirects = max_redirects
        self._allow_loopback = allow_loopback
        self._resolve = resolver or _default_resolver
        verify: ssl.SSLContext | bool = True
        if extra_ca_file is not None:  # trusted in addition to the system's CAs
            verify = ssl.create_default_context()
            verify.load_verify_locations(cafile=extra_ca_file)
        self._http = httpx.Client(
            transport=transport,
            timeout=self._timeout,
            follow_redirects=False,
            trust_env=False,
            verify=verify,
        )
        self._user_agent = user_agent

    def close(self) -> None:
        self._http.close()

    # -- checks -------------------------------------------------------------------------
    def check_url(self, url: str) -> tuple[str, str, int]:
        """Validate *url* and resolve it; return ``(host, pinned_ip, port)`` or raise."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise UnsafeURLError(
                f"only http(s) URLs can be fetched, not {parts.scheme or 'a relative URL'!r}",
                url=_redact(url),
            )
        if parts.username or parts.password:
            raise UnsafeURLError("URLs with embedded credentials are refused", url=_redact(url))
        host = parts.hostname
        if not host:
            raise UnsafeURLError("the URL has no host", url=url[:200])
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            try:
                resolved = self._resolve(host, port)
                addresses = [ipaddress.ip_address(a.split("%")[0]) for a in resolved]
            except OSError as exc:
                raise DestinationUnreachableError(
                    f"the host {host!r} does not resolve ({exc.strerror or exc})", url=_redact(url)
                ) from exc
        if not addresses:
            raise DestinationUnreachableError(f"the host {host!r} has no address", url=_redact(url))
        for ip in addresses:
            if self._allow_loopback and any(ip in net for net in _LOOPBACK):
                continue
            if not _is_public(ip):
                raise UnsafeURLError(
                    f"{host!r} resolves to {ip}, a non-public address; use a public URL",
                    url=_redact(url),
                )
        return host, str(addresses[0]), port

    # -- requests -----------------------------------------------------------------------
    def _pinned_request(self, method: str, url: str, headers: dict[str, str]) -> httpx.Request:
        host, ip, port = self.check_url(url)
        parts = urlsplit(url)
        ip_host = f"[{ip}]" if ":" in ip else ip
        default_port = 443 if parts.scheme == "https" else 80
        netloc = ip_host if port == default_port else f"{ip_host}:{port}"
        pinned = parts._replace(netloc=netloc).geturl()
        host_header = host if port == default_port else f"{host}:{port}"
        return self._http.build_request(
            method,
            pinned,
            headers={"Host": host_header, "User-Agent": self._user_agent, **headers},
            extensions={"sni_hostname": host},
        )

    @contextmanager
    def _open(
        self, method: str, url: str, headers: dict[str, str] | None = None
    ) -> Iterator[tuple[httpx.Response, str]]:
        """Send with redirects followed by hand, each hop re-checked; yields the final response
        and the URL it came from."""
        current = url
        for _ in range(self._max_redirects + 1):
            request = self._pinned_request(method, current, headers or {})
            try:
                response = self._http.send(request, stream=True)
            except httpx.TimeoutException as exc:
                raise DestinationUnreachableError(
                    "the URL did not answer in time", url=_redact(current)
                ) from exc
            except httpx.TransportError as exc:
                raise DestinationUnreachableError(
                    f"the URL could not be reached ({type(exc).__name__})", url=_redact(current)
                ) from exc
            if response.status_code in _REDIRECTS and "location" in response.headers:
                _drain_and_close(response)
                current = urljoin(current, response.headers["location"])
                if response.status_code == 303:
                    method = "GET" if method != "HEAD" else "HEAD"
                continue
            try:
                yield response, current
            finally:
                _drain_and_close(response)
            return
        raise DestinationUnreachableError(
            f"more than {self._max_redirects} redirects", url=_redact(url)
        )

    def check_reachable(self, url: str) -> int:
        """Preflight a destination link: HEAD, falling back to a one-byte GET.

        Returns the final status (< 400) or raises :class:`DestinationUnreachableError` /
        :class:`UnsafeURLError`.
        """
        try:
            with self._open("HEAD", url) as (response, _):
                status = response.status_code
        except DestinationUnreachableError:
            status = None
        if status is not None and status < 400:
            return status
        with self._open("GET", url, {"Range": "bytes=0-0"}) as (response, _):
            status = response.status_code
        if status >= 400:
            raise DestinationUnreachableError(
                f"the destination link answered HTTP {status}; fix the link or the page",
                url=_redact(url), status=status,
            )
        log.debug("preflight ok url=%s status=%s", _redact(url), status)
        return status

    def fetch(self, url: str, *, max_bytes: int) -> FetchedBody:
        """GET *url* into memory, refusing bodies larger than *max_bytes*."""
        with self._open("GET", url) as (response, final_url):
            status = response.status_code
            if status >= 500:
                raise FetchUnavailableError(
                    f"the source URL answered HTTP {status}", url=_redact(url), status=status
                )
            if status >= 400:
                raise FetchFailedError(
                    f"the source URL answered HTTP {status}; check that it is public",
                    url=_redact(url), status=status,
                )
            declared = response.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > max_bytes:
                raise FetchTooLargeError(
                    f"the source is {int(declared)} bytes, over the {max_bytes}-byte limit",
                    url=_redact(url),
                )
            chunks: list[bytes] = []
            size = 0
            try:
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise FetchTooLargeError(
                            f"the source is over the {max_bytes}-byte limit", url=_redact(url)
                        )
                    chunks.append(chunk)
            except httpx.TransportError as exc:
                raise FetchUnavailableError(
                    f"the source download broke off ({type(exc).__name__})", url=_redact(url)
                ) from exc
            return FetchedBody(
                content=b"".join(chunks),
                content_type=response.headers.get("content-type"),
                final_url=final_url,
            )
