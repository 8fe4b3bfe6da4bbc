"""The channel list and each channel's four tabs: Overview, Top Pins, Insights, Suggestions.

Handlers load what a tab needs from the store and pass it through the view models of
:mod:`queues.console.views`; the templates only lay them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pinterest_agent.agents.ids import is_id
from pinterest_agent.agents.insights.models import ChannelInsight
from pinterest_agent.errors import ConfigurationError
from pinterest_agent.queues.console.access import csrf_protected
from pinterest_agent.queues.console.compare import parse_range
from pinterest_agent.queues.console.context import Console, console_of, render
from pinterest_agent.queues.console.searching import keyword_brief, searching_view, trend_of
from pinterest_agent.queues.console.views import (
    insight_view,
    overview_view,
    suggestions_view,
    top_pins_view,
    when,
)
from pinterest_agent.queues.jobs.next_pin import next_pin_brief, send_next_pin
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.stores.figures import ChannelFiguresStore

__all__ = ["ChannelRow", "channel_rows", "insights_of", "known_channel", "routes",
           "tab_context"]

INSIGHTS_LISTED = 52


@dataclass(frozen=True)
class ChannelRow:
    channel_id: str
    username: str
    default_board: str
    connected: bool
    insight: str
    figures_at: str


def channel_rows(console: Console) -> list[ChannelRow]:
    """Every connected channel, and every channel with stored figures (never a token)."""
    store = console.runtime.store
    connected = set(store.credentials.channel_ids())
    rows = []
    for channel_id in sorted(connected | set(console.figures.channel_ids())):
        username, board = "\u2013", "\u2013"
        if channel_id in connected:
            try:
                credentials = store.credentials.get(channel_id)
            except ConfigurationError:
                credentials = None  # another key's record: shown as not readable
            if credentials is not None:
                username = f"@{credentials.username}" if credentials.username else "\u2013"
                board = credentials.default_board_id or "none yet"
        latest = insights_of(console.runtime, channel_id, limit=1)
        figures = console.figures.load(channel_id)
        rows.append(ChannelRow(
            channel_id=channel_id, username=username, default_board=board,
            connected=channel_id in connected,
            insight=f"{latest[0].status}, {when(latest[0].generated_at)}" if latest else "none",
            figures_at=when(figures.generated_at) if figures else "none",
        ))
    return rows


def insights_of(runtime: Runtime, channel_id: str, *,
                limit: int = INSIGHTS_LISTED) -> list[ChannelInsight]:
    """The channel's stored insights, newest first."""
    stored = runtime.store.documents.history("insight", channel_id, limit=limit)
    insights = []
    for raw in stored:
        try:
            insights.append(ChannelInsight.model_validate_json(raw))
        except ValidationError:
            continue  # an insight of a newer schema: listed by the worker that wrote it
    return insights


def tab_context(runtime: Runtime, figures_store: ChannelFiguresStore, channel_id: str, tab: str,
                **query: Any) -> dict[str, Any]:
    """Everything the template of ``tab`` needs (also used by the static report)."""
    figures = figures_store.load(channel_id)
    context: dict[str, Any] = {"channel_id": channel_id, "tab": tab, "figures": figures}
    if tab == "overview":
        snapshots = runtime.store.follower_snapshots.load(channel_id)
        context["overview"] = (overview_view(figures, snapshots,
                                             parse_range(query.get("range")))
                               if figures else None)
    elif tab == "top-pins":
        context["top"] = (top_pins_view(figures, query.get("sort"), query.get("order"))
                          if figures else None)
    elif tab == "insights":
        context["insight"] = insight_view(insights_of(runtime, channel_id),
                                          int(query.get("n") or 0))
    elif tab == "searching":
        latest = insights_of(runtime, channel_id, limit=1)
        insight = latest[0] if latest else None
        context["searching"] = searching_view(
            runtime, channel_id, list(insight.searching) if insight else [],
            insight.generated_at.isoformat(timespec="minutes") if insight else None)
        context["sent"] = query.get("sent")
        context["sent_message"] = query.get("message")
        context["sent_outcome"] = (runtime.store.outcomes.get("brief", query["sent"])
                                   if query.get("sent") else None)
        context["form_error"] = query.get("error")
    elif tab == "suggestions":
        latest = insights_of(runtime, channel_id, limit=1)
        context["suggestions"] = suggestions_view(latest[0] if latest else None)
        sent = query.get("sent")
        context["sent"] = sent
        context["sent_outcome"] = (runtime.store.outcomes.get("brief", sent)
                                   if sent else None)
        context["sent_message"] = query.get("message")
    return context


