"""Shared by the console's tests: a console app on the suite's sandbox, and logging in."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import uvicorn
from pydantic import SecretStr
from starlette.applications import Starlette

from pinterest_agent.providers.sandbox.analytics_data import populate_channel
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.console.access import ConsoleAccess
from pinterest_agent.queues.console.app import create_app
from pinterest_agent.queues.jobs.insights import insights_request, run_insights
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings
from tests.conftest import Channel, make_settings
from tests.helpers import wait_for

if TYPE_CHECKING:
    from pinterest_agent.queues.console.network import ConsoleNetwork

PASSWORD = "correct horse battery staple"
SESSION_COOKIE = "pinterest_agent_console"
ORIGIN = "http://127.0.0.1:8086"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def llm_settings(prefix: str, sandbox: SandboxServer, **overrides: Any) -> Settings:
    """The suite's settings with the sandbox's OpenAI-compatible endpoint (insights need it)."""
    return make_settings(prefix, sandbox, openai_base_url=f"{sandbox.base_url}/openai/v1",
                         openai_api_key=SecretStr("sandbox-key"), **overrides)


def populate_and_run_insights(runtime: Runtime, sandbox: SandboxServer, channel: Channel,
                              *, pins: int = 40) -> None:
    user = sandbox.state.user_by_name("shop_owner")
    assert user is not None
    populate_channel(sandbox.state, user.id, pins=pins, boards=2)
    run_insights(runtime, insights_request(channel.channel_id))


def console_app(runtime: Runtime, password: str = PASSWORD, *,
                network: ConsoleNetwork | None = None) -> Starlette:
    access = ConsoleAccess(password=SecretStr(password), session_max_age_s=3600)
    if network is None:
        return create_app(runtime, access)
    return create_app(runtime, access, network)


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page carries no CSRF token"
    return match.group(1)


def log_in(client: httpx.Client, password: str = PASSWORD, *, origin: str = ORIGIN,
           headers: dict[str, str] | None = None) -> str:
    """Log ``client`` in; returns the session's CSRF token."""
    page = client.get("/login", headers=headers)
    response = client.post("/login", data={"csrf_token": csrf_of(page.text),
                                           "password": password, "next": "/"},
                           headers={"Origin": origin, **(headers or {})},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/", headers=headers).text)


def serve(app: Any) -> Iterator[int]:
    """Serve ``app`` with uvicorn on a free loopback port, in a thread, as ``pinterest-agent
    console`` does; yields the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False,
                                           lifespan="off", proxy_headers=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_for(lambda: server.started)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
