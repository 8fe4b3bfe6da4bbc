"""What every console page reaches: the runtime, the stores, the templates, the broker.

Built once by :func:`queues.console.app.create_app` and kept in ``app.state.console``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jinja2
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from pinterest_agent.queues.console.access import (
    ConsoleAccess,
    LoginThrottle,
    csrf_token,
    logged_in,
)
from pinterest_agent.queues.console.chart_store import ChartStore
from pinterest_agent.queues.console.charts import ChartSeries, render_chart
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.stores.figures import ChannelFiguresStore

__all__ = ["Console", "console_of", "make_environment", "render"]


def make_environment(charts: ChartStore | None = None) -> jinja2.Environment:
    """The console's templates (``queues/console/templates``), autoescaped; charts come from
    *charts* (drawn by the insights job) when given, else are drawn here."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pinterest_agent.queues.console", "templates"),
        autoescape=jinja2.select_autoescape(["html"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    draw = charts.svg if charts is not None else render_chart
    env.filters["chart"] = lambda series: chart_markup(series, draw)
    return env


def chart_markup(series: ChartSeries, draw: Callable[[ChartSeries], str] = render_chart
                 ) -> Markup:
    """A chart as inline SVG (pygal escapes every label and value it writes)."""
    return Markup(draw(series))  # noqa: S704 - SVG built by pygal from escaped values


@dataclass
class Console:
    runtime: Runtime
    access: ConsoleAccess
    throttle: LoginThrottle
    figures: ChannelFiguresStore
    templates: Jinja2Templates
    _broker: Any = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def broker(self) -> Any:
        """The worker's broker (built on first use), to enqueue jobs the way the CLI does."""
        from pinterest_agent.queues.jobs.actors import build_broker

        with self._lock:
            if self._broker is None:
                self._broker = build_broker(self.runtime.settings, self.runtime.redis_client)
            return self._broker

    def dead_letters(self) -> Any:
        """Dead letters on the configured broker (as the CLI's ``jobs dead`` reads them)."""
        from pinterest_agent.queues.broker.deadletters import open_dead_letters

        return open_dead_letters(self.runtime.settings, self.runtime.redis_client)


def console_of(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def render(request: Request, template: str, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    """A page: the template with the CSRF token and login state every layout needs."""
    console = console_of(request)
    values = {"request": request, "csrf_token": csrf_token(request) if "session" in request.scope
              else "", "logged_in": "session" in request.scope and logged_in(request),
              "report": False, **context}
    response: HTMLResponse = console.templates.TemplateResponse(
        request, template, values, status_code=status_code)
    return response
