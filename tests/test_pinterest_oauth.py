"""Connecting Pinterest accounts: authorization URL, code exchange, refresh, scopes, secrecy."""

from __future__ import annotations

import base64
import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import SecretStr

from pinterest_agent.providers.pinterest import (
    ImageUrlSource,
    PinCreate,
    PinterestAuthError,
    PinterestConfigurationError,
    PinterestError,
    PinterestOAuth,
    PinterestRateLimitedError,
    PinterestTransientError,
    PinterestValidationError,
    TokenSet,
    check_scopes,
)
from tests.conftest_pinterest import FakePinterest, pin, raise_, respond, sequence

NOW = 1_700_000_000.0
SCOPES = ["boards:read", "boards:write", "pins:read", "pins:write", "user_accounts:read"]


def token_answer(**fields: Any) -> dict[str, Any]:
    return {"access_token": "pina_new_access", "token_type": "bearer", "expires_in": 2_592_000,
            "scope": ",".join(SCOPES), **fields}


def form(request: httpx.Request) -> dict[str, list[str]]:
    return parse_qs(request.content.decode(), keep_blank_values=True)


def basic_credentials(request: httpx.Request) -> str:
    scheme, _, encoded = request.headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    return base64.b64decode(encoded).decode()


def test_authorization_url_carries_the_flow_parameters() -> None:
    oauth = FakePinterest().oauth()

    url = oauth.authorization_url(redirect_uri="https://app.example/cb?x=1", state="st4te",
                                  scopes=SCOPES)

    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.pinterest.com", "/oauth/")
    assert parse_qs(parts.query) == {
        "client_id": ["app-1"],
        "redirect_uri": ["https://app.example/cb?x=1"],
        "response_type": ["code"],
        "scope": [",".join(SCOPES)],
        "state": ["st4te"],
    }
    assert "app-secret-xyz" not in url


def test_authorization_url_keeps_a_custom_authorize_url_query() -> None:
    oauth = FakePinterest().oauth(authorize_url="http://127.0.0.1:9/oauth/?sandbox=1")

    url = oauth.authorization_url(redirect_uri="https://a/cb", state="s", scopes=["pins:read"])

    assert url.startswith("http://127.0.0.1:9/oauth/?sandbox=1&client_id=app-1")


@pytest.mark.parametrize(
    "kwargs",
    [{"redirect_uri": "", "state": "s", "scopes": SCOPES},
     {"redirect_uri": "https://a/cb", "state": " ", "scopes": SCOPES},
     {"redirect_uri": "https://a/cb", "state": "s", "scopes": []}],
)
def test_authorization_url_rejects_missing_parts(kwargs: dict[str, Any]) -> None:
    with pytest.raises(PinterestValidationError):
        FakePinterest().oauth().authorization_url(**kwargs)


def test_exchange_code_uses_basic_auth_and_a_form_body() -> None:
    # Given Pinterest accepts the code
    fake = FakePinterest({("POST", "/oauth/token"): respond(200, token_answer(
        refresh_token="pinr_refresh", refresh_token_expires_in=5_184_000,
        refresh_token_expires_at=1_705_184_000, response_type="authorization_code"))})

    # When the callback's code is exchanged
    tokens = fake.oauth(now=NOW).exchange_code(code="code-123", redirect_uri="https://a/cb")

    # Then the app authenticated with HTTP Basic and the body held only the grant
    request = fake.only("POST", "/oauth/token")
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert basic_credentials(request) == "app-1:app-secret-xyz"
    assert form(request) == {"grant_type": ["authorization_code"], "code": ["code-123"],
                             "redirect_uri": ["https://a/cb"]}
    assert b"app-secret-xyz" not in request.content and b"app-1" not in request.content
    # And the tokens carry absolute expiries
    assert tokens.access_token.get_secret_value() == "pina_new_access"
    assert tokens.refresh_token is not None
    assert tokens.refresh_token.get_secret_value() == "pinr_refresh"
    assert tokens.expires_at == NOW + 2_592_000
    assert tokens.refresh_token_expires_at == 1_705_184_000
    assert tokens.scopes == tuple(SCOPES)


