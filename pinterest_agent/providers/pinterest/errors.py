"""Errors of the Pinterest provider, and how an HTTP answer becomes one.

Every class mixes the Pinterest boundary into the project's tree (:mod:`providers.errors`), so a
caller may catch ``PinterestError`` to know *where* a job failed or ``TransientError`` /
``PermanentError`` to know *what to do*::

    PinterestError(WorkerError)                        status, pinterest_code, request_id
    ├── PinterestTransientError(TransientError)        retry: 5xx, network, 2787, image fetch
    │   ├── PinterestRateLimitedError(RateLimitedError)     429; retry_after_s from headers
    │   └── PaginationLoopError                        a list repeated its bookmark
    ├── PinterestPermanentError(PermanentError)        other 4xx: fail now, dead-letter
    │   ├── PinterestSpamError                         429 "spam": NEVER retry
    │   └── PinterestNotFoundError                     404, code 40 (board) / 50 (pin)
    ├── PinterestValidationError(InvalidInputError)    local limit checks; ``field`` names it
    ├── PinterestAuthError(AuthError)                  401, code 2/3, insufficient scope
    └── PinterestConfigurationError(ConfigurationError)  code 29 (Trial app), app credentials
        └── TooManyPagesError                          a list longer than the page cap

Machine codes (``exc.code``) are short snake_case strings; every message says how to fix the
problem when it can. ``details`` carries ``status``, ``pinterest_code``, ``request_id`` (the
``x-pinterest-rid`` header, quote it to Pinterest support), ``method`` and ``path``, and for a
write whose effect is unknown (timeout, 5xx) ``outcome_unknown=True``: reconcile against the
board before creating again, because Pinterest has no idempotency key.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

import httpx

from pinterest_agent.errors import (
    AuthError,
    ConfigurationError,
    InvalidInputError,
    PermanentError,
    RateLimitedError,
    TransientError,
    WorkerError,
)
from pinterest_agent.providers.retry_after import (
    MAX_RETRY_AFTER_S,
    delta_seconds,
    parse_retry_after,
)

__all__ = [
    "PaginationLoopError",
    "PinterestAuthError",
    "PinterestConfigurationError",
    "PinterestError",
    "PinterestNotFoundError",
    "PinterestPermanentError",
    "PinterestRateLimitedError",
    "PinterestSpamError",
    "PinterestTransientError",
    "PinterestValidationError",
    "TooManyPagesError",
    "error_from_response",
    "network_error",
    "response_summary",
]

SANDBOX_BASE_URL = "https://api-sandbox.pinterest.com/v5"

#: Pinterest error codes seen in practice (spec examples, quickstart, Postiz threads).
CODE_GENERIC = 1
CODE_AUTH_FAILED = 2
CODE_INSUFFICIENT_PERMISSIONS = 3
CODE_NOT_AUTHORIZED = 7
CODE_TRIAL_APP = 29
CODE_BOARD_NOT_FOUND = 40
CODE_PIN_NOT_FOUND = 50
CODE_SOMETHING_WENT_WRONG = 2787

#: Methods whose effect Pinterest may have applied although we never saw the answer.
_NON_IDEMPOTENT = frozenset({"POST", "PATCH"})
_XML_FIELD = re.compile(r"<(Code|Message)>([^<]{1,200})</\1>")


class PinterestError(WorkerError):
    """Base of every error of the Pinterest provider."""

    default_code = "pinterest_error"

    @property
    def status(self) -> int | None:
        """The HTTP status Pinterest answered with, if there was an answer."""
        value = self.details.get("status")
        return int(value) if value is not None else None

    @property
    def pinterest_code(self) -> int | None:
        """The ``code`` of Pinterest's ``{code, message}`` error envelope."""
        value = self.details.get("pinterest_code")
        return int(value) if value is not None else None

    @property
    def request_id(self) -> str | None:
        """The ``x-pinterest-rid`` response header: quote it in a support ticket."""
        value = self.details.get("request_id")
        return str(value) if value is not None else None

    @property
    def outcome_unknown(self) -> bool:
        """True when a write may have been applied: reconcile before trying again."""
        return bool(self.details.get("outcome_unknown", False))


class PinterestTransientError(PinterestError, TransientError):
    """Retry with backoff: Pinterest or the network failed, not the request."""

    default_code = "pinterest_unavailable"


class PinterestRateLimitedError(PinterestTransientError, RateLimitedError):
    """HTTP 429 without spam: retry after ``retry_after_s`` when the headers gave a hint."""

    default_code = "rate_limited"


