"""The sandbox's route registry and the request/response types its handlers speak.

A route is ``Route(method, pattern, handler)``. ``pattern`` is a path template whose ``{name}``
placeholders match one path segment and whose ``{name:path}`` placeholder (last only) matches the
rest of the path, e.g. ``/v5/boards/{board_id}/pins`` or ``/_sandbox/pages/{rest:path}``.
Patterns are compiled once, when the route is registered.

Handler API (what a route module writes)::

    from providers.sandbox.routes import ApiError, RouteRegistry, SandboxRequest, SandboxResponse

    def list_things(request: SandboxRequest) -> SandboxResponse:
        user = request.state.authenticate(request.bearer_token)   # raises ApiError(401, 2, ...)
        # or providers.sandbox.pinterest.user_of(request), which also checks the token's scopes
        # against the spec's security for this operation (ApiError(401, 3, ...))
        limit = request.query_one("page_size", "25")
        with request.state.lock:                                  # state is shared by threads
            ...
        return SandboxResponse.json({"items": [], "bookmark": None})

    def register(registry: RouteRegistry) -> None:
        registry.add("GET", "/v5/things", list_things)

A handler receives a :class:`SandboxRequest`: ``method``, ``path`` (no query string),
``path_params`` (from the pattern), ``query`` (a multi-dict: name -> list of values), ``headers``
(case-insensitive), ``body`` (raw bytes, chunked bodies already decoded), ``json`` and ``form``
(parsed lazily; ``None`` / ``{}`` when the body is not of that kind), ``state`` (the server's
:class:`~providers.sandbox.state.SandboxState`) and ``base_url`` (``http://127.0.0.1:PORT``).

A route added with ``stream_body=True`` (the S3 upload stand-in) gets a body with a
Content-Length as ``body_stream`` (a :class:`BodyStream`, read in chunks) and ``body == b""``,
so a 1 GB upload is never held in memory; the server reads what the handler leaves unread.

It returns a :class:`SandboxResponse` (``status``, ``body`` bytes, ``headers``) built with
``SandboxResponse.json(...)``, ``.error(status, code, message)``, ``.text(...)``, ``.empty()``
or ``.redirect(url)``; or it raises :class:`ApiError`, which the server renders as Pinterest's
``{"code": ..., "message": ...}`` envelope. The server adds ``x-pinterest-rid`` to every response,
validates requests under ``/v5/`` against Pinterest's OpenAPI contract before the handler runs,
applies injected faults and latency, and counts requests per ``(method, pattern)``.

Modules that add routes (``providers.sandbox.analytics``, ``providers.sandbox.openai_compat``)
expose ``register(registry)``; the server imports each optional module it knows of and skips the
ones that are missing. When two patterns match a path, the one with literal segments earlier wins
(``/v5/pins/analytics`` beats ``/v5/pins/{pin_id}``).
"""

from __future__ import annotations

import json as _json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from pinterest_agent.providers.sandbox.state import SandboxState

__all__ = [
    "ApiError",
    "BodyStream",
    "Handler",
    "Route",
    "RouteRegistry",
    "SandboxRequest",
    "SandboxResponse",
]

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(:path)?\}")


