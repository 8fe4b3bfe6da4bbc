"""Pinterest OAuth in the sandbox: the authorize page and ``POST /v5/oauth/token``.

``GET /oauth/`` needs ``client_id`` (or the legacy ``consumer_id``), ``redirect_uri``,
``response_type=code``, ``scope`` and ``state``; it approves at once, as the first user (or the
existing user named by the sandbox-only ``login_as``), and answers ``302`` to
``redirect_uri?code=...&state=...``. Codes are single-use and live ``state.code_ttl_s`` (600 s).

``POST /v5/oauth/token`` authenticates the app with HTTP Basic (401 ``{"code": 2}`` otherwise) and
takes a form body: ``grant_type=authorization_code`` (``code`` and the identical
``redirect_uri``) or ``grant_type=refresh_token`` (``refresh_token``, optional narrower
``scope``, optional ``continuous_refresh=true``). Every refresh **rotates** the refresh token: a
new one is returned and the old one answers 400 from then on. Responses follow the spec's
``OauthAccessTokenResponseCode`` / ``...Refresh`` variants.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from urllib.parse import urlencode, urlsplit

from pinterest_agent.providers.sandbox.routes import (
    ApiError,
    RouteRegistry,
    SandboxRequest,
    SandboxResponse,
)
from pinterest_agent.providers.sandbox.state import SandboxState, Token

__all__ = ["register"]


def register(registry: RouteRegistry) -> None:
    """Add the OAuth routes."""
    registry.add("GET", "/oauth/", authorize)
    registry.add("GET", "/oauth", authorize)
    registry.add("POST", "/v5/oauth/token", token)


def authorize(request: SandboxRequest) -> SandboxResponse:
    """The consent page, approved at once: redirect back with a fresh code."""
    state = request.state
    client_id = request.query_one("client_id") or request.query_one("consumer_id")
    redirect_uri = request.query_one("redirect_uri")
    missing = [name for name, value in (("client_id", client_id), ("redirect_uri", redirect_uri),
                                        ("response_type", request.query_one("response_type")),
                                        ("scope", request.query_one("scope")),
                                        ("state", request.query_one("state"))) if not value]
    if missing:
        return _page(400, f"Missing OAuth parameters: {', '.join(missing)}.")
    assert client_id is not None and redirect_uri is not None
    if request.query_one("response_type") != "code":
        return _page(400, "response_type must be 'code'.")
    if client_id != state.app_id:
        return _page(400, f"Unknown client_id {client_id!r}.")
    if urlsplit(redirect_uri).scheme not in ("http", "https"):
        return _page(400, "redirect_uri must be an http(s) URL.")
    login_as = request.query_one("login_as")
    user = state.user_by_name(login_as) if login_as else state.default_user()
    if user is None:
        return _page(400, f"No sandbox user called {login_as!r}.")
    scope = str(request.query_one("scope"))
    code = state.create_code(client_id, redirect_uri, scope, user.id)
    joiner = "&" if urlsplit(redirect_uri).query else "?"
    query = urlencode({"code": code, "state": request.query_one("state")})
    return SandboxResponse.redirect(f"{redirect_uri}{joiner}{query}")


def token(request: SandboxRequest) -> SandboxResponse:
    """Exchange a code, or refresh (with rotation)."""
    state = request.state
    _check_app(state, request.header("Authorization"))
    form = request.form
    grant = form.get("grant_type")
    if grant == "authorization_code":
        code = state.redeem_code(form.get("code", ""), form.get("redirect_uri", ""))
        if code.client_id != state.app_id:
            raise ApiError(400, 1, "Invalid authorization code.")
        return _tokens(state, code.user_id, code.scope, "authorization_code")
    if grant == "refresh_token":
        old = state.rotate_refresh(form.get("refresh_token", ""))
        scope = _narrowed(old, form.get("scope"))
        return _tokens(state, old.user_id, scope, "refresh_token")
    raise ApiError(400, 1, f"grant_type {grant!r} is not supported by the sandbox.")


def _check_app(state: SandboxState, authorization: str | None) -> None:
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        raise ApiError(401, 2, "Authentication failed.")
    try:
        app_id, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ApiError(401, 2, "Authentication failed.") from exc
    if not (hmac.compare_digest(app_id, state.app_id)
            and hmac.compare_digest(secret, state.app_secret)):
        raise ApiError(401, 2, "Authentication failed.")


def _narrowed(old: Token, requested: str | None) -> str:
    if not requested:
        return old.scope
    granted = set(old.scope.replace(" ", ",").split(","))
    asked = [s for s in requested.replace(" ", ",").split(",") if s]
    extra = [s for s in asked if s not in granted]
    if extra:
        raise ApiError(400, 1, f"Scope cannot be widened on refresh: {', '.join(extra)}.")
    return ",".join(asked)


def _tokens(state: SandboxState, user_id: str, scope: str, response_type: str) -> SandboxResponse:
    access = state.issue_token("access", user_id, scope, state.access_token_ttl_s)
    refresh = state.issue_token("refresh", user_id, scope, state.refresh_token_ttl_s)
    return SandboxResponse.json({
        "access_token": access.value,
        "token_type": "bearer",
        "expires_in": state.access_token_ttl_s,
        "scope": scope,
        "refresh_token": refresh.value,
        "refresh_token_expires_in": state.refresh_token_ttl_s,
        "refresh_token_expires_at": int(refresh.expires_at),
        "response_type": response_type,
    })


def _page(status: int, message: str) -> SandboxResponse:
    html = f"<!doctype html><html><body><h1>OAuth error</h1><p>{message}</p></body></html>"
    return SandboxResponse.text(html, status, content_type="text/html; charset=utf-8")