def test_refresh_sends_continuous_refresh_and_returns_the_rotated_token() -> None:
    fake = FakePinterest({("POST", "/oauth/token"): respond(200, token_answer(
        refresh_token="pinr_rotated", refresh_token_expires_in=5_184_000,
        refresh_token_expires_at=1_705_184_000, response_type="refresh_token"))})

    tokens = fake.oauth(now=NOW).refresh(SecretStr("pinr_old"))

    assert form(fake.only("POST", "/oauth/token")) == {
        "grant_type": ["refresh_token"], "refresh_token": ["pinr_old"],
        "continuous_refresh": ["true"],
    }
    assert basic_credentials(fake.requests[0]) == "app-1:app-secret-xyz"
    assert tokens.refresh_token is not None
    assert tokens.refresh_token.get_secret_value() == "pinr_rotated"
    assert tokens.refresh_token_returned is True
    assert tokens.expires_at == NOW + 2_592_000
    assert tokens.refresh_token_expires_at == 1_705_184_000


def test_refresh_expiry_from_expires_in_when_no_timestamp() -> None:
    fake = FakePinterest({("POST", "/oauth/token"): respond(200, token_answer(
        refresh_token="pinr_rotated", refresh_token_expires_in=100))})

    tokens = fake.oauth(now=NOW).refresh("pinr_old")

    assert tokens.refresh_token_expires_at == NOW + 100


def test_refresh_without_a_refresh_token_says_to_keep_the_old_one() -> None:
    fake = FakePinterest({("POST", "/oauth/token"): respond(200, token_answer())})

    tokens = fake.oauth(now=NOW).refresh("pinr_old")

    assert tokens.refresh_token is None
    assert tokens.refresh_token_expires_at is None
    assert tokens.refresh_token_returned is False
    assert tokens.access_token.get_secret_value() == "pina_new_access"


def test_a_refused_refresh_token_means_reconnect_and_is_scrubbed() -> None:
    fake = FakePinterest({("POST", "/oauth/token"): respond(
        400, {"code": 1, "message": "Invalid refresh token pinr_old"})})

    with pytest.raises(PinterestAuthError) as caught:
        fake.oauth().refresh("pinr_old")

    assert caught.value.code == "refresh_rejected"
    assert "pinr_old" not in str(caught.value)
    assert "reconnect" in caught.value.message


def test_refused_app_credentials_are_a_configuration_error() -> None:
    fake = FakePinterest({("POST", "/oauth/token"): respond(
        401, {"code": 2, "message": "Authentication failed."})})

    with pytest.raises(PinterestConfigurationError) as caught:
        fake.oauth().exchange_code(code="c", redirect_uri="https://a/cb")

    assert caught.value.code == "app_credentials_rejected"


def test_a_rate_limited_refresh_stays_retryable() -> None:
    fake = FakePinterest({("POST", "/oauth/token"): respond(429, {"code": 8, "message": "slow"},
                                                            {"Retry-After": "3"})})

    with pytest.raises(PinterestRateLimitedError) as caught:
        fake.oauth().refresh("pinr_old")

    assert caught.value.retry_after_s == 3.0


def test_missing_app_credentials_are_a_configuration_error() -> None:
    with pytest.raises(PinterestConfigurationError) as caught:
        PinterestOAuth(httpx.Client(), app_id="app-1", app_secret=SecretStr(""))

    assert caught.value.code == "missing_app_credentials"


def test_verify_reads_the_account_with_the_new_token() -> None:
    fake = FakePinterest({("GET", "/user_account"): respond(200, {"id": "42",
                                                                  "username": "maker"})})

    account = fake.oauth().verify(SecretStr("pina_new_access"))

    assert account.username == "maker"
    assert fake.requests[0].headers["Authorization"] == "Bearer pina_new_access"


