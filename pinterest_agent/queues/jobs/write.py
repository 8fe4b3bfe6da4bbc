"""The writer actor's work: a ``PinBrief`` becomes a drafted ``SocialPost`` (copy, design,
rendered 1000x1500 image), recorded as ``post.drafted``, and handed to the publisher when the
brief says ``publish: true`` (delayed until ``scheduled_at``).

The brief's ``destination_url`` is checked first with the publisher's link guard (no request;
``unsafe_url`` or ``destination_unreachable``: failed and kept, before any LLM call or render).

A redelivered brief whose draft is already stored is not written again: the stored draft is
reused (and the LLM cache covers a crash mid-draft), and the hand-off is idempotent because the
publisher publishes a ``post_id`` once. A stored draft whose rendered image has expired from the
image store is drafted again (the LLM cache makes that cheap).

The copy and the design are written with the template versions the job's brief routes to (the
worker's label, or a rollout's candidate; ``Runtime.llm_for``): the outcome's provenance names
each one's version, and the draft is recorded for the comparison of versions by results
(``P:prompts:use:{post_id}``).

The rendered image is stored once in the image store (``P:image:{sha256}``) and the draft, the
hand-off message, the outcome and the ``post.drafted`` event carry only its reference
(``image_ref``); with ``media_public_base_url`` set the post uses ``image_url`` instead.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pinterest_agent.agents.boards import match_board
from pinterest_agent.agents.drafting import Draft, draft_post
from pinterest_agent.agents.messages import ImageRefMedia, PinBrief, PostUpdate, SocialPost
from pinterest_agent.agents.prompting.rollout import PromptChoice
from pinterest_agent.agents.prompting.usage import PromptUse
from pinterest_agent.agents.writer import offered_trends, trends_used
from pinterest_agent.errors import ConfigurationError
from pinterest_agent.queues.jobs.publish import decode_message
from pinterest_agent.queues.jobs.trend_keywords import with_trend_keywords
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.stores.brands import brand_kit

__all__ = ["HandOff", "HandOffUpdate", "run_write"]

log = logging.getLogger(__name__)

HandOff = Callable[[SocialPost], str]
"""Enqueue a post on the publisher queue; returns the message id."""
HandOffUpdate = Callable[[PostUpdate], str]
"""Enqueue a Pin update on the publisher queue; returns the message id."""


def _resolve_board(runtime: Runtime, brief: PinBrief, post: SocialPost) -> SocialPost:
    if post.board_id is not None or not brief.board_hint:
        return post
    api = runtime.pinterest_api(runtime.tokens.access_token(brief.channel_id))
    board = match_board(api.boards.list(), brief.board_hint)
    if board is None:
        log.info("brief %s: no board matches hint %r; the channel's default board applies",
                 brief.brief_id, brief.board_hint)
        return post
    return post.model_copy(update={"board_id": board.id})


def _save_image(runtime: Runtime, draft: Draft) -> Path | None:
    media_dir = runtime.settings.media_dir
    if media_dir is None:
        if draft.media_key is not None:
            raise ConfigurationError(
                "PINTEREST_AGENT_MEDIA_PUBLIC_BASE_URL is set but PINTEREST_AGENT_MEDIA_DIR is "
                "not: set the directory that base URL serves"
            )
        return None
    media_dir.mkdir(parents=True, exist_ok=True)
    name = draft.media_key or f"{draft.post.post_id}.jpg"
    path = media_dir / name
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(draft.image.data)
    tmp.replace(path)
    return path


def _reusable_draft(
    runtime: Runtime, brief: PinBrief
) -> tuple[SocialPost, dict[str, Any]] | None:
    """The stored draft and its outcome when the brief was drafted and its image is still
    stored; None when it must be drafted (again)."""
    stored = runtime.store.documents.get("draft", brief.brief_id)
    previous = runtime.store.outcomes.get("brief", brief.brief_id)
    if stored is None or previous is None or previous.get("status") != "drafted":
        return None
    post = SocialPost.model_validate_json(stored)
    if isinstance(post.media, ImageRefMedia) and not runtime.images.exists(post.media.sha256):
        log.info("brief %s: the stored draft's image expired; drafting again", brief.brief_id)
        return None
    return post, dict(previous)


def _versions(prompts: PromptChoice, used: Mapping[str, str]) -> dict[str, Any]:
    """The version (number, label, rollout arm, hash) of each template the draft used."""
    return {name: prompts.templates[name].model_dump(mode="json") for name in used
            if name in prompts.templates}


def run_write(runtime: Runtime, payload: object, *, hand_off: HandOff | None,
              hand_off_update: HandOffUpdate | None = None) -> dict[str, Any]:
    brief = decode_message(PinBrief, payload)
    if brief.update_of is not None:  # new copy for a live Pin: no image, a PostUpdate
        from pinterest_agent.queues.jobs.rewrite import run_rewrite

        return run_rewrite(runtime, brief, hand_off=hand_off_update)
    outcomes = runtime.store.outcomes
    documents = runtime.store.documents
    reusable = _reusable_draft(runtime, brief)
    if reusable is not None:
        post, outcome = reusable  # redelivery: reuse, don't pay again
        log.info("brief %s already drafted; reusing the stored draft", brief.brief_id)
    else:
        runtime.tokens.credentials(brief.channel_id)  # unknown channel: fail before the LLM
        brief = with_trend_keywords(runtime, brief)  # what Pinners search now, if it fits
        log.info("brief %s: writing copy and designing the image", brief.brief_id)
        llm, prompts = runtime.llm_for(brief.brief_id)  # this job's template versions
        draft = draft_post(
            brief,
            llm=llm,
            fetcher=runtime.fetcher,
            image_generator=runtime.image_generator,
            media_public_base_url=runtime.settings.media_public_base_url,
            max_source_bytes=runtime.settings.max_source_image_bytes,
            images=runtime.images,
            source_rules=runtime.source_rules,
            vision=runtime.settings.openai_vision,
            brand=brand_kit(runtime.store.documents, brief.channel_id),
            check_link=runtime.checks.check_link,  # the publisher's guard, before the LLM
        )
        image_path = _save_image(runtime, draft)
        post = _resolve_board(runtime, brief, draft.post)
        documents.put("draft", brief.brief_id, post.model_dump_json())
        image = draft.image
        outcome = {
            "status": "drafted",
            "post_id": post.post_id,
            "channel_id": post.channel_id,
            "board_id": post.board_id,
            "title": post.title,
            "description": post.description,
            "alt_text": post.alt_text,
            "link": post.link,
            "headline": draft.design.headline,
            "layout": image.layout,
            "design": image.pin_layout,
            "image": {"width": image.width, "height": image.height, "bytes": len(image.data),
                      "content_type": image.content_type, "path": str(image_path or "") or None,
                      "contrast_ratio": round(image.contrast_ratio, 2),
                      "sha256": hashlib.sha256(image.data).hexdigest()},
            "trend_keywords": [trend.model_dump(mode="json", exclude_none=True)
                               for trend in trends_used(draft.copy, brief)],
            "trends_offered": len(offered_trends(brief)),
            "provenance": {**draft.provenance.as_dict(),
                           "versions": _versions(prompts, draft.provenance.templates)},
        }
        runtime.prompt_usage.record(PromptUse(
            post_id=post.post_id, channel_id=post.channel_id, drafted_at=datetime.now(UTC),
            title=post.title,
            templates={name: prompts.templates[name] for name in draft.provenance.templates
                       if name in prompts.templates},
            trend_keywords=len(outcome["trend_keywords"]) if offered_trends(brief) else 0,
        ))
        outcome = outcomes.record("brief", brief.brief_id, outcome, event="post.drafted")
        log.info("brief %s drafted: %r", brief.brief_id, post.title)
    if brief.publish and hand_off is not None:
        message_id = hand_off(post)
        log.info("brief %s handed to the publisher (message %s)", brief.brief_id, message_id)
        outcome = outcomes.record(
            "brief", brief.brief_id,
            {**{k: v for k, v in outcome.items() if k not in ("kind", "id", "recorded_at")},
             "handed_off": True, "publish_message_id": message_id},
        )
    return outcome
