"""Connecting a Pinterest account: authorization URL, code exchange, refresh, verification.

``POST /oauth/token`` takes a form body and authenticates the *app* with HTTP Basic
(``app_id:app_secret``); the credentials never go in the body. Refresh sends
``continuous_refresh=true`` (needed by apps created before 2025-09-25) and Pinterest then
**rotates** the refresh token: the caller must persist the one in the returned
:class:`TokenSet`, or the channel has to be reconnected within 60 days.

Errors at the token endpoint are re-cast for what an operator must do: a 401 means the app
credentials are wrong (:class:`PinterestConfigurationError`); any other refusal means the code or
refresh token is dead and the channel must be reconnected (:class:`PinterestAuthError`).
Secrets are scrubbed from every error message, and nothing here logs a token or a code.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable, Sequence
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr

from pinterest_agent.providers.pinterest.client import PinterestClient, parse_model, send
from pinterest_agent.providers.pinterest.errors import (
    PinterestAuthError,
    PinterestConfigurationError,
    PinterestError,
    PinterestPermanentError,
    PinterestValidationError,
    response_summary,
)
from pinterest_agent.providers.pinterest.models import Account

__all__ = [
    "DEFAULT_AUTHORIZE_URL",
    "TOKEN_PATH",
    "PinterestOAuth",
    "TokenSet",
    "check_scopes",
    "parse_scopes",
]

DEFAULT_AUTHORIZE_URL = "https://www.pinterest.com/oauth/"
TOKEN_PATH = "/oauth/token"  # noqa: S105 - a URL path, not a secret
_BEARER = "bearer"
_SCOPE_SEPARATORS = re.compile(r"[,\s]+")


class TokenSet(BaseModel):
    """What a code exchange or refresh returned, with absolute expiries (epoch seconds).

    ``refresh_token_returned`` is False when Pinterest sent no refresh token: ``refresh_token``
    and ``refresh_token_expires_at`` are then None and the caller keeps the ones it has.
    """

    model_config = ConfigDict(frozen=True)

    access_token: SecretStr
    refresh_token: SecretStr | None = None
    scope: str = ""
    expires_at: float
    refresh_token_expires_at: float | None = None
    token_type: str = _BEARER
    refresh_token_returned: bool = True

    @property
    def scopes(self) -> tuple[str, ...]:
        """The granted scopes, whether Pinterest separated them with commas or spaces."""
        return parse_scopes(self.scope)

    def expires_within(self, seconds: float, now: float) -> bool:
        """True when the access token expires at or before ``now + seconds``."""
        return self.expires_at <= now + seconds

    def refresh_token_expires_within(self, seconds: float, now: float) -> bool:
        """True when the refresh token is known to expire by ``now + seconds`` (alert early)."""
        expiry = self.refresh_token_expires_at
        return expiry is not None and expiry <= now + seconds


class _TokenResponse(BaseModel):
    """``OauthAccessTokenResponse``: the fields of every variant, optional where some lack it."""

    model_config = ConfigDict(extra="ignore")

    access_token: str
    token_type: str = _BEARER
    expires_in: int
    scope: str = ""
    refresh_token: str | None = None
    refresh_token_expires_in: int | None = None
    refresh_token_expires_at: int | None = None


class PinterestOAuth:
    """The OAuth 2.0 authorization-code flow for one Pinterest app.

    ``http`` has ``base_url`` set to the API base, like the one given to ``PinterestClient``.
    ``clock`` returns epoch seconds; tests pass a fixed one.
    """

    def __init__(
        self,
        http: httpx.Client,
        *,
        app_id: str,
        app_secret: str | SecretStr,
        authorize_url: str = DEFAULT_AUTHORIZE_URL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        secret = app_secret.get_secret_value() if isinstance(app_secret, SecretStr) else app_secret
        if not app_id or not secret:
            raise PinterestConfigurationError(
                "The Pinterest app id and app secret are not configured: set them from the app's "
                "page on developers.pinterest.com before connecting accounts.",
                code="missing_app_credentials",
            )
        self._http = http
        self._app_id = app_id
        self._secret = secret
        self._authorize_url = authorize_url
        self._clock = clock

    def __repr__(self) -> str:
        return f"PinterestOAuth(app_id={self._app_id!r})"

    def authorization_url(self, *, redirect_uri: str, state: str, scopes: Sequence[str]) -> str:
        """Where to send the user to approve the app; Pinterest returns to ``redirect_uri``.

        ``state`` is a random CSRF value the callback must check; ``redirect_uri`` must match a
        URI registered on the app exactly and be sent again to :meth:`exchange_code`.
        """
        _require(redirect_uri, "redirect_uri")
        _require(state, "state")
        wanted = [s.strip() for s in scopes if s.strip()]
        if not wanted:
            raise PinterestValidationError("Ask for at least one scope.", field="scopes")
        query = urlencode(
            {
                "client_id": self._app_id,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": ",".join(wanted),
                "state": state,
            }
        )
        parts = urlsplit(self._authorize_url)
        joined = f"{parts.query}&{query}" if parts.query else query
        return urlunsplit(parts._replace(query=joined))

    def exchange_code(self, *, code: str, redirect_uri: str) -> TokenSet:
        """Trade the callback's ``code`` for tokens (``grant_type=authorization_code``)."""
        _require(code, "code")
        _require(redirect_uri, "redirect_uri")
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        return self._token(form, secrets=(code,), rejected="code_rejected")

    def refresh(self, refresh_token: str | SecretStr) -> TokenSet:
        """Get a new access token and the rotated refresh token; persist both."""
        token = (
            refresh_token.get_secret_value()
            if isinstance(refresh_token, SecretStr)
            else refresh_token
        )
        _require(token, "refresh_token")
        form = {
            "grant_type": "refresh_token",
            "refresh_token": token,
            "continuous_refresh": "true",
        }
        return self._token(form, secrets=(token,), rejected="refresh_rejected")

    def verify(self, access_token: str | SecretStr) -> Account:
        """``GET /user_account`` with ``access_token``: proves it works, names the account."""
        return PinterestClient(self._http, access_token).user_account()

    def _token(self, form: dict[str, str], *, secrets: Sequence[str], rejected: str) -> TokenSet:
        basic = base64.b64encode(f"{self._app_id}:{self._secret}".encode()).decode("ascii")
        request = self._http.build_request(
            "POST",
            TOKEN_PATH,
            data=form,
            headers={"Authorization": f"Basic {basic}", "Accept": "application/json"},
        )
        now = self._clock()
        hidden = (*secrets, self._secret, basic)

        def recast(error: PinterestError, response: httpx.Response) -> PinterestError:
            return _recast(error, response_summary(response), rejected, secrets=hidden)

        response = send(self._http, request, recast=recast)
        return _token_set(parse_model(_TokenResponse, response), now)


