"""The console's access rules: login on every page, CSRF on every POST, loopback unless a
password is set, and no secret in any page or log line."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from pydantic import SecretStr
from starlette.routing import Route
from starlette.testclient import TestClient

from pinterest_agent.errors import ConfigurationError
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.console.access import LoginThrottle, check_bind, is_loopback, safe_next
from pinterest_agent.queues.entry.cli import main
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings, load_settings
from tests.conftest import Channel
from tests.console_support import (
    ORIGIN,
    PASSWORD,
    console_app,
    csrf_of,
    llm_settings,
    log_in,
    populate_and_run_insights,
)

pytestmark = pytest.mark.redis


@pytest.fixture()
def settings(prefix: str, fresh_sandbox: SandboxServer) -> Settings:
    return llm_settings(prefix, fresh_sandbox)


@pytest.fixture()
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(console_app(runtime), base_url=ORIGIN) as test_client:
        yield test_client


def _routes(client: TestClient, method: str) -> list[str]:
    paths = []
    for route in client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, Route) and route.methods and method in route.methods:
            paths.append(re.sub(r"\{(\w+)\}", lambda m: {"sha256": "ab" * 32}.get(
                m.group(1), "shop"), route.path))
    return paths


# -- unit ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.8.0.1", True), ("::1", True), ("[::1]", True),
    ("localhost", True), ("0.0.0.0", False), ("192.168.1.10", False), ("example.com", False),
])
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_beyond_loopback_needs_a_password() -> None:
    check_bind("127.0.0.1", None)
    check_bind("0.0.0.0", SecretStr("s3cret"))
    with pytest.raises(ConfigurationError) as caught:
        check_bind("0.0.0.0", None)
    assert caught.value.code == "console_password_required"
    with pytest.raises(ConfigurationError):
        check_bind("10.0.0.5", SecretStr(""))


def test_login_returns_only_to_paths_of_the_console() -> None:
    assert safe_next("/channels/shop") == "/channels/shop"
    for hostile in ("//evil.example/", "https://evil.example/", "/\\evil.example", "", None):
        assert safe_next(hostile) == "/"


def test_failed_logins_are_throttled_per_minute() -> None:
    now = [1000.0]
    throttle = LoginThrottle(per_minute=3, clock=lambda: now[0])
    for _ in range(3):
        assert not throttle.blocked()
        throttle.failed()
    assert throttle.blocked()
    now[0] += 61
    assert not throttle.blocked()


def test_console_refuses_to_listen_beyond_loopback_without_a_password(
    settings: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given no console password in the environment
    monkeypatch.delenv("PINTEREST_AGENT_CONSOLE_PASSWORD", raising=False)
    load_settings.cache_clear()
    try:
        # When the console is asked to listen on every address
        result = CliRunner().invoke(main, ["console", "--host", "0.0.0.0", "--port", "0"])
    finally:
        load_settings.cache_clear()
    # Then it exits 2 with one clear line
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [lines[0]] and "[console_password_required]" in lines[0]
    assert "PINTEREST_AGENT_CONSOLE_PASSWORD" in lines[0]


# -- the app ------------------------------------------------------------------------------------


def test_every_page_redirects_to_the_login_without_a_session(client: TestClient) -> None:
    pages = _routes(client, "GET")
    assert len(pages) >= 10
    for path in pages:
        if path == "/login":
            continue
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login"), path
    for path in _routes(client, "POST"):
        if path == "/login":
            continue
        response = client.post(path, data={}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login", path
    assert client.get("/static/console.css").status_code == 200


def test_a_wrong_password_is_refused(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"csrf_token": token, "password": "guess"},
                           headers={"Origin": ORIGIN})
    assert response.status_code == 401
    assert client.get("/", follow_redirects=False).status_code == 303


def test_forged_posts_are_refused(client: TestClient, runtime: Runtime, channel: Channel) -> None:
    # Given a logged-in operator
    token = log_in(client)
    queue_key = f"{runtime.settings.broker_namespace}:{runtime.settings.queue_insights}"
    for path in _routes(client, "POST"):
        # When a POST arrives without the session's token, with a wrong one, or from another
        # origin with the right one
        for data, headers in (({}, {"Origin": ORIGIN}),
                              ({"csrf_token": "forged"}, {"Origin": ORIGIN}),
                              ({"csrf_token": token}, {"Origin": "https://evil.example"})):
            response = client.post(path, data=data, headers=headers, follow_redirects=False)
            # Then it is refused before anything happens
            assert response.status_code == 403, (path, data, headers)
    assert runtime.redis_client.llen(queue_key) == 0  # no insights job was enqueued
    # While the same form with the token is accepted
    accepted = client.post("/channels/shop/insights/run", data={"csrf_token": token},
                           headers={"Origin": ORIGIN}, follow_redirects=False)
    assert accepted.status_code == 303
    assert runtime.redis_client.llen(queue_key) == 1


def test_a_login_session_is_new_and_logout_ends_it(client: TestClient) -> None:
    before = csrf_of(client.get("/login").text)
    token = log_in(client)
    assert token != before  # logging in starts a fresh session
    client.post("/logout", data={"csrf_token": token}, headers={"Origin": ORIGIN})
    assert client.get("/jobs", follow_redirects=False).status_code == 303


def test_pages_carry_security_headers(client: TestClient) -> None:
    response = client.get("/login")
    csp = response.headers["content-security-policy"]
    assert "script-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_no_token_secret_or_key_appears_in_any_page_or_log(
    client: TestClient, runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given a channel with stored figures and insights, and a logged-in operator
    caplog.set_level(logging.DEBUG)
    populate_and_run_insights(runtime, fresh_sandbox, channel)
    log_in(client)
    settings = runtime.settings
    secrets = {
        "access token": channel.access_token,
        "refresh token": channel.refresh_token,
        "secret key": settings.secret_key.get_secret_value() if settings.secret_key else "",
        "app secret": settings.pinterest_app_secret.get_secret_value()
        if settings.pinterest_app_secret else "",
        "console password": PASSWORD,
    }
    assert all(secrets.values())
    # When every page is opened (the tabs with their options, jobs, the board picker)
    pages = [path for path in _routes(client, "GET") if "{" not in path and path != "/login"]
    pages += ["/channels/shop/top-pins?sort=save_rate&order=asc", "/channels/shop/insights?n=0",
              "/channels/shop/board", "/jobs?channel=shop", "/connect"]
    texts = []
    for path in pages:
        response = client.get(path)
        assert response.status_code in (200, 400, 404), (path, response.status_code)
        texts.append(response.text)
    # Then none of them, nor any log line, shows a secret
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for name, value in secrets.items():
        for text in texts:
            assert value not in text, name
        assert value not in logged, name
