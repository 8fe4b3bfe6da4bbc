"""SSRF-safe outbound HTTP for URLs that come from jobs (destination links, source images).

:class:`SafeFetcher` parses every URL strictly (:mod:`providers.netsafe.urls`), sends through a
:class:`~providers.netsafe.backend.GuardedTransport` whose network backend resolves each host
once, refuses it if *any* address is refused by the policy, and connects only to the checked
addresses (in RFC 8305 order, falling back to the next on failure), with TLS verified against the
URL's host name. Redirects are followed by hand, each hop parsed and guarded again, with a short
timeout and a size cap. Failures are classified as permanent or transient
(:mod:`providers.netsafe.classify`).

Every call has a total deadline (:mod:`providers.deadlines`) across its host lookups, connects,
headers and body, redirect hops together: ``preflight_deadline_s`` for :meth:`check_reachable`
and :meth:`check_url`, ``fetch_deadline_s`` for :meth:`fetch`, ``file_deadline_s`` for
:meth:`fetch_to_file` (a caller may pass its own ``deadline_s``). ``timeout_s`` still bounds each
single wait. A call past its deadline fails with the role's transient error
(``destination_unavailable`` / ``source_unavailable``), as does a call cut off by
:func:`providers.deadlines.abort_reads` (the worker shutting down): these are reads of
job-supplied URLs, safe to repeat.

``allow_loopback=True`` lets 127.0.0.0/8 and ::1 through; it exists for the local sandbox and
tests and is never the default.
"""

from __future__ import annotations

import logging
import os
import ssl
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

import httpcore
import httpx

from pinterest_agent.errors import WorkerError
from pinterest_agent.observability.tracing import span
from pinterest_agent.providers.deadlines import DeadlineBackend, current_deadline, deadline
from pinterest_agent.providers.netsafe.backend import (
    DEFAULT_MAX_CONNECT_ATTEMPTS,
    GuardedBackend,
    GuardedTransport,
)
from pinterest_agent.providers.netsafe.classify import (
    LINK,
    SOURCE,
    Role,
    status_failure,
    transport_failure,
)
from pinterest_agent.providers.netsafe.errors import (
    FetchTooLargeError,
    HostLookupError,
    HostNotFoundError,
    UnsafeURLError,
)
from pinterest_agent.providers.netsafe.guard import AddressGuard, Resolver, system_resolver
from pinterest_agent.providers.netsafe.lookup import BoundedLookup
from pinterest_agent.providers.netsafe.policy import AddressPolicy, literal_address
from pinterest_agent.providers.netsafe.urls import parse_url, redact

__all__ = [
    "DEFAULT_FETCH_DEADLINE_S",
    "DEFAULT_FILE_DEADLINE_S",
    "DEFAULT_MAX_REDIRECTS",
    "DEFAULT_MAX_RETRY_AFTER_S",
    "DEFAULT_PREFLIGHT_DEADLINE_S",
    "DEFAULT_TIMEOUT_S",
    "CheckedURL",
    "FetchedBody",
    "FetchedFile",
    "SafeFetcher",
]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 5.0
"""Each single wait (connect, one read, one write)."""
DEFAULT_PREFLIGHT_DEADLINE_S = 15.0
"""A link preflight in all (HEAD, the GET fallback, every redirect hop)."""
DEFAULT_FETCH_DEADLINE_S = 60.0
"""A fetch into memory (a source image) in all."""
DEFAULT_FILE_DEADLINE_S = 240.0
"""A fetch streamed to a file (a video) in all."""
DEFAULT_MAX_REDIRECTS = 5
DEFAULT_MAX_RETRY_AFTER_S = 900.0
"""A server's ``Retry-After`` is honoured up to this many seconds."""
_REDIRECTS = {301, 302, 303, 307, 308}


@dataclass(frozen=True, slots=True)
class FetchedBody:
    content: bytes
    content_type: str | None
    final_url: str


@dataclass(frozen=True, slots=True)
class FetchedFile:
    """A body streamed to a temporary file (see :meth:`SafeFetcher.fetch_to_file`)."""

    path: Path
    size: int
    head: bytes
    """The body's first bytes (as many as were asked for, fewer when the body is shorter)."""
    content_type: str | None
    final_url: str


