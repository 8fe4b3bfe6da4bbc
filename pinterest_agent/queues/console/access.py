"""Who may use the console, and how each request proves it.

* **Where it listens**: loopback by default. :func:`check_bind` refuses a non-loopback address
  unless a password is configured (``PINTEREST_AGENT_CONSOLE_PASSWORD``); the host names it
  answers to and the proxies it believes are :mod:`~queues.console.network`'s.
* **Login**: every page but ``/login`` and ``/static/`` needs a logged-in session; a request
  without one is redirected to ``/login`` (:class:`LoginRequired`). The password is compared in
  constant time; failed attempts are limited per client (:class:`LoginThrottle`: one client's
  failures never refuse another's login). Without a configured password (loopback only) the
  console makes a one-time password at start and prints it on its terminal (never in a log or a
  page).
* **Sessions**: kept in Redis, the cookie holds a random id (:mod:`~queues.console.sessions`:
  ``HttpOnly``, ``SameSite=Lax``, ``Secure`` over https). Logging in starts a fresh session with
  a new id (no fixation); logging out deletes it (a replayed cookie is refused).
* **CSRF**: every POST carries the session's token (a hidden ``csrf_token`` field, compared in
  constant time) and, when the browser sends an ``Origin``, comes from the console's own origin
  (its scheme as the browser sees it, through a trusted proxy too); anything else is refused
  with 403 before the handler runs (:func:`csrf_protected`).
"""

from __future__ import annotations

import hmac
import inspect
import ipaddress
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import quote

import redis
from pydantic import SecretStr
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from pinterest_agent.errors import ConfigurationError
from pinterest_agent.queues.console.sessions import renew_session
from pinterest_agent.queues.stores.keys import Keys

__all__ = [
    "CSRF_FIELD",
    "MIN_PASSWORD_CHARS",
    "PUBLIC_PATHS",
    "ConsoleAccess",
    "LoginRequired",
    "LoginThrottle",
    "check_bind",
    "checked_form",
    "client_of",
    "csrf_protected",
    "csrf_token",
    "is_loopback",
    "log_in",
    "logged_in",
    "safe_next",
]

CSRF_FIELD = "csrf_token"
SESSION_USER = "operator"
PUBLIC_PATHS = ("/login", "/static/")
MAX_FORM_BYTES = 64 * 1024
DEFAULT_FAILURES_PER_MINUTE = 10
MIN_PASSWORD_CHARS = 12
"""Beyond loopback, the console's password is at least this long."""

Handler = Callable[[Request], Awaitable[Response]]


def is_loopback(host: str) -> bool:
    """``127.0.0.0/8``, ``::1`` and ``localhost``."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, password: SecretStr | None) -> None:
    """Refuse to listen beyond loopback without a configured password of at least
    :data:`MIN_PASSWORD_CHARS` characters."""
    if is_loopback(host):
        return
    if password is None or not password.get_secret_value():
        raise ConfigurationError(
            f"the console would listen on {host}, beyond loopback, without a password; set "
            "PINTEREST_AGENT_CONSOLE_PASSWORD (or keep the default --host 127.0.0.1)",
            code="console_password_required",
        )
    if len(password.get_secret_value()) < MIN_PASSWORD_CHARS:
        raise ConfigurationError(
            f"the console would listen on {host}, beyond loopback, with a password of fewer "
            f"than {MIN_PASSWORD_CHARS} characters; set a longer PINTEREST_AGENT_CONSOLE_PASSWORD "
            "(`pinterest-agent keygen` makes a good one)",
            code="console_password_too_short",
        )


def client_of(request: Request) -> str:
    """Who is asking, for the login throttle: the client's address (the real client's, behind a
    trusted proxy), an IPv6 client's /64 network (one host holds a whole /64)."""
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64] or "unknown"
    if address.version == 6 and not address.is_loopback:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class LoginThrottle:
    """Failed logins per client: after ``per_minute`` failures within a minute of its first,
    that client is refused (429) until the minute is over. Counted in Redis
    (``P:console-login-failures:{client}``, expiring), so every console process shares them;
    other clients are never refused for them."""

    def __init__(self, client: redis.Redis[bytes], keys: Keys, *,
                 per_minute: int = DEFAULT_FAILURES_PER_MINUTE, window_s: int = 60) -> None:
        self._client = client
        self._keys = keys
        self._per_minute = per_minute
        self._window_s = window_s

    def _key(self, who: str) -> str:
        return self._keys("console-login-failures", who)

    def blocked(self, who: str) -> bool:
        count = self._client.get(self._key(who))
        return count is not None and int(count) >= self._per_minute

    def failed(self, who: str) -> None:
        key = self._key(who)
        with self._client.pipeline(transaction=True) as pipe:
            pipe.set(key, 0, ex=self._window_s, nx=True)
            pipe.incr(key)
            pipe.execute()


