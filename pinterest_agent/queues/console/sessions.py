"""Console sessions kept in Redis; the browser's cookie holds only a random id.

``P:console-session:{digest}`` holds one session's data as JSON, where ``digest`` is an HMAC of
the cookie's id under a key made when the console starts: Redis never holds a usable cookie, and
a restart logs everyone out. A logged-in session lives ``max_age_s`` from its login (not
extended by use); a session before login (it carries the login form's CSRF token) lives
``anonymous_ttl_s``. :func:`renew_session` (at login) replaces the id, so an id planted before
the login is worth nothing (no fixation); :func:`end_session` (at logout) deletes the record, so
the cookie is worth nothing from then on, replayed or not. A session deleted while a request was
under way is never written back.

The cookie is ``HttpOnly``, ``SameSite=Lax`` (the OAuth redirect back from Pinterest keeps it),
``Path=/``, and ``Secure`` when the request came over https, directly or through a trusted proxy
(the scheme uvicorn's ``ProxyHeadersMiddleware`` set from ``X-Forwarded-Proto``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any

import redis
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pinterest_agent.queues.stores.keys import Keys

__all__ = [
    "DEFAULT_ANONYMOUS_TTL_S",
    "ServerSessions",
    "SessionStore",
    "end_session",
    "renew_session",
]

DEFAULT_ANONYMOUS_TTL_S = 3600
"""A session before login (a login form's CSRF token) is kept this long."""
_STATE = "pinterest_agent.console.session"
_MAX_ID_CHARS = 64


class SessionStore:
    """Session records in Redis, found by an HMAC of the cookie's id under ``secret``."""

    def __init__(self, client: redis.Redis[bytes], keys: Keys, *, secret: str, max_age_s: int,
                 anonymous_ttl_s: int = DEFAULT_ANONYMOUS_TTL_S) -> None:
        self._client = client
        self._keys = keys
        self._secret = secret.encode()
        self.max_age_s = max_age_s
        self.anonymous_ttl_s = anonymous_ttl_s

    def _key(self, session_id: str) -> str:
        digest = hmac.new(self._secret, session_id.encode(), hashlib.sha256).hexdigest()
        return self._keys("console-session", digest)

    def load(self, session_id: str) -> dict[str, Any] | None:
        """The session's data, or None (unknown, expired, ended)."""
        raw = self._client.get(self._key(session_id))
        if raw is None:
            return None
        data = json.loads(raw)
        return data if isinstance(data, dict) else None

    def create(self, data: dict[str, Any], *, ttl_s: int) -> str:
        """Store *data* under a new random id, kept *ttl_s*; returns the id."""
        session_id = secrets.token_urlsafe(32)
        self._client.set(self._key(session_id), json.dumps(data), ex=ttl_s, nx=True)
        return session_id

    def update(self, session_id: str, data: dict[str, Any]) -> bool:
        """Replace a live session's data, keeping its expiry; False when it is gone."""
        return bool(self._client.set(self._key(session_id), json.dumps(data), keepttl=True,
                                     xx=True))

    def delete(self, session_id: str) -> None:
        self._client.delete(self._key(session_id))


@dataclass
class _State:
    session_id: str | None
    loaded: str
    renew: bool = False
    end: bool = False


def renew_session(request: Request) -> None:
    """Give the session a new id (and a full lifetime) when the response starts; the old id's
    record is deleted."""
    state: _State = request.scope[_STATE]
    state.renew = True


def end_session(request: Request) -> None:
    """Delete the session when the response starts and expire its cookie."""
    request.session.clear()
    state: _State = request.scope[_STATE]
    state.end = True


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True)


class ServerSessions:
    """ASGI middleware: ``scope["session"]`` from :class:`SessionStore` by the request's
    cookie, written back (and the cookie set) when the response starts."""

    def __init__(self, app: ASGIApp, *, store: SessionStore, cookie: str) -> None:
        self.app = app
        self.store = store
        self.cookie = cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session_id = HTTPConnection(scope).cookies.get(self.cookie)
        data = None
        if session_id and len(session_id) <= _MAX_ID_CHARS:
            data = self.store.load(session_id)
        if data is None:
            session_id, data = None, {}
        state = _State(session_id, _dump(data))
        scope["session"] = data
        scope[_STATE] = state

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie = self._commit(scope, state)
                if cookie is not None:
                    MutableHeaders(scope=message).append("set-cookie", cookie)
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _commit(self, scope: Scope, state: _State) -> str | None:
        """Store the session's changes; the Set-Cookie value, when the cookie changes."""
        data: dict[str, Any] = scope["session"]
        secure = scope.get("scheme") == "https"
        if (state.end or state.renew) and state.session_id is not None:
            self.store.delete(state.session_id)
        if state.end:
            return self._cookie("", 0, secure) if state.session_id is not None else None
        if state.renew:
            new_id = self.store.create(data, ttl_s=self.store.max_age_s)
            return self._cookie(new_id, self.store.max_age_s, secure)
        if _dump(data) == state.loaded:
            return None
        if state.session_id is not None:
            if self.store.update(state.session_id, data):
                return None
            return self._cookie("", 0, secure)  # ended meanwhile (logged out in another tab)
        if not data:
            return None
        new_id = self.store.create(data, ttl_s=self.store.anonymous_ttl_s)
        return self._cookie(new_id, self.store.anonymous_ttl_s, secure)

    def _cookie(self, value: str, max_age_s: int, secure: bool) -> str:
        cookie: SimpleCookie = SimpleCookie()
        cookie[self.cookie] = value
        morsel = cookie[self.cookie]
        morsel["path"] = "/"
        morsel["max-age"] = max_age_s
        morsel["httponly"] = True
        morsel["samesite"] = "Lax"
        if secure:
            morsel["secure"] = True
        return morsel.OutputString()
