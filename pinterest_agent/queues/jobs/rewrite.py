"""New copy for a live Pin: a ``PinBrief`` with ``update_of`` is written (copy only, no image) and
handed to the publisher as a ``PostUpdate`` (``PATCH /pins/{pin_id}``).

The catalog sync sends such a brief when an item's title, description or price changed, since the
Pin's copy was written from them. A redelivered brief writes the same copy again (the LLM cache
answers) and hands off the same ``update_id``, which the publisher applies once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pinterest_agent.agents.messages import SCHEMA_VERSION, PinBrief, PostUpdate
from pinterest_agent.agents.writer import post_description, write_copy
from pinterest_agent.queues.runtime import Runtime

__all__ = ["run_rewrite", "update_for"]

log = logging.getLogger(__name__)


def update_for(brief: PinBrief, title: str, description: str, alt_text: str) -> PostUpdate:
    """The ``PostUpdate`` carrying a rewritten brief's copy to its Pin."""
    target = brief.update_of
    if target is None:
        raise ValueError("the brief updates no Pin")
    return PostUpdate(
        schema_version=SCHEMA_VERSION,
        update_id=brief.brief_id,
        platform="pinterest",
        channel_id=brief.channel_id,
        pin_id=target.pin_id,
        revision=target.revision,
        title=title,
        description=description,
        link=brief.destination_url,
        alt_text=alt_text,
    )


def run_rewrite(
    runtime: Runtime, brief: PinBrief, *, hand_off: Callable[[PostUpdate], str] | None
) -> dict[str, Any]:
    runtime.tokens.credentials(brief.channel_id)  # unknown channel: fail before the LLM
    runtime.checks.check_link(brief.destination_url)  # the publisher's guard, before the LLM
    written = write_copy(brief, runtime.llm)
    copy = written.copy
    update = update_for(brief, copy.title, post_description(copy), copy.alt_text)
    outcome: dict[str, Any] = {
        "status": "rewritten",
        "update_id": update.update_id,
        "pin_id": update.pin_id,
        "channel_id": brief.channel_id,
        "title": update.title,
        "description": update.description,
        "alt_text": update.alt_text,
        "link": update.link,
        "provenance": {"model": written.llm.model,
                       "templates": {written.llm.template: written.llm.template_hash}},
    }
    if hand_off is not None:
        outcome["update_message_id"] = hand_off(update)
        log.info("brief %s: new copy handed to the publisher for Pin %s", brief.brief_id,
                 update.pin_id)
    return runtime.store.outcomes.record("brief", brief.brief_id, outcome)
