"""Start a publish job's link preflight when its message is fetched, before a thread runs it.

Dramatiq prefetches about twice as many messages as a worker process has threads. The broker
shows each accepted message to its ``on_accepted`` hook as it is fetched
(``queues.broker.brokers``); :func:`prefetch_hook` reads the post's ``link`` from it and hands it
to the runtime's :class:`~providers.netsafe.ahead.PreflightAhead`, whose pool preflights it while
the job waits for a thread. The job's own preflight then finds the verdict (or waits for the one
in flight) instead of making the round trip itself. A preflight takes about as long as a job's
create, so the publisher queue prefetches deeper (``preflight_ahead_prefetch_scale``: 3 messages
per thread instead of Dramatiq's 2): a fetched post then waits about two jobs' time for a thread.

Only what is cheap is read, and anything unexpected is ignored (the job itself rejects a
malformed message, with its reason): the envelope is already decoded by the broker's check; a
post sent as a JSON *string* is decoded only when it is short; a post due later (``scheduled_at``
in the future: the job reschedules it) is left alone.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from pinterest_agent.queues.broker.brokers import AcceptHook

__all__ = ["MAX_ENVELOPE_BYTES", "MAX_LINK_CHARS", "MAX_POST_STRING_CHARS", "parked_preflight",
           "post_link", "prefetch_hook"]

MAX_POST_STRING_CHARS = 64 * 1024
"""A post sent as a JSON string longer than this is not decoded here (the job decodes it)."""
MAX_ENVELOPE_BYTES = 256 * 1024
"""A parked message longer than this is not decoded for its link (its job still checks it)."""
MAX_LINK_CHARS = 2048
"""Pinterest's limit on a Pin's link; a longer one fails the job's validation anyway."""


def post_link(envelope: Mapping[str, Any], actor_name: str, *, now_s: float) -> str | None:
    """The link of the post an envelope for *actor_name* carries, when it is due now; ``None``
    for anything else, malformed or not (never raises on a decoded JSON document)."""
    if envelope.get("actor_name") != actor_name:
        return None
    args = envelope.get("args")
    if not isinstance(args, list) or len(args) != 1:
        return None
    post = args[0]
    if isinstance(post, str):
        if len(post) > MAX_POST_STRING_CHARS:
            return None
        try:
            post = json.loads(post)
        except (ValueError, RecursionError):
            return None
    if not isinstance(post, dict):
        return None
    link = post.get("link")
    if not isinstance(link, str) or not 0 < len(link) <= MAX_LINK_CHARS:
        return None
    if _due_later(post.get("scheduled_at"), now_s):
        return None
    return link


def _due_later(scheduled_at: object, now_s: float) -> bool:
    if scheduled_at is None:
        return False
    if not isinstance(scheduled_at, str) or len(scheduled_at) > 64:
        return True  # not a time the job will accept
    try:
        when = datetime.fromisoformat(scheduled_at)
    except ValueError:
        return True
    if when.tzinfo is None:
        return True
    return when.timestamp() > now_s


def prefetch_hook(submit: Callable[[str], object], *, queue_name: str, actor_name: str,
                  clock: Callable[[], float] = time.time) -> AcceptHook:
    """The broker's ``on_accepted`` hook: hand the link of each *actor_name* message fetched
    from *queue_name* (not from its delay queue: those are not due yet) to *submit*
    (``PreflightAhead.submit``, which never raises nor blocks)."""

    def accepted(queue: str, envelope: Mapping[str, Any]) -> None:
        if queue != queue_name:
            return
        link = post_link(envelope, actor_name, now_s=clock())
        if link is not None:
            submit(link)

    return accepted


def parked_preflight(submit: Callable[[str], object], *, actor_name: str = "publish_post",
                     clock: Callable[[], float] = time.time) -> Callable[[bytes], None]:
    """Fair dispatch's ``ahead`` hook: the encoded message of a parked post next in line for
    its channel's turn; its link goes to *submit* as a fetched one's does (malformed or not
    due: nothing)."""

    def upcoming(body: bytes) -> None:
        if len(body) > MAX_ENVELOPE_BYTES:
            return
        try:
            envelope = json.loads(body)
        except (ValueError, RecursionError):
            return
        if isinstance(envelope, dict):
            link = post_link(envelope, actor_name, now_s=clock())
            if link is not None:
                submit(link)

    return upcoming
