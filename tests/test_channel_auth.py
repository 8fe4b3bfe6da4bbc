"""Connecting channels and keeping their tokens valid, on real Redis against the sandbox."""

from __future__ import annotations

import threading
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import SecretStr

from pinterest_agent.agents.ports import ChannelCredentials
from pinterest_agent.errors import AuthError
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.connect import OAuthStateError, connect_with_oauth, import_tokens
from pinterest_agent.queues.runtime import Runtime
from tests.conftest import Channel

pytestmark = pytest.mark.redis


def follow(url: str) -> None:
    httpx.get(url, follow_redirects=True, timeout=10).close()


def test_oauth_connect_stores_encrypted_verified_credentials(
    runtime: Runtime, fresh_sandbox: SandboxServer
) -> None:
    # Given a Pinterest user who approves the app
    fresh_sandbox.state.seed_account("maker")
    # When the operator connects the channel
    creds = connect_with_oauth(runtime, "maker", port=0, open_url=follow)
    # Then the tokens are stored, verified, encrypted, with the default board found
    assert creds.username == "maker"
    assert creds.refresh_token is not None
    assert creds.default_board_id is not None
    raw = runtime.redis_client.hget(f"{runtime.settings.key_prefix}:channels", "maker")
    assert raw is not None and creds.access_token.get_secret_value().encode() not in raw
    token_calls = fresh_sandbox.state.request_count("POST", "/v5/oauth/token")
    assert token_calls == 1


def _capture_state(url: str, box: dict[str, Any]) -> None:
    query = parse_qs(urlsplit(url).query)
    box["state"] = query["state"][0]
    box["redirect_uri"] = query["redirect_uri"][0]
    box["url"] = url


def test_oauth_state_mismatch_is_rejected(runtime: Runtime, fresh_sandbox: SandboxServer) -> None:
    fresh_sandbox.state.seed_account("maker")
    box: dict[str, Any] = {}

    def forged_callback(url: str) -> None:
        _capture_state(url, box)
        # an attacker's callback: a code with some other state
        httpx.get(f"{box['redirect_uri']}?code=abc&state=forged-state", timeout=10).close()

    with pytest.raises(OAuthStateError) as info:
        connect_with_oauth(runtime, "maker", port=0, open_url=forged_callback)
    assert info.value.code == "oauth_state_mismatch"
    assert fresh_sandbox.state.request_count("POST", "/v5/oauth/token") == 0
    assert runtime.store.credentials.get("maker") is None


def test_oauth_state_is_single_use(runtime: Runtime) -> None:
    # Given a state issued for one flow
    states = runtime.store.oauth_states
    states.save("flow-1", "s3cret-state")
    # Then it is accepted once, and a replay is rejected
    assert states.consume("flow-1", "s3cret-state") is True
    assert states.consume("flow-1", "s3cret-state") is False
    # and a wrong value burns it too
    states.save("flow-2", "other")
    assert states.consume("flow-2", "guess") is False
    assert states.consume("flow-2", "other") is False


def test_refresh_persists_the_rotated_refresh_token(
    runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer
) -> None:
    # Given a token close to expiry
    creds = runtime.store.credentials.get("shop")
    assert creds is not None
    runtime.store.credentials.put(creds.model_copy(update={"expires_at": time.time() + 60}))
    # When a job asks for a token
    asked_at = time.time()
    token = runtime.tokens.access_token("shop")
    # Then it was refreshed once, and the rotated refresh token and both expiries persisted
    stored = runtime.store.credentials.get("shop")
    assert stored is not None and stored.refresh_token is not None
    assert token == stored.access_token.get_secret_value() != channel.access_token
    assert stored.refresh_token.get_secret_value() != channel.refresh_token
    assert stored.expires_at > asked_at + 24 * 3600  # a fresh expiry, not the old one
    assert stored.refresh_token_expires_at is not None
    # and the old refresh token no longer works at Pinterest: only the stored one does
    with pytest.raises(AuthError):
        runtime.oauth.refresh(channel.refresh_token)
    runtime.oauth.refresh(stored.refresh_token.get_secret_value())


def test_concurrent_refresh_from_eight_threads_makes_one_token_call(
    runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer
) -> None:
    creds = runtime.store.credentials.get("shop")
    assert creds is not None
    runtime.store.credentials.put(creds.model_copy(update={"expires_at": time.time() + 60}))
    fresh_sandbox.state.faults.add("POST", "/v5/oauth/token", latency_ms=200)  # a slow refresh
    barrier = threading.Barrier(8)
    tokens: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            tokens.append(runtime.tokens.access_token("shop"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert fresh_sandbox.state.request_count("POST", "/v5/oauth/token") == 1
    assert len(set(tokens)) == 1 and tokens[0] != channel.access_token


def test_import_tokens_checks_them_first(runtime: Runtime, fresh_sandbox: SandboxServer) -> None:
    with pytest.raises(AuthError):
        import_tokens(runtime, "bad", access_token="not-a-real-token", refresh_token=None,
                      expires_in_s=3600)
    assert runtime.store.credentials.get("bad") is None
    seeded = fresh_sandbox.state.seed_account("imported")
    creds = import_tokens(runtime, "imp", access_token=seeded.access_token,
                          refresh_token=seeded.refresh_token, expires_in_s=3600)
    assert creds.username == "imported"


def test_expired_token_without_refresh_token_says_reconnect(
    runtime: Runtime, fresh_sandbox: SandboxServer
) -> None:
    seeded = fresh_sandbox.state.seed_account("norefresh")
    runtime.store.credentials.put(ChannelCredentials(
        channel_id="nr", access_token=SecretStr(seeded.access_token), expires_at=time.time() - 1,
    ))
    with pytest.raises(AuthError) as info:
        runtime.tokens.access_token("nr")
    assert "reconnect" in info.value.message
