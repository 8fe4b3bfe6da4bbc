"""The Pinterest v5 client: one place where requests are sent, logged and turned into errors.

``PinterestClient`` wraps an injected, synchronous ``httpx.Client`` whose ``base_url`` is the API
base (``https://api.pinterest.com/v5``, ``https://api-sandbox.pinterest.com/v5`` or the local
sandbox). It adds the bearer token per request, so one ``httpx.Client`` (and its connection pool)
can serve many channels; timeouts are the injected client's, and so is the total deadline of each
request (the composition root sends through a :func:`providers.deadlines.deadline_transport`;
a request past it fails as ``network``, ``outcome_unknown`` for a write). A video upload asks for
its own, longer deadline (``upload_deadline_s``).

Logging goes to ``providers.pinterest``: method, path, status and ``x-pinterest-rid`` of every
non-2xx answer. Tokens, ``Authorization`` headers, OAuth codes and bodies are never logged.

Every answer is read streamed, at most :data:`DEFAULT_MAX_RESPONSE_BYTES` of it (decoded): a
larger 2xx body is a ``response_too_large`` error (transient with ``outcome_unknown`` for a
write, which was probably applied; permanent for a read), a larger error body is cut to that
size before it is mapped to an error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from pinterest_agent.observability.metrics import count_pinterest_call, operation_of
from pinterest_agent.observability.tracing import set_attributes, span
from pinterest_agent.providers.pinterest.boards import Boards
from pinterest_agent.providers.pinterest.errors import (
    PinterestAuthError,
    PinterestError,
    PinterestPermanentError,
    PinterestTransientError,
    PinterestValidationError,
    error_from_response,
    network_error,
)
from pinterest_agent.providers.pinterest.media import DEFAULT_UPLOAD_TIMEOUT_S, Media
from pinterest_agent.providers.pinterest.models import Account
from pinterest_agent.providers.pinterest.pager import DEFAULT_PAGE_CAP, walk_pages
from pinterest_agent.providers.pinterest.pins import Pins

__all__ = ["DEFAULT_MAX_RESPONSE_BYTES", "DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "PinterestClient",
           "parse_model", "send"]

logger = logging.getLogger("pinterest_agent.providers.pinterest")

DEFAULT_PAGE_SIZE = 250
DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024
"""The largest answer read from Pinterest (10 MiB, decoded): a full page of 250 Pins is well
under 1 MiB, so anything near this is not an answer the worker can use."""
MAX_PAGE_SIZE = 250

Params = Mapping[str, Any]
ModelT = TypeVar("ModelT", bound=BaseModel)
Recast = Callable[[PinterestError, httpx.Response], PinterestError]


class PinterestClient:
    """Pinterest REST API v5 for one access token.

    Resources hang off the client: ``api.boards``, ``api.pins`` and ``api.media``. Every listing
    follows bookmarks through :func:`~providers.pinterest.pager.walk_pages`, capped at
    ``page_cap`` pages (the composition root passes the ``PINTEREST_AGENT_MAX_PAGES`` setting).
    """

    def __init__(
        self,
        http: httpx.Client,
        access_token: str | SecretStr,
        *,
        page_cap: int = DEFAULT_PAGE_CAP,
        upload_deadline_s: float = DEFAULT_UPLOAD_TIMEOUT_S,
    ) -> None:
        token = (
            access_token.get_secret_value()
            if isinstance(access_token, SecretStr)
            else access_token
        )
        if not token:
            raise PinterestAuthError(
                "No Pinterest access token: connect the channel first.", code="missing_token"
            )
        if page_cap < 1:
            raise ValueError(f"page_cap must be at least 1, got {page_cap}")
        self._http = http
        self._token = token
        self.page_cap = page_cap
        self.upload_deadline_s = upload_deadline_s
        """The total deadline of an upload to ``upload_url`` (:meth:`Media.upload`)."""
        """Pages one listing may take before ``too_many_pages`` (see :mod:`.pager`)."""
        self.boards = Boards(self)
        self.pins = Pins(self)
        self.media = Media(self)

    def __repr__(self) -> str:
        return f"PinterestClient(base_url={str(self._http.base_url)!r})"

    @property
    def http(self) -> httpx.Client:
        """The injected client (used to build uploads to ``upload_url``, which take no token)."""
        return self._http

    def send(
        self, request: httpx.Request, *, idempotent: bool = False, recast: Recast | None = None
    ) -> httpx.Response:
        """Send a request built elsewhere (no token added); see :func:`send`."""
        return send(self._http, request, idempotent=idempotent, recast=recast)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
    ) -> httpx.Response:
        """Send ``method path`` with the bearer token; return the 2xx response or raise.

        ``path`` is relative to the API base (``/boards``). ``None`` params are dropped.
        Raises a :class:`~providers.pinterest.errors.PinterestError` subclass on a non-2xx
        answer, a timeout or a transport failure.
        """
        query = {k: v for k, v in (params or {}).items() if v is not None}
        request = self._http.build_request(
            method.upper(),
            path,
            params=query or None,
            json=json,
            headers={"Authorization": f"Bearer {self._token}", "Accept": "application/json"},
        )
        return send(self._http, request)

    def get_model(
        self, model: type[ModelT], path: str, *, params: Params | None = None
    ) -> ModelT:
        """GET ``path`` and parse the body as ``model``."""
        return parse_model(model, self.request("GET", path, params=params))

    def post_model(self, model: type[ModelT], path: str, *, json: Any) -> ModelT:
        """POST ``json`` to ``path`` and parse the body as ``model``."""
        return parse_model(model, self.request("POST", path, json=json))

    def patch_model(self, model: type[ModelT], path: str, *, json: Any) -> ModelT:
        """PATCH ``json`` to ``path`` and parse the body as ``model``."""
        return parse_model(model, self.request("PATCH", path, json=json))

    def paginate(
        self,
        path: str,
        *,
        params: Params | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_pages: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Yield the ``items`` of every page, following ``bookmark`` until it is empty.

        ``max_pages``, when given, stops quietly after that many pages (a scan of the newest
        pages). A bookmark Pinterest already gave raises ``PaginationLoopError``
        (``pagination_loop``); a listing longer than the client's ``page_cap`` raises
        ``TooManyPagesError`` (``too_many_pages``). Arguments are checked at the call; requests
        are sent as the iterator is consumed.
        """
        pages = self._pages(path, params=params, page_size=page_size, max_pages=max_pages)
        return (item for _, items in pages for item in items)

    def paginate_models(
        self,
        model: type[ModelT],
        path: str,
        *,
        params: Params | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_pages: int | None = None,
    ) -> Iterator[ModelT]:
        """Like :meth:`paginate`, parsing each item as ``model``."""
        pages = self._pages(path, params=params, page_size=page_size, max_pages=max_pages)
        return (parse_model(model, item, page) for page, items in pages for item in items)

    def _pages(
        self,
        path: str,
        *,
        params: Params | None,
        page_size: int,
        max_pages: int | None,
    ) -> Iterator[tuple[httpx.Response, list[dict[str, Any]]]]:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise PinterestValidationError(
                f"page_size must be 1 to {MAX_PAGE_SIZE}, got {page_size}.", field="page_size"
            )
        if max_pages is not None and max_pages < 1:
            raise PinterestValidationError(
                f"max_pages must be at least 1, got {max_pages}.", field="max_pages"
            )
        return self._walk(path, dict(params or {}), page_size, max_pages)

    def _walk(
        self, path: str, params: dict[str, Any], page_size: int, max_pages: int | None
    ) -> Iterator[tuple[httpx.Response, list[dict[str, Any]]]]:
        def fetch(
            bookmark: str | None,
        ) -> tuple[tuple[httpx.Response, list[dict[str, Any]]], str | None]:
            page = self.request(
                "GET", path, params={**params, "page_size": page_size, "bookmark": bookmark}
            )
            body = _json_object(page)
            items = body.get("items")
            if not isinstance(items, list):
                raise _unexpected(page, "a page without an 'items' list")
            following = body.get("bookmark")
            return ((page, [item for item in items if isinstance(item, dict)]),
                    following if isinstance(following, str) else None)

        return walk_pages(fetch, what=f"GET {path}", page_cap=self.page_cap, stop_after=max_pages)

    def user_account(self) -> Account:
        """``GET /user_account``: the account the token belongs to."""
        return self.get_model(Account, "/user_account")


