"""The console's ASGI app (Starlette): routes, sessions, login, security headers, errors.

:func:`create_app` takes a built :class:`~queues.runtime.Runtime` (the composition root's), the
:class:`~queues.console.access.ConsoleAccess` and the
:class:`~queues.console.network.ConsoleNetwork`; ``pinterest-agent console`` serves it with
uvicorn. Outermost first: uvicorn's proxy headers (from trusted proxies only), the security
headers and the request log, Starlette's host allow-list, the Redis sessions, the login.

Pages are server-rendered Jinja2 with no script at all, so the Content-Security-Policy
refuses every script; styles and charts are inline or from ``/static/``.

Requests are logged as method, path (never the query: the OAuth callback carries a code),
status and time; uvicorn's own access log is off.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

import redis
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from pinterest_agent.errors import ConfigurationError, PermanentError, WorkerError
from pinterest_agent.queues.console import channels, connect, jobs, login, scheduling
from pinterest_agent.queues.console.access import ConsoleAccess, LoginRequired, LoginThrottle
from pinterest_agent.queues.console.chart_store import ChartStore
from pinterest_agent.queues.console.context import Console, make_environment, render
from pinterest_agent.queues.console.network import ConsoleNetwork
from pinterest_agent.queues.console.sessions import ServerSessions, SessionStore
from pinterest_agent.queues.logs import redact
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.stores.figures import ChannelFiguresStore
from pinterest_agent.queues.stores.keys import Keys

__all__ = ["SESSION_COOKIE", "create_app"]

SESSION_COOKIE = "pinterest_agent_console"
log = logging.getLogger("pinterest_agent.queues.console")


def _csp(oauth_url: str) -> str:
    parts = urlsplit(oauth_url)
    oauth_origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    return ("default-src 'none'; script-src 'none'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: https: http:; font-src 'self'; "
            f"form-action 'self' {oauth_origin}; frame-ancestors 'none'; base-uri 'none'")


class SecurityHeaders:
    """No framing, no referrer beyond the console (a callback URL never leaks; ``no-referrer``
    would make browsers send ``Origin: null`` with every form), no sniffing, no page caching,
    no script; and one log line per request without its query."""

    def __init__(self, app: ASGIApp, *, csp: str) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", csp.encode()),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
            (b"x-content-type-options", b"nosniff"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [h for h in self.headers if h[0] not in names]
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            log.info("%s %s %d %.0fms", scope["method"], scope["path"], status,
                     (time.perf_counter() - started) * 1000)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code in (301, 302, 303, 307, 308) or exc.status_code < 400:
        return Response(status_code=exc.status_code, headers=exc.headers)
    return render(request, "error.html", status_code=exc.status_code,
                  title=f"{exc.status_code}", message=exc.detail)


async def _worker_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, WorkerError)
    status = 500 if isinstance(exc, ConfigurationError) else \
        400 if isinstance(exc, PermanentError) else 502
    log.warning("console %s %s: %s", request.method, request.url.path, redact(str(exc)))
    return render(request, "error.html", status_code=status, title=exc.code,
                  message=redact(str(exc)))


async def _redis_error(request: Request, exc: Exception) -> Response:
    log.warning("console %s %s: Redis: %s", request.method, request.url.path,
                type(exc).__name__)
    return render(request, "error.html", status_code=503, title="redis_unreachable",
                  message="Redis does not answer; the console needs it for everything. "
                          "Start it, or point PINTEREST_AGENT_REDIS_URL at one that does.")


def create_app(runtime: Runtime, access: ConsoleAccess,
               network: ConsoleNetwork | None = None) -> Starlette:
    network = network or ConsoleNetwork()
    env = make_environment(ChartStore(runtime.redis_client, runtime.settings.key_prefix))
    templates = Jinja2Templates(env=env)
    keys = Keys(runtime.settings.key_prefix)
    console = Console(
        runtime=runtime, access=access, templates=templates,
        throttle=LoginThrottle(runtime.redis_client, keys),
        figures=ChannelFiguresStore(runtime.redis_client, runtime.settings.key_prefix),
    )
    sessions = SessionStore(runtime.redis_client, keys, secret=access.session_key,
                            max_age_s=access.session_max_age_s)
    app = Starlette(
        routes=[
            *login.routes, *channels.routes, *scheduling.routes, *connect.routes,
            *jobs.routes,
            Mount("/static", StaticFiles(packages=[("pinterest_agent.queues.console", "static")]),
                  name="static"),
        ],
        middleware=[
            Middleware(ProxyHeadersMiddleware, trusted_hosts=list(network.forwarded_allow_ips)),
            Middleware(SecurityHeaders, csp=_csp(runtime.settings.pinterest_oauth_url)),
            Middleware(TrustedHostMiddleware, allowed_hosts=network.host_names(),
                       www_redirect=False),
            Middleware(ServerSessions, store=sessions, cookie=SESSION_COOKIE),
            Middleware(LoginRequired),
        ],
        exception_handlers={
            HTTPException: _http_error,
            WorkerError: _worker_error,
            redis.RedisError: _redis_error,
        },
    )
    app.state.console = console
    return app
