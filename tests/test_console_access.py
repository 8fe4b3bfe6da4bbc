"""The console's access rules: login on every page, CSRF on every POST, loopback unless a
password is set, and no secret in any page or log line."""

from __future__ import annotations

import base64
import logging
import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from pinterest_agent.errors import ConfigurationError
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.console.access import check_bind, is_loopback, safe_next
from pinterest_agent.queues.entry.cli import main
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings, load_settings
from tests.conftest import Channel
from tests.console_support import (
    ORIGIN,
    PASSWORD,
    SESSION_COOKIE,
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
    check_bind("0.0.0.0", SecretStr("s3cret-long-enough"))
    with pytest.raises(ConfigurationError) as caught:
        check_bind("0.0.0.0", None)
    assert caught.value.code == "console_password_required"
    with pytest.raises(ConfigurationError):
        check_bind("10.0.0.5", SecretStr(""))


def test_login_returns_only_to_paths_of_the_console() -> None:
    assert safe_next("/channels/shop") == "/channels/shop"
    for hostile in ("//evil.example/", "https://evil.example/", "/\\evil.example", "", None):
        assert safe_next(hostile) == "/"


def test_failed_logins_are_counted_per_client_for_a_minute(runtime: Runtime) -> None:
    from pinterest_agent.queues.console.access import LoginThrottle
    from pinterest_agent.queues.stores.keys import Keys

    keys = Keys(runtime.settings.key_prefix)
    throttle = LoginThrottle(runtime.redis_client, keys, per_minute=3)
    for _ in range(3):
        assert not throttle.blocked("203.0.113.5")
        throttle.failed("203.0.113.5")
    assert throttle.blocked("203.0.113.5")
    assert not throttle.blocked("198.51.100.7")  # another client is not refused
    ttl = runtime.redis_client.ttl(keys("console-login-failures", "203.0.113.5"))
    assert 0 < ttl <= 60  # the count is forgotten after the minute


def test_a_short_password_is_refused_beyond_loopback() -> None:
    check_bind("127.0.0.1", SecretStr("x"))  # loopback: the operator's own machine
    with pytest.raises(ConfigurationError) as caught:
        check_bind("0.0.0.0", SecretStr("x"))
    assert caught.value.code == "console_password_too_short"


def test_the_console_answers_to_its_own_host_names_only() -> None:
    from pinterest_agent.queues.console.network import ConsoleNetwork

    assert ConsoleNetwork().host_names() == ["127.0.0.1", "[::1]", "localhost"]
    assert ConsoleNetwork(host="::1").host_names() == ["127.0.0.1", "[::1]", "localhost"]
    assert ConsoleNetwork(host="192.168.1.10", allowed_hosts=("Console.Example",)
                          ).host_names() == ["192.168.1.10", "console.example"]
    every = ConsoleNetwork(host="0.0.0.0", allowed_hosts=("console.example",))
    assert every.host_names() == ["127.0.0.1", "[::1]", "console.example", "localhost"]
    with pytest.raises(ConfigurationError) as caught:
        ConsoleNetwork(host="0.0.0.0").check()
    assert caught.value.code == "console_allowed_host_required"


def test_the_network_settings_come_from_the_environment_and_the_options(
    settings: Settings,
) -> None:
    from pinterest_agent.queues.console.network import ConsoleNetwork

    configured = settings.model_copy(update={
        "console_host": "10.0.0.5", "console_port": 9000,
        "console_forwarded_allow_ips": "127.0.0.1, 10.0.0.0/8",
        "console_allowed_hosts": "console.example"})
    assert ConsoleNetwork.from_settings(configured) == ConsoleNetwork(
        host="10.0.0.5", port=9000, forwarded_allow_ips=("127.0.0.1", "10.0.0.0/8"),
        allowed_hosts=("console.example",))
    assert ConsoleNetwork.from_settings(
        configured, host="127.0.0.1", port=8086, forwarded_allow_ips="",
        allowed_hosts=("other.example",)) == ConsoleNetwork(
        host="127.0.0.1", port=8086, forwarded_allow_ips=(),
        allowed_hosts=("console.example", "other.example"))


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


def _console_cli(settings: Settings, monkeypatch: pytest.MonkeyPatch, *args: str
                 ) -> tuple[int, str]:
    env = {"REDIS_URL": settings.redis_url, "KEY_PREFIX": settings.key_prefix,
           "SECRET_KEY": settings.secret_key.get_secret_value() if settings.secret_key else ""}
    for name, value in env.items():
        monkeypatch.setenv(f"PINTEREST_AGENT_{name}", value)
    monkeypatch.delenv("PINTEREST_AGENT_CONSOLE_PASSWORD", raising=False)
    monkeypatch.delenv("PINTEREST_AGENT_BROKER_URL", raising=False)
    load_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["console", *args])
    finally:
        load_settings.cache_clear()
    return result.exit_code, result.output


