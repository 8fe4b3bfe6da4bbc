"""The Calendar tab: a channel's scheduled and planned Pins by week or month, moved or cancelled.

A move or a cancel changes the post's schedule record (:mod:`queues.stores.schedule`), which
the publisher reads when the queued message arrives: it never publishes a cancelled Pin, and a
Pin moved later waits again. A Pin moved earlier than its queued message gets a wake-up message
for its new time; the old message later finds it published and does nothing. A Pin already
claimed by the publisher can no longer be moved or cancelled.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pinterest_agent.agents.ids import is_id
from pinterest_agent.queues.console.access import csrf_protected
from pinterest_agent.queues.console.calendar import View, calendar_range, calendar_view
from pinterest_agent.queues.console.calendar import parse_moment as _parse_moment
from pinterest_agent.queues.console.channels import known_channel, tab_context
from pinterest_agent.queues.console.context import Console, console_of, render
from pinterest_agent.queues.jobs.publish import delay_ms_until

__all__ = ["NOTICES", "routes"]

MIN_LEAD = timedelta(minutes=1)
"""A Pin can be moved to a time at least this far ahead."""
NOTICES = {
    "moved": "Moved. The publisher will publish it at its new time.",
    "cancelled": "Cancelled. Its queued message will be skipped (post.cancelled).",
    "due": "Too late: the publisher has already claimed this Pin, so it was left as it was.",
    "gone": "This Pin is no longer scheduled (cancelled, or its record expired).",
    "past": "Choose a time at least a minute from now (UTC).",
}


def _anchor(value: str | None, today: date) -> date:
    try:
        return date.fromisoformat(value) if value else today
    except ValueError:
        return today


def calendar_page(request: Request) -> Response:
    console = console_of(request)
    channel_id = request.path_params["channel"]
    known_channel(console, channel_id)
    params = request.query_params
    view: View = "month" if params.get("view") == "month" else "week"
    today = datetime.now(UTC).date()
    anchor = _anchor(params.get("start"), today)
    first, end = calendar_range(view, anchor)
    pins = console.runtime.store.schedule.between(
        channel_id, datetime.combine(first, datetime.min.time(), UTC),
        datetime.combine(end, datetime.min.time(), UTC))
    context = tab_context(console.runtime, console.figures, channel_id, "calendar")
    figures = context["figures"]
    names = {b.board_id: b.name for b in figures.boards if b.name} if figures else {}
    board = params.get("board") or None
    outcomes = console.runtime.store.outcomes
    statuses = {pin.post_id: str((outcomes.get("post", pin.post_id) or {}).get("status", ""))
                for pin in pins if pin.state == "due"}  # claimed: published yet?
    context["calendar"] = calendar_view(pins, view=view, anchor=anchor, today=today,
                                        board_names=names, board=board, statuses=statuses)
    context["notice"] = NOTICES.get(params.get("notice") or "")
    return render(request, "channel.html", **context)


def _back(request: Request, channel_id: str, notice: str, form: FormData,
          day: date | None = None) -> Response:
    view = "month" if form.get("view") == "month" else "week"
    url = request.url_for("channel_calendar", channel=channel_id).include_query_params(
        view=view, start=(day.isoformat() if day else str(form.get("start") or "")),
        notice=notice)
    return RedirectResponse(f"{url.path}?{url.query}", status_code=303)


def _post_of(request: Request, channel_id: str) -> str:
    post_id = request.path_params["post_id"]
    if not is_id(post_id):
        raise HTTPException(404, "No such post.")
    record = console_of(request).runtime.store.schedule.get(post_id)
    if record is None or record.channel_id != channel_id:
        raise HTTPException(404, f"Post {post_id!r} is not on {channel_id}'s calendar.")
    return str(post_id)


@csrf_protected
def move_pin(request: Request, form: FormData) -> Response:
    """Move a scheduled Pin to the form's ``at`` (``YYYY-MM-DDTHH:MM``, UTC)."""
    console = console_of(request)
    channel_id = request.path_params["channel"]
    known_channel(console, channel_id)
    post_id = _post_of(request, channel_id)
    at = _parse_moment(str(form.get("at") or ""))
    if at is None or at < datetime.now(UTC) + MIN_LEAD:
        return _back(request, channel_id, "past", form)
    schedule = console.runtime.store.schedule
    before = schedule.get(post_id)
    state = schedule.move(post_id, channel_id, at)
    if state != "moved":
        return _back(request, channel_id, "due" if state == "due" else "gone", form)
    outcomes = console.runtime.store.outcomes
    previous = outcomes.get("post", post_id)
    if previous is None or previous.get("status") == "scheduled":
        outcomes.record("post", post_id, {"status": "scheduled", "scheduled_at": at.isoformat(),
                                          "channel_id": channel_id})
    if before is not None and before.message is not None and at < before.at:
        _wake(console, json.loads(before.message), at)
    return _back(request, channel_id, "moved", form, at.date())


def _wake(console: Console, payload: dict[str, Any], at: datetime) -> None:
    """A message for the new, earlier time (the queued one is still delayed to the old)."""
    from pinterest_agent.queues.jobs.actors import PUBLISH_ACTOR
    from pinterest_agent.queues.jobs.enqueue import enqueue_message

    enqueue_message(console.broker(), queue=console.runtime.settings.queue_publisher,
                    actor=PUBLISH_ACTOR, payload=payload, delay_ms=delay_ms_until(at))


@csrf_protected
def cancel_pin(request: Request, form: FormData) -> Response:
    console = console_of(request)
    channel_id = request.path_params["channel"]
    known_channel(console, channel_id)
    post_id = _post_of(request, channel_id)
    state = console.runtime.store.schedule.cancel(post_id, channel_id)
    if state != "cancelled":
        return _back(request, channel_id, "due" if state == "due" else "gone", form)
    outcomes = console.runtime.store.outcomes
    previous = outcomes.get("post", post_id)
    if previous is None or previous.get("status") == "scheduled":
        outcomes.record("post", post_id, {"status": "cancelled", "channel_id": channel_id})
    return _back(request, channel_id, "cancelled", form)


routes = [
    Route("/channels/{channel}/calendar", calendar_page, methods=["GET"],
          name="channel_calendar"),
    Route("/channels/{channel}/calendar/{post_id}/move", move_pin, methods=["POST"],
          name="move_pin"),
    Route("/channels/{channel}/calendar/{post_id}/cancel", cancel_pin, methods=["POST"],
          name="cancel_pin"),
]