def send(
    http: httpx.Client,
    request: httpx.Request,
    *,
    idempotent: bool = False,
    recast: Recast | None = None,
    max_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
) -> httpx.Response:
    """Send ``request``; return the 2xx response (its body read, at most *max_bytes*), or log
    and raise the mapped error.

    ``idempotent=True`` marks a write that is safe to repeat (an S3 upload to a fixed key), so a
    timeout does not flag ``outcome_unknown``. ``recast`` lets an endpoint with its own meaning
    of a status (``/oauth/token``) replace the mapped error, the response at hand.
    """
    operation = operation_of(request.method, request.url.path)
    with span(operation, kind="client", attributes={
        "http.request.method": request.method, "url.path": request.url.path,
        "server.address": request.url.host,
    }) as current:
        try:
            response = _read_capped(http.send(request, stream=True), max_bytes)
        except httpx.HTTPError as exc:
            count_pinterest_call(request.method, request.url.path, "network")
            failure = network_error(exc, request, idempotent=idempotent)
            logger.warning(
                "Pinterest %s %s: no answer (%s)", request.method, request.url.path, failure.code
            )
            raise failure from exc
        set_attributes(current, {"http.response.status_code": response.status_code})
    count_pinterest_call(request.method, request.url.path, response.status_code)
    if response.is_success:
        return response
    error = error_from_response(response)
    if recast is not None:
        error = recast(error, response)
    level = logging.INFO if error.code == "rate_limited" else logging.WARNING
    logger.log(
        level,
        "Pinterest %s %s -> %d [%s] x-pinterest-rid=%s",
        request.method,
        request.url.path,
        response.status_code,
        error.code,
        response.headers.get("x-pinterest-rid", "-"),
    )
    raise error