@dataclass
class ConsoleAccess:
    """The console's password and the key its sessions are found by (made at start, so a
    restart logs everyone out)."""

    password: SecretStr
    generated: bool = False
    session_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    session_max_age_s: int = 12 * 3600

    @classmethod
    def from_setting(cls, password: SecretStr | None, *, session_max_age_s: int) -> ConsoleAccess:
        """The configured password, or a new one-time password (``generated``)."""
        if password is not None and password.get_secret_value():
            return cls(password=password, session_max_age_s=session_max_age_s)
        return cls(password=SecretStr(secrets.token_urlsafe(12)), generated=True,
                   session_max_age_s=session_max_age_s)

    def matches(self, attempt: str) -> bool:
        return hmac.compare_digest(attempt.encode(), self.password.get_secret_value().encode())


def safe_next(target: str | None) -> str:
    """A path on this console to return to after login (anything else: the channel list)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def logged_in(request: Request) -> bool:
    return request.session.get("user") == SESSION_USER


def log_in(request: Request) -> None:
    """Start a fresh session for the operator: a new id and a new CSRF token."""
    request.session.clear()
    renew_session(request)
    request.session["user"] = SESSION_USER
    request.session["since"] = time.time()
    request.session[CSRF_FIELD] = secrets.token_urlsafe(32)


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use)."""
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[CSRF_FIELD] = token
    return token


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:  # not a browser form (browsers name the origin of every POST)
        return True
    own = f"{request.url.scheme}://{request.url.netloc}"
    return hmac.compare_digest(origin.lower(), own.lower())


async def checked_form(request: Request) -> FormData:
    """The POSTed form, after the CSRF checks (403 otherwise)."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_FORM_BYTES:
        raise HTTPException(413, "That form is too large.")
    if not _same_origin(request):
        raise HTTPException(403, "Refused: the form was not sent from this console.")
    form = await request.form(max_files=0, max_fields=50)
    sent = form.get(CSRF_FIELD)
    expected = request.session.get(CSRF_FIELD)
    if not isinstance(sent, str) or not isinstance(expected, str) or not hmac.compare_digest(
            sent.encode(), expected.encode()):
        raise HTTPException(403, "Refused: the form's security token is missing or stale; "
                                 "reload the page and try again.")
    return form


def csrf_protected(
    handler: Callable[[Request, FormData], Awaitable[Response] | Response],
) -> Handler:
    """A POST handler that runs only for a form passing :func:`checked_form`. A plain ``def``
    handler (it reads Redis or calls Pinterest) runs in the threadpool, as Starlette runs a
    plain endpoint, so it never holds up the event loop."""

    async def protected(request: Request) -> Response:
        form = await checked_form(request)
        if inspect.iscoroutinefunction(handler):
            response: Response = await handler(request, form)
            return response
        return cast(Response, await run_in_threadpool(handler, request, form))

    protected.__name__ = handler.__name__
    protected.__doc__ = handler.__doc__
    return protected


class LoginRequired:
    """ASGI middleware (inside the session middleware): a request for anything but
    :data:`PUBLIC_PATHS` without a logged-in session is redirected to the login page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path == "/login" or path.startswith("/static/"):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if logged_in(request):
            await self.app(scope, receive, send)
            return
        target = "/login"
        if scope["method"] == "GET" and path != "/":
            target += "?next=" + quote(path, safe="/")
        await RedirectResponse(target, status_code=303)(scope, receive, send)
