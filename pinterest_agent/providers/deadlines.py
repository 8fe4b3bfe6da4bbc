"""Total deadlines for outbound HTTP: connect, headers and body within one bound.

httpx's ``Timeout`` bounds each operation: every read may wait ``read`` seconds, so a server that
sends one byte a second (in its headers or its body) holds the caller for ever. A *deadline* is
a moment (on ``time.monotonic``) after which no connect, TLS handshake, read or write of the
calling thread's requests may wait::

    with deadline(15.0):          # everything inside shares one bound
        client.get(url)           # each read waits at most what is left of it

- :func:`deadline` sets the calling thread's deadline *seconds* from now (a nested deadline never
  extends an earlier one); :func:`current_deadline` is the one in force;
- :class:`DeadlineBackend` wraps an httpcore network backend: every wait is capped by what is
  left, and once the deadline has passed the stream raises httpcore's ``ConnectTimeout`` /
  ``ReadTimeout`` / ``WriteTimeout`` saying "did not finish within N s", so a trickle is cut;
- :class:`DeadlineTransport` wraps an httpx transport so each request has its own deadline (its
  ``deadline_s``, or ``request.extensions["deadline_s"]``), which also holds while the body is
  read after the transport returned (httpx reads it then);
- :func:`deadline_transport` is what an API client sends through: an httpcore connection pool
  over a :class:`DeadlineBackend`, under a :class:`DeadlineTransport`;
- :func:`abort_reads` ends the in-flight requests of every *abortable* deadline at once (the
  worker's shutdown calls it: reads of job-supplied URLs are safe to cut, API writes are not).

Sync httpx runs a request, its connections and its body on the calling thread, so the deadline
is a :class:`contextvars.ContextVar`.
"""

from __future__ import annotations

import contextvars
import socket
import ssl
import threading
import time
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import httpcore
import httpx

from pinterest_agent.providers.pool import PoolTransport

__all__ = [
    "DEADLINE_EXTENSION",
    "Deadline",
    "DeadlineBackend",
    "DeadlineTransport",
    "abort_reads",
    "current_deadline",
    "deadline",
    "deadline_transport",
]

DEADLINE_EXTENSION = "deadline_s"
"""``request.extensions[DEADLINE_EXTENSION]``: this request's own deadline in seconds (an upload
that needs longer than the client's default)."""


class Deadline:
    """A moment on ``time.monotonic`` after which requests stop waiting.

    ``seconds`` is the bound it was set with (for messages); ``abortable`` deadlines are ended at
    once by :func:`abort_reads`.
    """

    __slots__ = ("__weakref__", "_active", "abortable", "aborted", "at", "seconds")

    def __init__(self, seconds: float, *, abortable: bool = False) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.abortable = abortable
        self.aborted: str | None = None
        self._active: httpcore.NetworkStream | None = None

    def left_s(self) -> float:
        """Seconds left (never negative)."""
        return max(self.at - time.monotonic(), 0.0)

    @property
    def expired(self) -> bool:
        return self.aborted is not None or time.monotonic() >= self.at

    def describe(self) -> str:
        """Why requests under this deadline stop, as the end of a sentence."""
        if self.aborted is not None:
            return f"was cut off: {self.aborted}"
        return f"did not finish within {self.seconds:g} s"

    def abort(self, reason: str) -> None:
        """End this deadline now, breaking off a read in progress."""
        self.aborted = reason
        stream = self._active
        if stream is not None:
            _shut(stream)


_current: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar(
    "providers_deadline", default=None
)
_abortable: weakref.WeakSet[Deadline] = weakref.WeakSet()
_abortable_lock = threading.Lock()


def current_deadline() -> Deadline | None:
    """The calling thread's deadline, or ``None``."""
    return _current.get()


@contextmanager
def _entered(chosen: Deadline | None) -> Iterator[Deadline | None]:
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


@contextmanager
def deadline(seconds: float | None, *, abortable: bool = False) -> Iterator[Deadline | None]:
    """Requests inside the block finish within *seconds* (``None``: no bound of its own), or
    within the enclosing deadline when that one ends sooner."""
    outer = _current.get()
    if seconds is None:
        with _entered(outer) as chosen:
            yield chosen
        return
    mine = Deadline(seconds, abortable=abortable)
    chosen = outer if outer is not None and outer.at <= mine.at else mine
    if chosen is mine and abortable:
        with _abortable_lock:
            _abortable.add(mine)
    with _entered(chosen) as entered:
        yield entered


def abort_reads(reason: str) -> int:
    """End every abortable deadline now (their reads fail as timeouts); returns how many."""
    with _abortable_lock:
        pending = [d for d in _abortable if d.aborted is None]
    for entry in pending:
        entry.abort(reason)
    return len(pending)