def parse_scopes(granted: str) -> tuple[str, ...]:
    """Split a granted-scope string on commas and/or whitespace."""
    return tuple(s for s in _SCOPE_SEPARATORS.split(granted.strip()) if s)


def check_scopes(granted: str, required: Sequence[str]) -> None:
    """Raise ``PinterestAuthError(code="insufficient_scope")`` naming every missing scope."""
    have = set(parse_scopes(granted))
    missing = [scope for scope in required if scope not in have]
    if missing:
        raise PinterestAuthError(
            f"Pinterest did not grant {', '.join(missing)}; reconnect the channel and approve "
            f"every requested scope ({', '.join(required)}).",
            code="insufficient_scope",
            missing_scopes=",".join(missing),
        )


def _token_set(body: _TokenResponse, now: float) -> TokenSet:
    refresh_expiry: float | None = None
    if body.refresh_token:
        if body.refresh_token_expires_at is not None:
            refresh_expiry = float(body.refresh_token_expires_at)
        elif body.refresh_token_expires_in is not None:
            refresh_expiry = now + body.refresh_token_expires_in
    return TokenSet(
        access_token=SecretStr(body.access_token),
        refresh_token=SecretStr(body.refresh_token) if body.refresh_token else None,
        scope=body.scope,
        expires_at=now + body.expires_in,
        refresh_token_expires_at=refresh_expiry,
        token_type=body.token_type,
        refresh_token_returned=bool(body.refresh_token),
    )


def _recast(
    exc: PinterestError, summary: str, rejected: str, *, secrets: Sequence[str]
) -> PinterestError:
    """Re-cast a token-endpoint refusal for the operator, with every secret scrubbed."""

    def scrub(text: str) -> str:
        for secret in secrets:
            if secret:
                text = text.replace(secret, "[redacted]")
        return text

    if exc.status == 401:
        return PinterestConfigurationError(
            f"{scrub(summary)}. Pinterest refused the app credentials: check the app id and "
            "secret (production and sandbox apps differ); if they are right, reconnect the "
            "channel.",
            code="app_credentials_rejected",
            **exc.details,
        )
    if isinstance(exc, PinterestPermanentError) and exc.code != "spam_blocked":
        return PinterestAuthError(
            f"{scrub(summary)}. The authorization code or refresh token is no longer valid; "
            "reconnect the channel.",
            code=rejected,
            **exc.details,
        )
    return type(exc)(scrub(exc.message), code=exc.code, **exc.details)


def _require(value: str, field: str) -> None:
    if not value or not value.strip():
        raise PinterestValidationError(f"{field} is required.", field=field)