def _read_capped(response: httpx.Response, max_bytes: int) -> httpx.Response:
    """*response* with its body read (decoded), closing the stream; a 2xx body over *max_bytes*
    raises ``response_too_large``, a longer error body is cut."""
    chunks: list[bytes] = []
    size = 0
    try:
        declared = response.headers.get("content-length", "")
        if response.is_success and declared.isascii() and declared.isdigit() \
                and int(declared) > max_bytes:
            raise _too_large(response, max_bytes)
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > max_bytes:
                if response.is_success:
                    raise _too_large(response, max_bytes)
                chunks.append(chunk[: max_bytes - size + len(chunk)])
                break
            chunks.append(chunk)
    finally:
        response.close()
    headers = [(k, v) for k, v in response.headers.multi_items()
               if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
    return httpx.Response(response.status_code, headers=headers, content=b"".join(chunks),
                          request=response.request, extensions=response.extensions)


def _too_large(response: httpx.Response, max_bytes: int) -> PinterestError:
    request = response.request
    details: dict[str, Any] = {
        "status": response.status_code,
        "request_id": response.headers.get("x-pinterest-rid"),
        "method": request.method,
        "path": request.url.path,
    }
    said = (f"Pinterest answered {response.status_code} to {request.method} {request.url.path} "
            f"with a body over {max_bytes:,} bytes")
    if request.method in ("POST", "PATCH"):
        return PinterestTransientError(
            f"{said}. The write was probably applied: reconcile before retrying.",
            code="response_too_large", outcome_unknown=True, **details)
    return PinterestPermanentError(
        f"{said}; not read. Report it to Pinterest with the request id.",
        code="response_too_large", **details)


def parse_model(
    model: type[ModelT],
    data: httpx.Response | dict[str, Any],
    response: httpx.Response | None = None,
) -> ModelT:
    """Parse a 2xx body (or one item of it, with its ``response``) as ``model``.

    A body that does not fit is an ``unexpected_response`` error, never a raw pydantic error.
    """
    if isinstance(data, httpx.Response):
        response, data = data, _json_object(data)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors()[:3])
        what = f"a body that is not a {model.__name__} ({fields})"
        if response is None:
            raise PinterestPermanentError(
                f"Pinterest sent {what}.", code="unexpected_response"
            ) from None
        raise _unexpected(response, what) from None


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise _unexpected(response, "a body that is not a JSON object")
    return body


def _unexpected(response: httpx.Response, what: str) -> PinterestError:
    request = response.request
    message = (
        f"Pinterest answered {response.status_code} to {request.method} {request.url.path} "
        f"with {what}."
    )
    details: dict[str, Any] = {
        "status": response.status_code,
        "request_id": response.headers.get("x-pinterest-rid"),
        "method": request.method,
        "path": request.url.path,
    }
    if request.method in ("POST", "PATCH"):
        # The write succeeded but we cannot read what it made: reconcile, then retry.
        return PinterestTransientError(
            f"{message} The write was probably applied: reconcile before retrying.",
            code="unexpected_response",
            outcome_unknown=True,
            **details,
        )
    return PinterestPermanentError(
        f"{message} The API answer does not match spec 5.23; report it with the request id.",
        code="unexpected_response",
        **details,
    )
