"""Enqueue jobs from Python, the way any upstream producer would (validate, then send).

A producer in another language does the same with a plain Redis client; the README shows the
two Redis commands Dramatiq's broker uses.
"""

from __future__ import annotations

from typing import Any

import dramatiq

from pinterest_agent.agents.messages import SocialPost
from pinterest_agent.queues.jobs.actors import PUBLISH_ACTOR, build_broker
from pinterest_agent.queues.jobs.publish import decode_message, delay_ms_until
from pinterest_agent.queues.settings import Settings

__all__ = ["enqueue_message", "enqueue_post"]


def enqueue_message(
    broker: Any, *, queue: str, actor: str, payload: dict[str, Any], delay_ms: int | None = None
) -> dramatiq.Message:
    message = dramatiq.Message(queue_name=queue, actor_name=actor, args=(payload,), kwargs={},
                               options={})
    enqueued: dramatiq.Message = broker.enqueue(message, delay=delay_ms)
    return enqueued


def enqueue_post(settings: Settings, payload: object, *, broker: Any = None) -> dramatiq.Message:
    """Validate a ``SocialPost`` and enqueue it, delayed until ``scheduled_at`` when set."""
    post = decode_message(SocialPost, payload)
    return enqueue_message(
        broker or build_broker(settings),
        queue=settings.queue_publisher,
        actor=PUBLISH_ACTOR,
        payload=post.model_dump(mode="json", exclude_none=True),
        delay_ms=delay_ms_until(post.scheduled_at),
    )