class ApiError(Exception):
    """Raised by a handler to answer with Pinterest's ``{code, message}`` error envelope."""

    def __init__(
        self, status: int, code: int, message: str, *, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} [{code}] {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def response(self) -> SandboxResponse:
        """The error as a response."""
        return SandboxResponse.error(self.status, self.code, self.message, headers=self.headers)


@dataclass
class SandboxResponse:
    """What a handler answers: a status, a body of bytes and headers."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(
        cls, data: object, status: int = 200, *, headers: Mapping[str, str] | None = None
    ) -> SandboxResponse:
        """A JSON body (``application/json``)."""
        payload = _json.dumps(data, separators=(",", ":")).encode()
        return cls(status, payload, {"Content-Type": "application/json", **(headers or {})})

    @classmethod
    def error(
        cls, status: int, code: int, message: str, *, headers: Mapping[str, str] | None = None
    ) -> SandboxResponse:
        """Pinterest's error envelope ``{"code": int, "message": str}``."""
        return cls.json({"code": code, "message": message}, status, headers=headers)

    @classmethod
    def text(
        cls, text: str, status: int = 200, *, content_type: str = "text/plain; charset=utf-8"
    ) -> SandboxResponse:
        """A text body (plain by default; pass ``content_type`` for HTML)."""
        return cls(status, text.encode(), {"Content-Type": content_type})

    @classmethod
    def empty(cls, status: int = 204) -> SandboxResponse:
        """No body (204 by default)."""
        return cls(status, b"", {})

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> SandboxResponse:
        """A redirect to ``location``."""
        return cls(status, b"", {"Location": location})


class _Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...


class BodyStream:
    """A request body read from the connection in chunks: exactly its Content-Length bytes
    (fewer only when the client hangs up early; :attr:`remaining` then stays above zero)."""

    def __init__(self, source: _Readable, length: int) -> None:
        self._source = source
        self._hung_up = False
        self.length = length
        self.remaining = length

    def read(self, size: int = 1 << 20) -> bytes:
        """Up to *size* bytes; ``b""`` at the end of the body."""
        wanted = min(size, self.remaining)
        if wanted <= 0 or self._hung_up:
            return b""
        data = self._source.read(wanted)
        if not data:  # the client went away mid-body
            self._hung_up = True
            return b""
        self.remaining -= len(data)
        return data

    def drain(self) -> None:
        """Read and drop what is left, so the connection can carry the next request."""
        while self.read():
            pass


@dataclass
class SandboxRequest:
    """One parsed HTTP request as a handler sees it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    state: SandboxState
    base_url: str
    path_params: dict[str, str] = field(default_factory=dict)
    route: Route | None = None
    body_stream: BodyStream | None = None
    """Set instead of ``body`` for a ``stream_body`` route's body with a Content-Length."""

    def query_one(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter ``name`` (or ``default``)."""
        values = self.query.get(name)
        return values[0] if values else default

    def header(self, name: str, default: str | None = None) -> str | None:
        """A header's value, looked up case-insensitively."""
        value = self.headers.get(name)
        if value is None:
            lowered = name.lower()
            for key, candidate in self.headers.items():
                if key.lower() == lowered:
                    return candidate
            return default
        return value

    @property
    def content_type(self) -> str | None:
        """The media type of the body without parameters, lower-cased."""
        raw = self.header("Content-Type")
        return raw.split(";", 1)[0].strip().lower() if raw else None

    @property
    def bearer_token(self) -> str | None:
        """The token of an ``Authorization: Bearer ...`` header, if any."""
        raw = self.header("Authorization") or ""
        scheme, _, token = raw.partition(" ")
        return (token.strip() or None) if scheme.lower() == "bearer" else None

    @cached_property
    def json(self) -> Any:
        """The body parsed as JSON, or ``None`` when it is empty or not JSON."""
        if not self.body:
            return None
        try:
            return _json.loads(self.body)
        except ValueError:
            return None

    @cached_property
    def form(self) -> dict[str, str]:
        """An ``application/x-www-form-urlencoded`` body as a dict (first value wins)."""
        if self.content_type != "application/x-www-form-urlencoded":
            return {}
        parsed = parse_qs(self.body.decode("latin-1"), keep_blank_values=True)
        return {key: values[0] for key, values in parsed.items()}


Handler = Callable[[SandboxRequest], SandboxResponse]


@dataclass(frozen=True)
class Route:
    """A method, a path pattern and the handler that answers it."""

    method: str
    pattern: str
    handler: Handler
    stream_body: bool = False
    """The handler reads ``request.body_stream`` instead of ``request.body``."""
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)
    specificity: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", self.method.upper())
        object.__setattr__(self, "regex", _compile(self.pattern))
        kinds = tuple(
            2 if ":path}" in segment else 1 if "{" in segment else 0
            for segment in self.pattern.strip("/").split("/")
        )
        object.__setattr__(self, "specificity", kinds)

    def match(self, path: str) -> dict[str, str] | None:
        """The path parameters when ``path`` fits this route's pattern, else ``None``."""
        found = self.regex.fullmatch(path)
        return found.groupdict() if found else None


def _compile(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    position = 0
    for placeholder in _PLACEHOLDER.finditer(pattern):
        parts.append(re.escape(pattern[position : placeholder.start()]))
        name, is_path = placeholder.group(1), placeholder.group(2)
        parts.append(f"(?P<{name}>.+)" if is_path else f"(?P<{name}>[^/]+)")
        position = placeholder.end()
    parts.append(re.escape(pattern[position:]))
    return re.compile("".join(parts))


class RouteRegistry:
    """The routes a sandbox server answers, looked up by method and path."""

    def __init__(self) -> None:
        self._routes: dict[str, list[Route]] = {}

    def add(
        self, method: str, pattern: str, handler: Handler, *, stream_body: bool = False
    ) -> Route:
        """Register ``handler`` for ``method`` on ``pattern``; returns the route."""
        route = Route(method, pattern, handler, stream_body)
        routes = self._routes.setdefault(route.method, [])
        routes[:] = [existing for existing in routes if existing.pattern != route.pattern]
        routes.append(route)
        routes.sort(key=lambda candidate: candidate.specificity)
        return route

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        """Decorator form of :meth:`add`."""

        def decorate(handler: Handler) -> Handler:
            self.add(method, pattern, handler)
            return handler

        return decorate

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route for ``method`` and ``path`` with its path params (HEAD falls back to GET)."""
        method = method.upper()
        for candidate_method in (method, "GET") if method == "HEAD" else (method,):
            for route in self._routes.get(candidate_method, ()):
                params = route.match(path)
                if params is not None:
                    return route, params
        return None

    def allowed_methods(self, path: str) -> list[str]:
        """The methods that have a route for ``path`` (to tell 404 from 405)."""
        return sorted(
            method
            for method, routes in self._routes.items()
            if any(route.match(path) is not None for route in routes)
        )

    def __iter__(self) -> Iterator[Route]:
        for routes in self._routes.values():
            yield from routes

    def __len__(self) -> int:
        return sum(len(routes) for routes in self._routes.values())
