"""Send the next Pin concept of a channel's latest insight to the writer.

One path for ``pinterest-agent insights next --enqueue`` and the console's "Write this Pin"
button: the concept is a ready ``PinBrief``, enqueued as is on the writer queue (its
``brief_id`` is derived from the channel and the period, so sending it twice drafts it once).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pinterest_agent.queues.jobs.actors import WRITE_ACTOR, build_broker
from pinterest_agent.queues.jobs.enqueue import enqueue_message
from pinterest_agent.queues.jobs.insights import latest_insight
from pinterest_agent.queues.runtime import Runtime

__all__ = ["SentBrief", "next_pin_brief", "send_next_pin"]


@dataclass(frozen=True)
class SentBrief:
    brief: dict[str, Any]
    message_id: str
    queue: str


def next_pin_brief(runtime: Runtime, channel_id: str) -> dict[str, Any] | None:
    """The latest insight's next Pin concept as a PinBrief message, or None."""
    insight = latest_insight(runtime, channel_id)
    if insight is None or insight.next_pin is None:
        return None
    return insight.next_pin.model_dump(mode="json", exclude_none=True)


def send_next_pin(runtime: Runtime, brief: dict[str, Any], *, broker: Any = None) -> SentBrief:
    """Enqueue ``brief`` on the writer queue."""
    queue = runtime.settings.queue_writer
    message = enqueue_message(broker or build_broker(runtime.settings, runtime.redis_client),
                              queue=queue, actor=WRITE_ACTOR, payload=brief)
    return SentBrief(brief=brief, message_id=message.message_id, queue=queue)