def known_channel(console: Console, channel_id: str) -> None:
    """404 unless the channel is connected or has figures."""
    store = console.runtime.store
    if not is_id(channel_id):
        raise HTTPException(404, "No such channel: a channel id is 1 to 128 ASCII letters, "
                                 "digits and '._:@-'.")
    if channel_id not in store.credentials.channel_ids() and console.figures.load_raw(
            channel_id) is None:
        raise HTTPException(404, f"No channel {channel_id!r} is connected or has figures.")


def channel_list(request: Request) -> Response:
    return render(request, "channels.html", channels=channel_rows(console_of(request)))


def _tab(tab: str) -> Any:
    def page(request: Request) -> Response:
        console = console_of(request)
        channel_id = request.path_params["channel"]
        known_channel(console, channel_id)
        query = {key: request.query_params.get(key) for key in
                 ("sort", "order", "n", "sent", "message", "range", "error")}
        if query["n"] is not None and not query["n"].isdigit():
            query["n"] = None
        return render(request, "channel.html",
                      **tab_context(console.runtime, console.figures, channel_id, tab, **query))

    page.__name__ = f"channel_{tab.replace('-', '_')}"
    return page


@csrf_protected
def write_next_pin(request: Request, form: FormData) -> Response:
    """Send the latest insight's next Pin concept to the writer (as ``insights next
    --enqueue`` does) and show the job on the Suggestions tab."""
    console = console_of(request)
    channel_id = request.path_params["channel"]
    known_channel(console, channel_id)
    brief = next_pin_brief(console.runtime, channel_id)
    if brief is None:
        raise HTTPException(409, "This channel's latest insight has no next Pin concept.")
    sent = send_next_pin(console.runtime, brief, broker=console.broker())
    url = request.url_for("channel_suggestions", channel=channel_id).include_query_params(
        sent=brief["brief_id"], message=sent.message_id)
    return RedirectResponse(str(url.path) + "?" + url.query, status_code=303)


@csrf_protected
def write_for_keyword(request: Request, form: FormData) -> Response:
    """Send the writer a brief for one trending keyword (the Searching tab's form)."""
    console = console_of(request)
    channel_id = request.path_params["channel"]
    known_channel(console, channel_id)
    keyword = str(form.get("keyword") or "").strip()
    link = str(form.get("destination_url") or "").strip()
    summary = str(form.get("summary") or "").strip()
    tab = request.url_for("channel_searching", channel=channel_id)
    latest = insights_of(console.runtime, channel_id, limit=1)
    searching = list(latest[0].searching) if latest else []
    try:
        brief = keyword_brief(console.runtime, channel_id, keyword, link, summary,
                              trend_of(console.runtime, channel_id, keyword, searching))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'brief'}: {e['msg']}"
                             for e in exc.errors(include_url=False))
        url = tab.include_query_params(error=f"{keyword}: {problems}"[:500])
        return RedirectResponse(str(url.path) + "?" + url.query, status_code=303)
    sent = send_next_pin(console.runtime, brief, broker=console.broker())
    url = tab.include_query_params(sent=str(brief["brief_id"]), message=sent.message_id)
    return RedirectResponse(str(url.path) + "?" + url.query, status_code=303)


routes = [
    Route("/", channel_list, methods=["GET"], name="channels"),
    Route("/channels/{channel}", _tab("overview"), methods=["GET"], name="channel_overview"),
    Route("/channels/{channel}/top-pins", _tab("top-pins"), methods=["GET"],
          name="channel_top_pins"),
    Route("/channels/{channel}/insights", _tab("insights"), methods=["GET"],
          name="channel_insights"),
    Route("/channels/{channel}/suggestions", _tab("suggestions"), methods=["GET"],
          name="channel_suggestions"),
    Route("/channels/{channel}/write", write_next_pin, methods=["POST"], name="write_next_pin"),
    Route("/channels/{channel}/searching", _tab("searching"), methods=["GET"],
          name="channel_searching"),
    Route("/channels/{channel}/write-keyword", write_for_keyword, methods=["POST"],
          name="write_for_keyword"),
]
