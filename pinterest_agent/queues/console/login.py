"""``/login`` and ``/logout``."""

from __future__ import annotations

import logging

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pinterest_agent.queues.console.access import (
    client_of,
    csrf_protected,
    log_in,
    logged_in,
    safe_next,
)
from pinterest_agent.queues.console.context import console_of, render
from pinterest_agent.queues.console.sessions import end_session

__all__ = ["routes"]

log = logging.getLogger(__name__)


def login_page(request: Request) -> Response:
    if logged_in(request):
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return render(request, "login.html", next=safe_next(request.query_params.get("next")),
                  error=None, generated=console_of(request).access.generated)


@csrf_protected
def login(request: Request, form: FormData) -> Response:
    console = console_of(request)
    access = console.access
    target = safe_next(str(form.get("next") or ""))
    who = client_of(request)
    if console.throttle.blocked(who):
        log.warning("console login refused: too many failed attempts this minute from %s", who)
        return render(request, "login.html", status_code=429, next=target,
                      error="Too many failed attempts; wait a minute.",
                      generated=access.generated)
    attempt = form.get("password")
    if not isinstance(attempt, str) or not access.matches(attempt):
        console.throttle.failed(who)
        log.warning("console login failed from %s", who)
        return render(request, "login.html", status_code=401, next=target,
                      error="That password is not right.", generated=access.generated)
    log_in(request)
    log.info("console login from %s", who)
    return RedirectResponse(target, status_code=303)


@csrf_protected
def logout(request: Request, form: FormData) -> Response:
    end_session(request)
    return RedirectResponse("/login", status_code=303)


routes = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