@dataclass(frozen=True, slots=True)
class CheckedURL:
    """A URL whose syntax and every resolved address passed the policy."""

    url: str
    host: str
    port: int
    addresses: tuple[str, ...]


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


class _MalformedLocation(Exception):
    """A redirect's ``Location`` is not a URL (raised before httpx reads it as one: httpx would
    call that a protocol error, which reads as transient)."""


def _check_location(response: httpx.Response) -> None:
    if response.status_code in _REDIRECTS and "location" in response.headers:
        try:
            httpx.URL(response.headers["location"]).host  # noqa: B018 (decodes xn-- labels)
        except httpx.InvalidURL as exc:
            response.close()
            raise _MalformedLocation(str(exc)) from exc
        except UnicodeError as exc:  # idna.IDNAError: an xn-- label that does not decode
            response.close()
            raise UnsafeURLError(f"a redirect's host is not a valid name ({exc}); send a plain "
                                 "public http(s) URL") from exc


def _ssl_context(extra_ca_file: str | None) -> ssl.SSLContext:
    """httpx's default trust (certifi), plus *extra_ca_file* when given (the sandbox's CA)."""
    context = httpx.create_ssl_context(verify=True, trust_env=False)
    if extra_ca_file is not None:
        context.load_verify_locations(cafile=extra_ca_file)
    return context