def test_a_console_on_a_port_in_use_says_so_before_printing_a_password(
    settings: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given something listening on a loopback port
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        # When the console is started on that port
        code, output = _console_cli(settings, monkeypatch, "--port", str(port))
    # Then it exits 2 with one line naming the port, and prints no one-time password
    assert code == 2, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and "[console_port_unavailable]" in lines[0] and str(port) in lines[0]
    assert "password" not in output


def test_a_console_on_every_address_needs_its_host_names(
    settings: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PINTEREST_AGENT_CONSOLE_PASSWORD", PASSWORD)
    load_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["console", "--host", "0.0.0.0", "--port", "0"])
    finally:
        load_settings.cache_clear()
    assert result.exit_code == 2
    assert "[console_allowed_host_required]" in result.output
    assert "--allowed-host" in result.output


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


# -- sessions, throttle, host names and proxies (issue 24) ---------------------------------------


def _insights_queue(runtime: Runtime) -> str:
    return f"{runtime.settings.broker_namespace}:{runtime.settings.queue_insights}"


def test_a_cookie_replayed_after_logout_is_refused(
    client: TestClient, runtime: Runtime, channel: Channel,
) -> None:
    # Given a logged-in operator whose session cookie someone copied
    token = log_in(client)
    copied = client.cookies[SESSION_COOKIE]
    # When the operator logs out
    client.post("/logout", data={"csrf_token": token}, headers={"Origin": ORIGIN})
    # Then the copied cookie opens no page and runs no job
    with TestClient(client.app, base_url=ORIGIN, cookies={SESSION_COOKIE: copied}) as replay:
        page = replay.get("/", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/login"
        run = replay.post("/channels/shop/insights/run", data={"csrf_token": token},
                          headers={"Origin": ORIGIN}, follow_redirects=False)
        assert run.status_code == 303 and run.headers["location"] == "/login"
    assert runtime.redis_client.llen(_insights_queue(runtime)) == 0


def test_the_session_cookie_is_an_opaque_id_renewed_at_login(client: TestClient) -> None:
    client.get("/login")
    before = client.cookies[SESSION_COOKIE]
    token = log_in(client)
    cookie = client.cookies[SESSION_COOKIE]
    # a new id at login (one planted before it is worth nothing), and nothing readable in it
    assert cookie != before
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", cookie), cookie
    decoded = base64.urlsafe_b64decode(cookie + "=")
    assert b"operator" not in decoded and token.encode() not in decoded
    with TestClient(client.app, base_url=ORIGIN, cookies={SESSION_COOKIE: before}) as planted:
        assert planted.get("/", follow_redirects=False).status_code == 303


def test_one_clients_failed_logins_never_lock_out_another(
    runtime: Runtime, caplog: pytest.LogCaptureFixture,
) -> None:
    app = console_app(runtime)
    with TestClient(app, base_url=ORIGIN, client=("203.0.113.5", 40000)) as attacker, \
            TestClient(app, base_url=ORIGIN, client=("198.51.100.7", 40001)) as operator:
        # Given a client that failed ten logins this minute
        token = csrf_of(attacker.get("/login").text)
        for _ in range(10):
            failed = attacker.post("/login", data={"csrf_token": token, "password": "guess"},
                                   headers={"Origin": ORIGIN})
            assert failed.status_code == 401
        # Then that client is refused, even with the right password
        for password in ("guess", PASSWORD):
            refused = attacker.post("/login", data={"csrf_token": token, "password": password},
                                    headers={"Origin": ORIGIN})
            assert refused.status_code == 429
        # While the operator, elsewhere, logs in with the right password
        log_in(operator)
        assert operator.get("/", follow_redirects=False).status_code == 200


def test_a_trusted_proxys_client_is_the_one_throttled(runtime: Runtime) -> None:
    from pinterest_agent.queues.console.network import ConsoleNetwork

    def failures(app: Starlette, clients: list[str]) -> list[int]:
        with TestClient(app, base_url=ORIGIN, client=("127.0.0.1", 40000)) as proxy:
            token = csrf_of(proxy.get("/login").text)
            return [proxy.post("/login", data={"csrf_token": token, "password": "guess"},
                               headers={"Origin": ORIGIN, "X-Forwarded-For": who}).status_code
                    for who in clients]

    # Behind a trusted proxy each forwarded client has its own count
    trusted = console_app(runtime, network=ConsoleNetwork(forwarded_allow_ips=("127.0.0.1",)))
    assert failures(trusted, ["203.0.113.5"] * 11) == [401] * 10 + [429]
    assert failures(trusted, ["198.51.100.7"]) == [401]
    # From a peer that is not trusted, X-Forwarded-For is ignored: the peer is the client
    runtime.redis_client.delete(*runtime.redis_client.keys(
        f"{runtime.settings.key_prefix}:console-login-failures:*"))
    untrusted = console_app(runtime)
    assert failures(untrusted, [f"203.0.113.{n}" for n in range(11)]) == [401] * 10 + [429]


def test_other_host_names_are_refused(runtime: Runtime) -> None:
    from pinterest_agent.queues.console.network import ConsoleNetwork

    # Given a console on loopback (a DNS-rebinding page names its own host)
    with TestClient(console_app(runtime), base_url="http://evil.example:8445") as rebound:
        assert rebound.get("/login").status_code == 400
        response = rebound.post("/login", data={"password": PASSWORD},
                                headers={"Origin": "http://evil.example:8445"})
        assert response.status_code == 400
        assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    for own in ("http://localhost:8086", "http://[::1]:8086", ORIGIN):
        with TestClient(console_app(runtime), base_url=own) as client:
            assert client.get("/login").status_code == 200, own
    # And a name used through a proxy, once allowed
    named = console_app(runtime, network=ConsoleNetwork(allowed_hosts=("console.example",)))
    with TestClient(named, base_url="http://console.example") as client:
        assert client.get("/login").status_code == 200


def _cookie_of(response: Any) -> str:
    return "; ".join(value for name, value in response.headers.multi_items()
                     if name == "set-cookie").lower()


def _session_id(response: Any) -> str:
    match = re.search(SESSION_COOKIE + r"=([A-Za-z0-9_-]+)",
                      response.headers.get("set-cookie", ""))
    assert match, response.headers
    return match.group(1)


def test_the_session_cookie_is_secure_over_https(runtime: Runtime) -> None:
    with TestClient(console_app(runtime), base_url="https://127.0.0.1:8445") as client:
        assert "secure" in _cookie_of(client.get("/login"))
        log_in(client, origin="https://127.0.0.1:8445")
    with TestClient(console_app(runtime), base_url=ORIGIN) as plain:
        assert "secure" not in _cookie_of(plain.get("/login"))  # loopback http: no TLS to need


def test_behind_a_trusted_tls_proxy_the_browsers_https_origin_logs_in(
    runtime: Runtime, channel: Channel,
) -> None:
    from pinterest_agent.queues.console.network import ConsoleNetwork

    # Given a console behind a TLS proxy on 127.0.0.1 that it trusts, reached as
    # https://console.example:8445 (the proxy passes Host and says X-Forwarded-Proto: https)
    network = ConsoleNetwork(forwarded_allow_ips=("127.0.0.1",),
                             allowed_hosts=("console.example",))
    origin = "https://console.example:8445"
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"}
    with TestClient(console_app(runtime, network=network), base_url="http://console.example:8445",
                    client=("127.0.0.1", 40000)) as proxy:
        # When the browser logs in and presses a button (its cookie is Secure: the test
        # client, speaking http to the console as the proxy does, would not send it back, so
        # the browser's Cookie header is written here)
        page = proxy.get("/login", headers=forwarded)
        assert "secure" in _cookie_of(page)
        browser = {**forwarded, "Origin": origin,
                   "Cookie": f"{SESSION_COOKIE}={_session_id(page)}"}
        login = proxy.post("/login", data={"csrf_token": csrf_of(page.text),
                                           "password": PASSWORD, "next": "/"},
                           headers=browser, follow_redirects=False)
        assert login.status_code == 303 and "secure" in _cookie_of(login)
        browser["Cookie"] = f"{SESSION_COOKIE}={_session_id(login)}"
        token = csrf_of(proxy.get("/", headers=browser).text)
        run = proxy.post("/channels/shop/insights/run", data={"csrf_token": token},
                         headers=browser, follow_redirects=False)
        # Then both are accepted
        assert run.status_code == 303 and run.headers["location"].startswith("/jobs")
    assert runtime.redis_client.llen(_insights_queue(runtime)) == 1
    # While the same headers from a peer the console does not trust change nothing: the
    # https Origin does not match the http request, as from any other origin
    with TestClient(console_app(runtime, network=network), base_url="http://console.example:8445",
                    client=("192.0.2.9", 40000)) as stranger:
        token = csrf_of(stranger.get("/login", headers=forwarded).text)
        refused = stranger.post("/login", data={"csrf_token": token, "password": PASSWORD},
                                headers={"Origin": origin, **forwarded})
        assert refused.status_code == 403
