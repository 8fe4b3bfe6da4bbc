"""Scheduled Pins: what the schedule record holds of a post, and the publisher's check.

The writer hands a post with ``scheduled_at`` to the publisher delayed until then, and records it
in the schedule (:class:`~queues.stores.schedule.ScheduleBook`) first; a post moved before the
writer got to it is handed off for its new time. When the message is delivered the publisher
asks the record (:func:`check_schedule`): cancelled, it skips with ``post.cancelled``; moved
later, it waits again; otherwise it claims the record and publishes, once, as ever.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pinterest_agent.agents.messages import (
    CarouselMedia,
    ImageRefMedia,
    ImageUrlMedia,
    PinBrief,
    SocialPost,
    VideoMedia,
)
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.stores.schedule import Preview

__all__ = ["MESSAGE_KEPT_CHARS", "Decision", "check_schedule", "preview_of", "schedule_brief",
           "schedule_post"]

MESSAGE_KEPT_CHARS = 64_000
"""A post's message is kept with its record (to wake it earlier when it is moved earlier) up to
this size; a larger one (an inline image) can be moved later or cancelled only."""


def preview_of(post: SocialPost) -> Preview:
    """Title, board and image of a post, as the calendar and the post page show them."""
    media = post.media
    image_url: str | None = None
    image_sha: str | None = None
    if isinstance(media, ImageUrlMedia):
        image_url = str(media.url)
    elif isinstance(media, ImageRefMedia):
        image_sha = media.sha256
    elif isinstance(media, CarouselMedia):
        image_url = str(media.items[0].url)
    elif isinstance(media, VideoMedia) and media.cover_image_url is not None:
        image_url = str(media.cover_image_url)
    return Preview(title=post.title, board_id=post.board_id, image_url=image_url,
                   image_sha256=image_sha)


def schedule_post(runtime: Runtime, post: SocialPost) -> datetime | None:
    """Record a post with ``scheduled_at`` in the schedule; returns when it is due now (a time
    moved in the console wins over the post's own), or None if it is not scheduled."""
    if post.scheduled_at is None:
        return None
    message = json.dumps(post.model_dump(mode="json", exclude_none=True))
    state, at = runtime.store.schedule.record(
        post.post_id, post.channel_id, post.scheduled_at, source="writer",
        preview=preview_of(post),
        message=message if len(message) <= MESSAGE_KEPT_CHARS else None)
    return None if state == "cancelled" else at  # cancelled: the publisher skips it at once


def schedule_brief(runtime: Runtime, brief: PinBrief, *, planned_board: str | None) -> None:
    """Record a brief the catalog planner placed (before the writer drafts it), with the
    planner's board, so a move or a cancel updates the planner's day counts."""
    if brief.scheduled_at is None or not brief.publish:
        return
    runtime.store.schedule.record(
        brief.brief_id, brief.channel_id, brief.scheduled_at, source="catalog",
        preview=Preview(title=brief.name, board_id=brief.board_id,
                        image_url=str(brief.source_image_urls[0])
                        if brief.source_image_urls else None),
        planned_board=planned_board)


@dataclass(frozen=True)
class Decision:
    """What the publisher does with a delivered message: ``publish``, ``skip`` (cancelled, or
    published by an earlier message of a moved post: ``outcome`` says which) or ``wait``
    until ``at``."""

    action: Literal["publish", "skip", "wait"]
    at: datetime | None = None
    outcome: dict[str, Any] | None = None
    own_time: bool = True
    """False when the record decided the time (the message's ``scheduled_at`` is stale)."""


def check_schedule(runtime: Runtime, post: SocialPost, *, now_s: float, slack_s: float,
                   can_wait: bool) -> Decision:
    """Only a post with ``scheduled_at`` can have a record (one is made from that time), so a
    post to publish now costs no extra round trip: still two scripts per publish."""
    if post.scheduled_at is None:
        return Decision("publish")
    claim = runtime.store.schedule.claim(post.post_id, now_s=now_s, slack_s=slack_s,
                                         force=not can_wait)
    outcomes = runtime.store.outcomes
    if claim.state == "none":
        return Decision("publish")
    if claim.state == "cancelled":
        return Decision("skip", claim.at, outcomes.record(
            "post", post.post_id,
            {"status": "cancelled", "channel_id": post.channel_id,
             "scheduled_at": claim.at.isoformat() if claim.at else None},
            event="post.cancelled"))
    if claim.state == "wait":
        return Decision("wait", claim.at, own_time=False)
    if claim.state == "due":
        previous = outcomes.get("post", post.post_id)
        if previous is not None and previous.get("status") == "published":
            return Decision("skip", claim.at, previous)
    return Decision("publish", claim.at, own_time=False)