class SafeFetcher:
    """Fetches job-supplied URLs without reaching the worker's own network.

    Seams for tests: ``resolver`` (``(host, port) -> [address, ...]``), ``connector`` (the
    httpcore backend that makes each single-address connection under the guard) and
    ``transport``, which replaces the network entirely; with it no connect-time guard runs, so
    the fetcher checks each hop's host itself before sending.
    """

    def __init__(
        self,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        preflight_deadline_s: float = DEFAULT_PREFLIGHT_DEADLINE_S,
        fetch_deadline_s: float = DEFAULT_FETCH_DEADLINE_S,
        file_deadline_s: float = DEFAULT_FILE_DEADLINE_S,
        max_redirects: int = DEFAULT_MAX_REDIRECTS,
        allow_loopback: bool = False,
        resolver: Resolver | None = None,
        connector: httpcore.NetworkBackend | None = None,
        transport: httpx.BaseTransport | None = None,
        user_agent: str = "pinterest-agent-worker/0.1 (+link preflight)",
        extra_ca_file: str | None = None,
        max_connect_attempts: int = DEFAULT_MAX_CONNECT_ATTEMPTS,
        max_retry_after_s: float = DEFAULT_MAX_RETRY_AFTER_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if min(preflight_deadline_s, fetch_deadline_s, file_deadline_s) <= 0:
            raise ValueError("deadlines must be positive")
        self._timeout_s = timeout_s
        self.preflight_deadline_s = preflight_deadline_s
        self.fetch_deadline_s = fetch_deadline_s
        self.file_deadline_s = file_deadline_s
        self._max_redirects = max_redirects
        self._guard = AddressGuard(AddressPolicy(allow_loopback=allow_loopback),
                                   BoundedLookup(resolver or system_resolver))
        self._check_each_hop = transport is not None
        if transport is None:
            transport = GuardedTransport(
                GuardedBackend(self._guard, connector=DeadlineBackend(connector),
                               max_attempts=max_connect_attempts),
                ssl_context=_ssl_context(extra_ca_file),
            )
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout_s),
            follow_redirects=False,
            trust_env=False,
            event_hooks={"response": [_check_location]},
        )
        self._user_agent = user_agent
        self._max_retry_after_s = max_retry_after_s
        self._clock = clock

    def close(self) -> None:
        self._http.close()

    # -- checks -------------------------------------------------------------------------
    def check_url(self, url: str, field: str | None = None, *, role: Role = SOURCE
                  ) -> CheckedURL:
        """Check *url* without fetching it: its syntax, and every address its host resolves to.

        For URLs the worker only passes on (media URLs Pinterest fetches), and to validate a
        link before anything else. Raises :class:`UnsafeURLError`, or *role*'s permanent /
        transient error (``source_unreachable`` / ``source_unavailable`` by default) when the
        host does not exist or cannot be resolved for now.
        """
        try:
            target = parse_url(url)
            with deadline(self.preflight_deadline_s):
                addresses = self._guard.addresses(target.host, target.port)
        except UnsafeURLError as exc:
            raise UnsafeURLError(exc.message, url=redact(url), field=field) from exc
        except (HostNotFoundError, HostLookupError) as exc:
            failure = self._transport_failure(role, exc, url)
            if field is not None:
                failure.details["field"] = field
            raise failure from exc
        return CheckedURL(url=url, host=target.host, port=target.port,
                          addresses=tuple(addresses))

    # -- requests -----------------------------------------------------------------------
    def _send(self, role: Role, method: str, url: str, headers: dict[str, str]) -> httpx.Response:
        """One hop: parse strictly, guard, send; failures classified for *role*."""
        target = parse_url(url)
        shown = redact(url)
        try:
            # An address in the URL needs no lookup: judge it now, so a form httpx will not
            # parse (``0177.0.0.1``) is refused for what it denotes. Names are guarded at
            # connect time, unless a test transport replaced the network.
            if self._check_each_hop or literal_address(target.host) is not None:
                self._guard.addresses(target.host, target.port)
            request = self._http.build_request(
                method, target.url, headers={"User-Agent": self._user_agent, **headers}
            )
            return self._http.send(request, stream=True)
        except _MalformedLocation as exc:
            raise role.permanent(f"{role.subject} redirects to a malformed Location ({exc}); "
                                 f"{role.fix}", url=shown) from exc
        except UnsafeURLError as exc:
            raise UnsafeURLError(exc.message, url=shown) from exc
        except httpx.InvalidURL as exc:
            raise UnsafeURLError(f"the URL is not valid ({exc})", url=shown) from exc
        except (httpx.TransportError, HostNotFoundError, HostLookupError) as exc:
            raise self._transport_failure(role, exc, url) from exc

    def _transport_failure(
        self, role: Role, exc: httpx.TransportError | HostNotFoundError | HostLookupError,
        url: str,
    ) -> WorkerError:
        return transport_failure(role, exc, url=redact(url), timeout_s=self._timeout_s,
                                 deadline=current_deadline())

    @contextmanager
    def _open(
        self, role: Role, method: str, url: str, headers: dict[str, str] | None = None
    ) -> Iterator[tuple[httpx.Response, str]]:
        """Send with redirects followed by hand, each hop re-checked; yields the final response
        and the URL it came from."""
        with span(f"fetch {method}", kind="client", attributes={
                "http.request.method": method, "url.full": redact(url),
                "pinterest_agent.fetch": role.subject}):
            yield from self._follow(role, method, url, headers)

    def _follow(
        self, role: Role, method: str, url: str, headers: dict[str, str] | None
    ) -> Iterator[tuple[httpx.Response, str]]:
        current = url
        for _ in range(self._max_redirects + 1):
            response = self._send(role, method, current, headers or {})
            if response.status_code in _REDIRECTS and "location" in response.headers:
                _drain_and_close(response)
                try:
                    current = urljoin(current, response.headers["location"])
                except ValueError as exc:
                    raise role.permanent(
                        f"{role.subject} redirects to a malformed Location ({exc}); {role.fix}",
                        url=redact(current)) from exc
                if response.status_code == 303 and method != "HEAD":
                    method = "GET"
                continue
            try:
                yield response, current
            finally:
                _drain_and_close(response)
            return
        raise role.permanent(
            f"{role.subject} redirects more than {self._max_redirects} times; link the final "
            "page",
            url=redact(url),
        )

    def _status_failure(
        self, role: Role, response: httpx.Response, url: str
    ) -> WorkerError | None:
        return status_failure(
            role, response.status_code, response.headers, url=redact(url),
            now=datetime.fromtimestamp(self._clock(), UTC),
            max_retry_after_s=self._max_retry_after_s,
        )

    def check_link(self, url: str) -> CheckedURL:
        """:meth:`check_url` for a Pin's destination link (``destination_*`` codes)."""
        return self.check_url(url, "link", role=LINK)

    def check_reachable(self, url: str) -> int:
        """Preflight a destination link: HEAD, falling back to a one-byte GET when the HEAD is
        refused or broken off.

        Returns the final status (< 400) or raises ``destination_unreachable`` (permanent),
        ``destination_unavailable`` (transient: also when it does not finish within
        ``preflight_deadline_s``) or :class:`UnsafeURLError`.
        """
        with deadline(self.preflight_deadline_s, abortable=True):
            return self._check_reachable(url)

    def _check_reachable(self, url: str) -> int:
        try:
            with self._open(LINK, "HEAD", url) as (response, _):
                status: int | None = response.status_code
        except LINK.transient as exc:
            if not isinstance(exc.__cause__, httpx.RemoteProtocolError | httpx.ReadError):
                raise
            status = None  # some servers drop HEAD requests; GET decides
        if status is not None and status < 400:
            return status
        with self._open(LINK, "GET", url, {"Range": "bytes=0-0"}) as (response, final_url):
            failure = self._status_failure(LINK, response, final_url)
            status = response.status_code
        if failure is not None:
            raise failure
        log.debug("preflight ok url=%s status=%s", redact(url), status)
        return status

    def fetch(self, url: str, *, max_bytes: int, deadline_s: float | None = None) -> FetchedBody:
        """GET *url* into memory, refusing bodies larger than *max_bytes*, within *deadline_s*
        (``fetch_deadline_s`` by default).

        Raises ``source_unreachable`` (permanent), ``source_unavailable`` (transient: also past
        the deadline), :class:`FetchTooLargeError` or :class:`UnsafeURLError`.
        """
        with deadline(deadline_s or self.fetch_deadline_s, abortable=True), \
                self._open(SOURCE, "GET", url) as (response, final_url):
            chunks = list(self._body(response, url, final_url, max_bytes))
            return FetchedBody(
                content=b"".join(chunks),
                content_type=response.headers.get("content-type"),
                final_url=final_url,
            )

    @contextmanager
    def fetch_to_file(
        self,
        url: str,
        *,
        max_bytes: int,
        directory: str | os.PathLike[str] | None = None,
        head_bytes: int = 0,
        check_head: Callable[[bytes], object] | None = None,
        deadline_s: float | None = None,
    ) -> Iterator[FetchedFile]:
        """GET *url* streamed into a temporary file in *directory* (the system's temporary
        directory by default), never holding the body in memory; the file is deleted when the
        ``with`` block ends, and at once when the fetch fails.

        The same guard, redirect checks and failures as :meth:`fetch`; the size cap is checked
        against ``Content-Length`` first and again while streaming. *check_head*, when given
        with *head_bytes* > 0, sees the first *head_bytes* bytes (all of a shorter body) before
        anything more is read: raising there refuses the body without downloading the rest.
        The download finishes within *deadline_s* (``file_deadline_s`` by default); the
        ``with`` block runs without it.
        """
        fd, name = tempfile.mkstemp(prefix="pinterest-agent-", suffix=".part", dir=directory)
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as sink, \
                    deadline(deadline_s or self.file_deadline_s, abortable=True), \
                    self._open(SOURCE, "GET", url) as (response, final_url):
                head = b""
                size = 0
                for chunk in self._body(response, url, final_url, max_bytes):
                    if len(head) < head_bytes:
                        head += chunk[: head_bytes - len(head)]
                        if len(head) == head_bytes and check_head is not None:
                            check_head(head)
                    sink.write(chunk)
                    size += len(chunk)
                if len(head) < head_bytes and check_head is not None:
                    check_head(head)  # the whole body is shorter than the head
                fetched = FetchedFile(path=path, size=size, head=head,
                                      content_type=response.headers.get("content-type"),
                                      final_url=final_url)
            log.debug("fetched to file url=%s bytes=%d", redact(url), size)
            yield fetched
        finally:
            path.unlink(missing_ok=True)

    def _body(
        self, response: httpx.Response, url: str, final_url: str, max_bytes: int
    ) -> Iterator[bytes]:
        """The body's chunks after a status and size check, stopping past *max_bytes*."""
        failure = self._status_failure(SOURCE, response, final_url)
        if failure is not None:
            raise failure
        declared = response.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            raise FetchTooLargeError(
                f"the source is {int(declared)} bytes, over the {max_bytes}-byte limit",
                url=redact(url),
            )
        size = 0
        try:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FetchTooLargeError(
                        f"the source is over the {max_bytes}-byte limit", url=redact(url)
                    )
                yield chunk
        except httpx.TransportError as exc:
            raise self._transport_failure(SOURCE, exc, final_url) from exc
