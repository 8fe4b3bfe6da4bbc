"""A fake Pinterest over ``httpx.MockTransport``, shared by the Pinterest provider tests.

Not a ``conftest.py`` (that file belongs to the whole suite): tests import :class:`FakePinterest`
from here. Every request the provider sends to the API host is checked against Pinterest's
official OpenAPI spec through ``providers.pinterest.contract`` (openapi-core); requests to other
hosts (the S3 ``upload_url``) are not Pinterest API calls and are not checked.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import httpx

from pinterest_agent.providers.pinterest import PinterestClient, PinterestOAuth
from pinterest_agent.providers.pinterest.contract import load_contract

API_HOST = "api.pinterest.test"
API_BASE = f"https://{API_HOST}/v5"
UPLOAD_URL = "https://pinterest-media-upload.s3.test/"
ACCESS_TOKEN = "access-token-123"

Handler = Callable[[httpx.Request], httpx.Response]


def spec_violations(request: httpx.Request) -> list[str]:
    """The spec contract's violations of ``request`` (openapi-core; ``[]`` when it conforms)."""
    return load_contract().request_violations(request)


def respond(status: int = 200, body: Any = None, headers: dict[str, str] | None = None,
            *, text: str | None = None) -> Handler:
    """A handler answering every call with the same response."""

    def handler(request: httpx.Request) -> httpx.Response:
        if text is not None:
            return httpx.Response(status, text=text, headers=headers)
        if body is None:
            return httpx.Response(status, headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    return handler


def sequence(*handlers: Handler) -> Handler:
    """A handler answering the n-th call with the n-th handler (the last one repeats)."""
    queue = list(handlers)

    def handler(request: httpx.Request) -> httpx.Response:
        current = queue.pop(0) if len(queue) > 1 else queue[0]
        return current(request)

    return handler


def pages(*bodies: dict[str, Any]) -> Handler:
    """A handler serving successive pages."""
    return sequence(*(respond(200, b) for b in bodies))


def raise_(exc: Exception) -> Handler:
    """A handler that fails like the network would."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


class FakePinterest:
    """Routes ``(METHOD, /path)`` to handlers, records every request, checks it against the spec.

    Paths are written without the ``/v5`` prefix; an unrouted request fails the test, which is
    how tests prove that a local validation error sent nothing.
    """

    def __init__(self, routes: dict[tuple[str, str], Handler] | None = None) -> None:
        self.routes: dict[tuple[str, str], Handler] = dict(routes or {})
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        if request.url.host == API_HOST:
            violations = spec_violations(request)
            assert violations == [], f"{request.method} {request.url}: {violations}"
            path = request.url.path.removeprefix("/v5")
        else:
            path = str(request.url.copy_with(query=None))
        handler = self.routes.get((request.method, path))
        assert handler is not None, f"unexpected request {request.method} {path}"
        return handler(request)

    def http(self) -> httpx.Client:
        """An ``httpx.Client`` like production's: base URL = the API base."""
        return httpx.Client(base_url=API_BASE, transport=httpx.MockTransport(self))

    def client(self, token: str = ACCESS_TOKEN) -> PinterestClient:
        return PinterestClient(self.http(), token)

    def oauth(self, *, now: float = 1_700_000_000.0, **kwargs: Any) -> PinterestOAuth:
        kwargs.setdefault("app_id", "app-1")
        kwargs.setdefault("app_secret", "app-secret-xyz")
        return PinterestOAuth(self.http(), clock=lambda: now, **kwargs)

    def only(self, method: str, path: str) -> httpx.Request:
        """The one request sent to ``method path``."""
        found = [r for r in self.requests if r.method == method and r.url.path.endswith(path)]
        assert len(found) == 1, f"{len(found)} requests to {method} {path}"
        return found[0]


def json_body(request: httpx.Request) -> Any:
    return json.loads(request.content)


def board(board_id: str, name: str = "Board") -> dict[str, Any]:
    return {"id": board_id, "name": name, "privacy": "PUBLIC", "owner": {"username": "me"}}


def pin(pin_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": pin_id, "created_at": "2025-01-02T03:04:05", "board_id": "111", **fields}


def ids(items: Iterable[Any]) -> list[str]:
    return [item.id for item in items]