class PinterestPermanentError(PinterestError, PermanentError):
    """Pinterest refused the request; the same request will be refused again."""

    default_code = "request_rejected"


class PinterestSpamError(PinterestPermanentError):
    """A 429 whose message mentions spam. Never retried: retrying deepens the block."""

    default_code = "spam_blocked"


class PinterestNotFoundError(PinterestPermanentError):
    """The board, Pin or media does not exist or is not visible to this account."""

    default_code = "not_found"


class PinterestValidationError(PinterestError, InvalidInputError):
    """The request breaks a Pinterest limit, caught locally before any request is sent."""

    default_code = "invalid_field"


class PinterestAuthError(PinterestError, AuthError):
    """The token is refused or lacks scopes: refresh once, then reconnect the channel."""

    default_code = "auth_failed"


class PinterestConfigurationError(PinterestError, ConfigurationError):
    """The operator's setup is wrong (Trial app on production, missing app credentials)."""

    default_code = "configuration"


class PaginationLoopError(PinterestTransientError):
    """Pinterest handed back a bookmark it had already given; following it would loop forever.

    Transient: a list served from a replica mid-update may repeat itself once and be whole later.
    ``details``: ``path`` and ``pages`` (how many pages were read).
    """

    default_code = "pagination_loop"


class TooManyPagesError(PinterestConfigurationError):
    """A list needs more pages than the page cap (``PINTEREST_AGENT_MAX_PAGES``) allows."""

    default_code = "too_many_pages"


def error_from_response(response: httpx.Response) -> PinterestError:
    """Build the error for a non-2xx ``response`` from its status, envelope and request id.

    Tolerates bodies that are not JSON (gateways, S3). Order matters: spam beats rate limit,
    authentication beats everything else, known transient codes beat the generic 4xx rule.
    """
    status = response.status_code
    pinterest_code, text = _envelope(response)
    lowered = text.lower()
    method, path = _request_line(response)
    details: dict[str, Any] = {
        "status": status,
        "pinterest_code": pinterest_code,
        "request_id": response.headers.get("x-pinterest-rid"),
        "method": method,
        "path": path,
    }
    said = response_summary(response)

    if status == 429 and "spam" in lowered:
        return PinterestSpamError(
            f"{said}. Pinterest flagged this as spam; do not retry. Review the Pin's link and "
            "copy, and slow down publishing for this account.",
            **details,
        )
    if status == 429:
        return PinterestRateLimitedError(
            f"{said}. Rate limited; retry later and lower this account's request rate if it "
            "repeats.",
            retry_after_s=_retry_after_s(response.headers),
            **details,
        )
    if pinterest_code == CODE_TRIAL_APP:
        return PinterestConfigurationError(
            f"{said}. Apps with Trial access cannot create Pins in production: use the sandbox "
            f"base URL {SANDBOX_BASE_URL} (with a sandbox token) or apply for Standard access.",
            code="trial_app",
            **details,
        )
    if pinterest_code == CODE_INSUFFICIENT_PERMISSIONS or "sufficient permission" in lowered:
        return PinterestAuthError(
            f"{said}. The token lacks a required scope; reconnect the channel and approve every "
            "requested scope.",
            code="insufficient_scope",
            **details,
        )
    if status == 401 or pinterest_code == CODE_AUTH_FAILED:
        return PinterestAuthError(
            f"{said}. The access token was refused; refresh it once, and reconnect the channel "
            "if that fails.",
            **details,
        )
    if _is_transient(status, pinterest_code, lowered):
        if method in _NON_IDEMPOTENT:
            details["outcome_unknown"] = True
        code = "media_fetch_failed" if _is_fetch_failure(pinterest_code, lowered) else None
        hint = (
            "Pinterest could not fetch the media URL; check it is public and retry."
            if code
            else "A failure on Pinterest's side; retry with backoff."
        )
        return PinterestTransientError(f"{said}. {hint}", code=code, **details)
    if status == 404 or pinterest_code in (CODE_BOARD_NOT_FOUND, CODE_PIN_NOT_FOUND):
        code = _not_found_code(pinterest_code, lowered, path)
        return PinterestNotFoundError(
            f"{said}. Check the id, that it belongs to this account, and refresh any cached "
            "board list.",
            code=code,
            **details,
        )
    if status == 403 or pinterest_code == CODE_NOT_AUTHORIZED:
        return PinterestPermanentError(
            f"{said}. This account may not act on that board or Pin; pick one it owns or "
            "collaborates on.",
            code="forbidden",
            **details,
        )
    if status == 409:
        return PinterestPermanentError(
            f"{said}. It already exists or conflicts with current state.", code="conflict",
            **details,
        )
    return PinterestPermanentError(
        f"{said}. Fix the request; retrying it unchanged will fail again.",
        code="bad_request" if status == 400 else None,
        **details,
    )


