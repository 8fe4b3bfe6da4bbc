"""Jobs: outcomes from the event stream, one post's detail, dead letters and retries.

Filtered events are read from the stream's indexes (:mod:`queues.stores.event_index`), a page
at a time, so a filter shows every matching event however many others were recorded since.
Handlers are plain functions: Starlette runs them in its threadpool, off the event loop."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pinterest_agent.agents.ids import is_id
from pinterest_agent.queues.console.access import csrf_protected
from pinterest_agent.queues.console.context import console_of, render
from pinterest_agent.queues.console.views import STATUSES, event_rows, post_view
from pinterest_agent.queues.jobs.insights import insights_request
from pinterest_agent.queues.stores.event_index import EventFilter

__all__ = ["routes"]

JOBS_PAGE = 200
"""Events on one page of the Jobs page (newest first; "Older events" goes on)."""
POST_EVENTS = 1_000
"""Events shown on one post's page (newest first)."""
SHA256 = re.compile(r"^[0-9a-f]{64}$")
STREAM_ID = re.compile(r"^[0-9]{1,20}-[0-9]{1,20}$")


def jobs_page(request: Request) -> Response:
    console = console_of(request)
    outcomes = console.runtime.store.outcomes
    channel = request.query_params.get("channel") or None
    status = request.query_params.get("status") or None
    before = request.query_params.get("before") or None
    if (channel is not None and not is_id(channel)) or (status and status not in STATUSES):
        raise HTTPException(400, "Filter by a channel id and one of the listed statuses.")
    if before is not None and not STREAM_ID.match(before):
        raise HTTPException(400, "'before' is an event's stream id, like 1700000000000-0.")
    page = outcomes.page(EventFilter(channel=channel, status=status), before=before,
                         count=JOBS_PAGE)
    older = ("/jobs?" + urlencode({key: value for key, value in (
        ("channel", channel), ("status", status), ("before", page.older)) if value})
        if page.older else None)
    return render(request, "jobs.html", rows=event_rows(page.events, channel=channel,
                                                        status=status, limit=JOBS_PAGE),
                  channel=channel or "", status=status or "", statuses=STATUSES,
                  channels=sorted(console.runtime.store.credentials.channel_ids()),
                  older=older, unindexed=bool(channel or status) and outcomes.has_unindexed())


def post_page(request: Request) -> Response:
    console = console_of(request)
    post_id = request.path_params["post_id"]
    if not is_id(post_id):
        raise HTTPException(404, "No such post: a post id is 1 to 128 ASCII letters, digits "
                                 "and '._:@-'.")
    outcomes = console.runtime.store.outcomes
    draft_json = console.runtime.store.documents.get("draft", post_id)
    view = post_view(
        post_id,
        brief_outcome=outcomes.get("brief", post_id),
        post_outcome=outcomes.get("post", post_id),
        draft=json.loads(draft_json) if draft_json else None,
        events=outcomes.page(EventFilter(subject=post_id), count=POST_EVENTS).events,
    )
    if view is None:
        raise HTTPException(404, f"Nothing is recorded about post {post_id!r}.")
    return render(request, "post.html", post=view, unindexed=outcomes.has_unindexed())


def image(request: Request) -> Response:
    sha256 = request.path_params["sha256"]
    if not SHA256.match(sha256):
        raise HTTPException(404, "No such image.")
    data = console_of(request).runtime.images.get(sha256)
    if data is None:
        raise HTTPException(404, "That rendered image is no longer stored.")
    kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    return Response(data, media_type=kind, headers={"Cache-Control": "private, max-age=3600"})


def _dead_rows(letters: Any) -> list[dict[str, Any]]:
    return [
        {"dead_id": job.dead_id, "queue": job.queue, "actor": job.actor,
         "failed_at": datetime.fromtimestamp(job.failed_at_ms / 1000, UTC)
         .strftime("%Y-%m-%d %H:%M UTC"), "retries": job.retries, "code": job.reason_code,
         "reason": job.reason, "subject": _subject(job.args)}
        for job in reversed(letters.list())
    ]


def _subject(args: tuple[Any, ...]) -> str:
    first = args[0] if args else None
    if isinstance(first, str):
        try:
            first = json.loads(first)
        except ValueError:
            return ""
    if isinstance(first, dict):
        for key in ("post_id", "brief_id", "channel_id"):
            if isinstance(first.get(key), str):
                return str(first[key])
    return ""


def dead_page(request: Request) -> Response:
    letters = console_of(request).dead_letters()
    return render(request, "dead.html", dead=_dead_rows(letters),
                  retried=request.query_params.get("retried"), error=None)


@csrf_protected
def retry_dead(request: Request, form: FormData) -> Response:
    console = console_of(request)
    letters = console.dead_letters()
    dead_id = request.path_params["dead_id"]
    if not is_id(dead_id):
        raise HTTPException(404, "No such dead-lettered job.")
    try:
        message = letters.retry(console.broker(), dead_id)
    except KeyError as exc:
        raise HTTPException(404, f"No dead-lettered job {dead_id!r}.") from exc
    except ValueError as exc:
        return render(request, "dead.html", status_code=409, dead=_dead_rows(letters),
                      retried=None, error=str(exc))
    return RedirectResponse(f"/jobs/dead?retried={message.message_id}", status_code=303)


@csrf_protected
def run_insights(request: Request, form: FormData) -> Response:
    """Enqueue an insights job for the channel (as ``enqueue insights CHANNEL`` does)."""
    from pinterest_agent.queues.jobs.actors import INSIGHTS_ACTOR
    from pinterest_agent.queues.jobs.enqueue import enqueue_message

    console = console_of(request)
    channel_id = request.path_params["channel"]
    if not is_id(channel_id) or channel_id not in console.runtime.store.credentials.channel_ids():
        raise HTTPException(404, f"Channel {channel_id!r} is not connected.")
    enqueue_message(console.broker(), queue=console.runtime.settings.queue_insights,
                    actor=INSIGHTS_ACTOR, payload=insights_request(channel_id))
    return RedirectResponse(f"/jobs?channel={channel_id}", status_code=303)


routes = [
    Route("/jobs", jobs_page, methods=["GET"], name="jobs"),
    Route("/jobs/dead", dead_page, methods=["GET"], name="dead_letters"),
    Route("/jobs/dead/{dead_id}/retry", retry_dead, methods=["POST"], name="retry_dead"),
    Route("/posts/{post_id}", post_page, methods=["GET"], name="post"),
    Route("/images/{sha256}", image, methods=["GET"], name="image"),
    Route("/channels/{channel}/insights/run", run_insights, methods=["POST"],
          name="run_insights"),
]