@pytest.mark.parametrize(
    "granted",
    [",".join(SCOPES), " ".join(SCOPES), "boards:read, boards:write pins:read,pins:write "
     "user_accounts:read,ads:read"],
)
def test_check_scopes_accepts_comma_and_space_separators(granted: str) -> None:
    check_scopes(granted, SCOPES)


@pytest.mark.parametrize("granted", ["boards:read,pins:read", "boards:read pins:read"])
def test_check_scopes_names_the_missing_scopes(granted: str) -> None:
    with pytest.raises(PinterestAuthError) as caught:
        check_scopes(granted, SCOPES)

    assert caught.value.code == "insufficient_scope"
    assert caught.value.details["missing_scopes"] == "boards:write,pins:write,user_accounts:read"
    assert "pins:write" in caught.value.message


def test_token_set_expiry_helpers() -> None:
    tokens = TokenSet(access_token=SecretStr("pina_a"), expires_at=NOW + 100,
                      refresh_token=SecretStr("pinr_r"), refresh_token_expires_at=NOW + 1000)

    assert tokens.expires_within(100, now=NOW)
    assert not tokens.expires_within(99, now=NOW)
    assert tokens.refresh_token_expires_within(1000, now=NOW)
    assert not tokens.refresh_token_expires_within(999, now=NOW)
    assert "pina_a" not in repr(tokens) and "pinr_r" not in repr(tokens)


def test_no_secret_reaches_logs_or_error_text(caplog: pytest.LogCaptureFixture) -> None:
    # Given a Pinterest that answers the whole connect-and-publish story, with some failures
    secrets = ["app-secret-xyz", "code-abc-123", "pina_access_1", "pinr_refresh_1",
               "pina_access_2", "pinr_refresh_2"]
    basic = base64.b64encode(b"app-1:app-secret-xyz").decode()
    fake = FakePinterest({
        ("POST", "/oauth/token"): sequence(
            respond(200, token_answer(access_token="pina_access_1", refresh_token="pinr_refresh_1",
                                      refresh_token_expires_in=5_184_000)),
            respond(500, {"code": 0, "message": "try later"}),
            respond(200, token_answer(access_token="pina_access_2", refresh_token="pinr_refresh_2",
                                      refresh_token_expires_in=5_184_000)),
        ),
        ("GET", "/user_account"): respond(200, {"id": "42", "username": "maker"}),
        ("POST", "/pins"): sequence(
            respond(401, {"code": 2, "message": "Authentication failed."}),
            raise_(httpx.ReadTimeout("timed out")),
            respond(201, pin("555")),
        ),
    })
    oauth = fake.oauth()
    errors: list[PinterestError] = []

    # When an operator connects, refreshes and publishes, at DEBUG everywhere
    with caplog.at_level(logging.DEBUG):
        oauth.authorization_url(redirect_uri="https://a/cb", state="s", scopes=SCOPES)
        first = oauth.exchange_code(code="code-abc-123", redirect_uri="https://a/cb")
        oauth.verify(first.access_token)
        with pytest.raises(PinterestTransientError) as failed_refresh:
            oauth.refresh(first.refresh_token or "")
        errors.append(failed_refresh.value)
        second = oauth.refresh(first.refresh_token or "")
        api = fake.client(second.access_token.get_secret_value())
        new_pin = PinCreate(board_id="111", media_source=ImageUrlSource(url="https://a/i.jpg"))
        for _ in range(2):
            with pytest.raises(PinterestError) as failed_publish:
                api.pins.create(new_pin)
            errors.append(failed_publish.value)
        api.pins.create(new_pin)

    # Then no token, code or app secret appears in any log line, error text or repr
    visible = caplog.text + " ".join(str(e) for e in errors) + repr(first) + repr(oauth)
    assert caplog.records, "the failures should have been logged"
    for secret in [*secrets, basic]:
        assert secret not in visible