def response_summary(response: httpx.Response) -> str:
    """``Pinterest answered 404 to GET /v5/boards/1: Board not found`` (no fix, no period)."""
    method, path = _request_line(response)
    where = f"{method} {path}" if method else "Pinterest"
    text = _envelope(response)[1].strip().rstrip(".") or "(no message)"
    return f"Pinterest answered {response.status_code} to {where}: {text}"


def network_error(
    exc: httpx.HTTPError, request: httpx.Request, *, idempotent: bool = False
) -> PinterestTransientError:
    """Map an httpx timeout or transport failure to a transient ``network`` error.

    A write (POST, PATCH) that got as far as sending may have been applied: it is flagged
    ``outcome_unknown`` so the caller reconciles before creating again. A failed connect
    means nothing was sent; ``idempotent=True`` marks a write that is safe to repeat.
    """
    sent = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
    unknown = request.method in _NON_IDEMPOTENT and sent and not idempotent
    kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
    hint = (
        "The request may have been applied: reconcile before retrying."
        if unknown
        else "Retry with backoff."
    )
    return PinterestTransientError(
        f"{request.method} {request.url.path} {kind} ({type(exc).__name__}: {exc}). {hint}",
        code="network",
        method=request.method,
        path=request.url.path,
        outcome_unknown=True if unknown else None,
    )


def _envelope(response: httpx.Response) -> tuple[int | None, str]:
    """Pinterest's ``{code, message, message_detail}``, or what a non-JSON body offers."""
    try:
        body = response.json()
    except ValueError:
        found = dict(_XML_FIELD.findall(response.text[:4000])) if response.content else {}
        return None, ": ".join(v for v in (found.get("Code"), found.get("Message")) if v)
    if not isinstance(body, dict):
        return None, ""
    code = body.get("code")
    parts = [str(body[k]) for k in ("message", "message_detail") if body.get(k)]
    return (code if isinstance(code, int) else None), " ".join(parts)


def _request_line(response: httpx.Response) -> tuple[str | None, str | None]:
    try:
        request = response.request
    except RuntimeError:
        return None, None
    return request.method, request.url.path


def _is_fetch_failure(code: int | None, lowered: str) -> bool:
    return (code == CODE_GENERIC and "could not fetch the image" in lowered) or (
        "unable to reach the url" in lowered
    )


def _is_transient(status: int, code: int | None, lowered: str) -> bool:
    return status >= 500 or code == CODE_SOMETHING_WENT_WRONG or _is_fetch_failure(code, lowered)


def _not_found_code(code: int | None, lowered: str, path: str | None) -> str:
    route = (path or "").split("/v5", 1)[-1]
    if code == CODE_BOARD_NOT_FOUND or "board not found" in lowered:
        return "board_not_found"
    if code == CODE_PIN_NOT_FOUND or "pin not found" in lowered:
        return "pin_not_found"
    if route.startswith("/boards"):
        return "board_not_found"
    if route.startswith("/pins"):
        return "pin_not_found"
    if route.startswith("/media"):
        return "media_not_found"
    return "not_found"


def _retry_after_s(headers: httpx.Headers) -> float | None:
    """Seconds to wait from ``Retry-After`` (:mod:`providers.retry_after`) or
    ``x-ratelimit-reset``, at most :data:`~providers.retry_after.MAX_RETRY_AFTER_S`.

    Pinterest documents neither header; when present, ``x-ratelimit-reset`` above 10^9 is read
    as an epoch timestamp, otherwise as seconds from now (ASCII digits only, like
    ``Retry-After``).
    """
    now = time.time()
    retry_after = parse_retry_after(headers.get("retry-after"),
                                    now=datetime.fromtimestamp(now, UTC))
    if retry_after is not None:
        return retry_after
    reset = delta_seconds(headers.get("x-ratelimit-reset") or "", cap_s=1e15)
    if reset is None:
        return None
    wait = reset - now if reset > 1e9 else reset
    return min(max(wait, 0.0), MAX_RETRY_AFTER_S)