def _shut(stream: httpcore.NetworkStream) -> None:
    """Wake a thread blocked reading *stream*: shut the socket down under it (the plain socket
    call, so a TLS object is left to its owner)."""
    sock = stream.get_extra_info("socket")
    if isinstance(sock, socket.socket):
        with suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _capped(timeout: float | None, error: type[httpcore.TimeoutException]) -> float | None:
    """*timeout* capped by what is left of the deadline; *error* once it has passed."""
    current = _current.get()
    if current is None:
        return timeout
    if current.expired:
        raise error(f"the request {current.describe()}")
    left = current.left_s()
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        timeout = _capped(timeout, httpcore.ReadTimeout)
        current = _current.get()
        if current is not None and current.abortable:
            current._active = self._stream
            if current.aborted is not None:  # aborted since the check above
                current._active = None
                raise httpcore.ReadTimeout(f"the request {current.describe()}")
        try:
            data = self._stream.read(max_bytes, timeout)
        except (httpcore.ReadTimeout, httpcore.ReadError) as exc:
            if current is not None and current.expired:
                raise httpcore.ReadTimeout(f"the request {current.describe()}") from exc
            raise
        finally:
            if current is not None:
                current._active = None
        if current is not None and current.aborted is not None:
            raise httpcore.ReadTimeout(f"the request {current.describe()}")
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _capped(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _capped(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """Wraps *backend* (the system's sockets by default) so that no wait outlives the calling
    thread's deadline."""

    def __init__(self, backend: httpcore.NetworkBackend | None = None) -> None:
        self._backend = backend or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _capped(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_tcp(
            host, port, timeout=timeout, local_address=local_address,
            socket_options=socket_options,
        ))

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _capped(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_unix_socket(
            path, timeout=timeout, socket_options=socket_options,
        ))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class _DeadlineBody(httpx.SyncByteStream):
    """The response body, each chunk read under the request's deadline."""

    def __init__(self, stream: httpx.SyncByteStream, bound: Deadline | None) -> None:
        self._stream = stream
        self._bound = bound

    def __iter__(self) -> Iterator[bytes]:
        chunks = iter(self._stream)
        while True:
            with _entered(_earlier(self._bound, _current.get())):
                chunk = next(chunks, None)
            if chunk is None:
                return
            yield chunk

    def close(self) -> None:
        self._stream.close()


def _earlier(a: Deadline | None, b: Deadline | None) -> Deadline | None:
    if a is None or b is None:
        return a or b
    return a if a.at <= b.at else b


class DeadlineTransport(httpx.BaseTransport):
    """Each request through *transport* finishes within *deadline_s* (or its own
    ``extensions["deadline_s"]``), body included; an enclosing, earlier deadline still holds.

    The bound is enforced by a :class:`DeadlineBackend` under *transport* (what
    :func:`deadline_transport` builds); over any other transport only the pool wait and
    httpx's per-operation timeouts are capped.
    """

    def __init__(self, transport: httpx.BaseTransport, *, deadline_s: float) -> None:
        if deadline_s <= 0:
            raise ValueError("deadline_s must be positive")
        self._transport = transport
        self.deadline_s = deadline_s

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        own = request.extensions.get(DEADLINE_EXTENSION)
        seconds = float(own) if isinstance(own, int | float) and own > 0 else self.deadline_s
        with deadline(seconds) as bound:
            assert bound is not None
            timeouts = request.extensions.get("timeout")
            if isinstance(timeouts, dict):
                request.extensions["timeout"] = {
                    key: bound.left_s() if value is None else min(value, bound.left_s())
                    for key, value in timeouts.items()
                }
            response = self._transport.handle_request(request)
        assert isinstance(response.stream, httpx.SyncByteStream)
        response.stream = _DeadlineBody(response.stream, bound)
        return response

    def close(self) -> None:
        self._transport.close()


def deadline_transport(
    *,
    deadline_s: float,
    limits: httpx.Limits | None = None,
    ssl_context: ssl.SSLContext | None = None,
    backend: httpcore.NetworkBackend | None = None,
) -> DeadlineTransport:
    """An httpx transport for an API client: a connection pool (TLS verified with httpx's
    default trust unless *ssl_context* is given) whose every request finishes within
    *deadline_s*. *backend* (the system's sockets by default) is the seam for tests."""
    pool = PoolTransport(
        DeadlineBackend(backend),
        ssl_context=ssl_context or httpx.create_ssl_context(),
        limits=limits,
    )
    return DeadlineTransport(pool, deadline_s=deadline_s)
