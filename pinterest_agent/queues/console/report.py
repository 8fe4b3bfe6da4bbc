"""``pinterest-agent report CHANNEL --out report.html``: the channel page as one offline file.

The same tab templates as the console, all four one after the other, with the stylesheet
inlined and the charts as inline SVG: no script, no request to anything when it is opened (the
Pins' thumbnails, which live on Pinterest, are left out; each Pin keeps its link).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any

from markupsafe import Markup

from pinterest_agent.queues.console.channels import tab_context
from pinterest_agent.queues.console.context import make_environment
from pinterest_agent.queues.console.views import when
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.stores.figures import ChannelFiguresStore

__all__ = ["TABS", "render_report"]

TABS = ("overview", "top-pins", "insights", "suggestions")


def _now() -> datetime:
    return datetime.now(UTC)


def render_report(runtime: Runtime, channel_id: str, *,
                  clock: Callable[[], datetime] = _now) -> str:
    store = ChannelFiguresStore(runtime.redis_client, runtime.settings.key_prefix)
    context: dict[str, Any] = {}
    for tab in TABS:
        context.update(tab_context(runtime, store, channel_id, tab))
    figures = context["figures"]
    css = files("pinterest_agent.queues.console").joinpath("static/console.css").read_text(
        encoding="utf-8")
    if "</" in css:
        raise ValueError("console.css must not close its <style> element")
    return make_environment().get_template("report.html").render(
        # the stylesheet is CSS, not text: escaped, its quotes would break its font names
        **context, report=True, inline_css=Markup(css),  # noqa: S704 - our own file, checked
        csrf_token="", logged_in=False,
        written_at=when(clock()), figures_at=when(figures.generated_at) if figures else "",
    )
