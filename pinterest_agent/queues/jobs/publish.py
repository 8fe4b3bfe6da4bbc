"""What each actor does, as plain functions over a :class:`Runtime` (no Dramatiq here).

An actor decodes its message, calls one of these, and lets the exception (if any) reach
Dramatiq's ``Retries``. Outcomes are recorded here on success and by
:func:`record_post_failure` (through ``OutcomeMiddleware``) on failure.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from pinterest_agent.agents.ids import is_id
from pinterest_agent.agents.messages import SCHEMA_VERSION, SocialPost
from pinterest_agent.agents.publisher import PublishResult, publish
from pinterest_agent.errors import InvalidInputError, WorkerError
from pinterest_agent.observability.metrics import PUBLISH_SECONDS
from pinterest_agent.queues.broker.envelopes import (
    DEFAULT_MAX_DEPTH,
    PREVIEW_CHARS,
    depth_of,
    preview,
)
from pinterest_agent.queues.jobs.schedule import check_schedule
from pinterest_agent.queues.runtime import Runtime

__all__ = [
    "InvalidMessageError",
    "decode_message",
    "delay_ms_until",
    "due_channel",
    "post_failure_outcome",
    "record_failure",
    "record_post_failure",
    "record_rejection",
    "run_publish",
    "subject_id",
]

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
FINAL_STATUSES = frozenset({"published"})
"""Outcome statuses that later records never replace (see ``OutcomeLog.record``)."""
SCHEDULE_SLACK_S = 1.0
MAX_DELAY_MS = 6 * 24 * 3600 * 1000  # Dramatiq's Redis broker refuses delays of 7 days or more


class InvalidMessageError(InvalidInputError):
    default_code = "invalid_message"


def _payload_dict(payload: object, *, max_depth: int = DEFAULT_MAX_DEPTH) -> dict[str, Any]:
    if isinstance(payload, bytes | bytearray):
        payload = payload.decode("utf-8", errors="replace")
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except RecursionError:
            raise _too_deep(max_depth) from None
        except json.JSONDecodeError as exc:
            raise InvalidMessageError(
                f"the message is not valid JSON ({exc.msg} at line {exc.lineno} column "
                f"{exc.colno}); send one JSON object as the actor's only argument"
            ) from exc
    if not isinstance(payload, dict):
        raise InvalidMessageError(
            f"the message must be a JSON object, not {type(payload).__name__}"
        )
    if depth_of(payload, max_depth) > max_depth:
        raise _too_deep(max_depth)
    return payload


def _too_deep(max_depth: int) -> InvalidMessageError:
    return InvalidMessageError(
        f"the message nests deeper than {max_depth} levels; send the documented object "
        "(`pinterest-agent schema`)", code="message_too_deep",
    )


def decode_message(model: type[M], payload: object) -> M:
    """Parse a queue message into *model*, turning every problem into one clear error."""
    data = _payload_dict(payload)
    version = data.get("schema_version")
    if type(version) is not int or version != SCHEMA_VERSION:
        raise InvalidMessageError(
            f"schema_version {version!r} is not supported: this worker reads version "
            f"{SCHEMA_VERSION} (the number {SCHEMA_VERSION}; print the schema with "
            "`pinterest-agent schema`)",
            code="unsupported_schema_version",
            field="schema_version",
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            where = ".".join(str(part) for part in error["loc"]) or "message"
            problems.append(f"{where}: {error['msg']}")
        first = exc.errors()[0]["loc"]
        raise InvalidMessageError(
            f"{model.__name__} is invalid: " + "; ".join(problems)[:1500],
            field=".".join(str(part) for part in first) or None,
        ) from exc


def delay_ms_until(when: datetime | None, *, clock: Callable[[], float] = time.time) -> int | None:
    """A Dramatiq delay for *when* (None when due), capped at the broker's maximum."""
    if when is None:
        return None
    wait_ms = int((when.timestamp() - clock()) * 1000)
    return min(wait_ms, MAX_DELAY_MS) if wait_ms > 0 else None


def subject_id(payload: object, key: str) -> str | None:
    """The subject's id from a possibly malformed payload, for failure records."""
    try:
        value = _payload_dict(payload).get(key)
    except InvalidMessageError:
        return None
    return value if is_id(value) else None  # it becomes a Redis key: never an odd string


def due_channel(payload: object, *, now_s: float, slack_s: float = SCHEDULE_SLACK_S
                ) -> str | None:
    """The channel of a post message that looks due now (no ``scheduled_at``, or one within
    *slack_s*), read without validating the message: so a channel's backlog is parked before
    paying for the full decode. None when it is not due, or has no valid channel id (the
    decode then says why)."""
    try:
        data = _payload_dict(payload)
    except InvalidMessageError:
        return None
    channel = data.get("channel_id")
    if not is_id(channel):
        return None
    when = data.get("scheduled_at")
    if isinstance(when, str):
        try:
            at = datetime.fromisoformat(when.replace("Z", "+00:00"))
            if at.tzinfo is not None and at.timestamp() > now_s + slack_s:
                return None
        except ValueError:
            pass
    return str(channel)


def run_publish(
    runtime: Runtime,
    payload: object,
    *,
    reschedule: Callable[[int], None] | None = None,
    turn: Callable[[str], bool] | None = None,
    clock: Callable[[], float] = time.time,
) -> dict[str, Any]:
    """Publish one ``SocialPost`` message and record the outcome; returns the outcome.
    ``turn(channel_id)``, when given, is asked right before publishing: False parks the
    message for later (fair dispatch) and nothing is recorded."""
    post = decode_message(SocialPost, payload)
    # The post's copy goes with the lease's round trip (stored before the job ends anyway).
    with runtime.store.riders.collect():
        keep_copy(runtime, post)
        return _run_publish(runtime, post, reschedule=reschedule, turn=turn, clock=clock)


def _run_publish(
    runtime: Runtime,
    post: SocialPost,
    *,
    reschedule: Callable[[int], None] | None,
    turn: Callable[[str], bool] | None,
    clock: Callable[[], float],
) -> dict[str, Any]:
    outcomes = runtime.store.outcomes
    # The schedule record (moved or cancelled in the console) rules over the message's time.
    decision = check_schedule(runtime, post, now_s=clock(), slack_s=SCHEDULE_SLACK_S,
                              can_wait=reschedule is not None)
    if decision.action == "skip" and decision.outcome is not None:
        log.info("post %s not published: %s", post.post_id, decision.outcome.get("status"))
        return decision.outcome
    due = decision.at if decision.action == "wait" else \
        post.scheduled_at if decision.own_time else None
    if due is not None and reschedule is not None:
        wait_s = due.timestamp() - clock()
        if wait_s > SCHEDULE_SLACK_S:
            reschedule(min(int(wait_s * 1000), MAX_DELAY_MS))  # far dates hop in 6-day steps
            log.info("post %s scheduled for %s", post.post_id, due.isoformat())
            return outcomes.record(
                "post", post.post_id,
                {"status": "scheduled", "scheduled_at": due.isoformat()},
            )
    if turn is not None and not turn(post.channel_id):
        # Parked in order until one of the channel's turns is free (queues.jobs.turns).
        return {"status": "waiting_turn", "channel_id": post.channel_id}
    started = time.perf_counter()
    ended = "error"  # a wait or failure raised
    try:
        result: PublishResult = publish(post, runtime.publishers)
        ended = result.status
    finally:
        PUBLISH_SECONDS.labels(result=ended).observe(time.perf_counter() - started)
    if result.recorded is not None:  # recorded and announced with the Pin, in the same step
        return result.recorded
    outcome = result.outcome()
    # Emit post.published once: a publisher that did not record it (or a redelivery of a Pin
    # recorded before outcomes were) emits it here; a duplicate after a recorded publish is
    # announced as post.duplicate and leaves the stored (first) outcome as it was.
    event = "post.published"
    if result.status == "already_published":
        previous = outcomes.get("post", post.post_id)
        if previous is not None and previous.get("status") == "published":
            event = "post.duplicate"
    return outcomes.record("post", post.post_id, outcome, event=event)


def keep_copy(runtime: Runtime, post: SocialPost) -> None:
    """Keep an upstream post's copy where the writer keeps its drafts (``P:draft:{post_id}``),
    so the console shows what was sent: a draft stored already (the writer's) stays, image
    bytes are left out (their length and SHA-256 kept), and it expires with the outcomes. Inside
    ``riders.collect()`` it is sent with the thread's next script round trip."""
    sent = post.model_dump(mode="json", exclude_none=True)
    kept = _without_inline_image(sent) or sent
    runtime.store.documents.put_new_soon("draft", post.post_id, json.dumps(kept),
                                         ttl_s=runtime.settings.outcome_ttl_days * 86_400)


def bounded_message(payload: object) -> dict[str, Any]:
    """The message for an outcome or event: whole when its JSON is at most
    :data:`PREVIEW_CHARS` characters, else a preview; always its SHA-256 (and its size when
    not whole). An inline image (``image_base64`` media) is first replaced by its length and
    SHA-256, so no outcome or event carries image bytes."""
    try:
        text = payload if isinstance(payload, str) else json.dumps(payload, default=str)
    except (ValueError, RecursionError):
        text = repr(payload)[: PREVIEW_CHARS * 2]
    original = preview(text)
    shown_payload = payload
    summarised = _without_inline_image(payload)
    if summarised is not None:
        shown_payload, text = summarised, json.dumps(summarised)
    shown = preview(text) if summarised is not None else original
    if not shown["truncated"]:
        return {"message": shown_payload, "message_sha256": original["sha256"]}
    return {"message_preview": shown["preview"], "message_bytes": original["bytes"],
            "message_sha256": original["sha256"]}


def _without_inline_image(payload: object) -> dict[str, Any] | None:
    """The message with its ``media.data`` replaced by ``data_chars`` and ``data_sha256``;
    None when it has no inline image (or is not a JSON object)."""
    data = payload
    if isinstance(payload, str | bytes | bytearray):
        try:
            data = json.loads(payload)
        except (ValueError, RecursionError):
            return None
    if not isinstance(data, dict):
        return None
    media = data.get("media")
    if not isinstance(media, dict) or not isinstance(media.get("data"), str):
        return None
    inline: str = media["data"]
    kept = {key: value for key, value in media.items() if key != "data"}
    return {**data, "media": {**kept, "data_chars": len(inline),
                              "data_sha256": hashlib.sha256(inline.encode()).hexdigest()}}


def post_failure_outcome(
    exc: BaseException, *, final: bool, message_id: str, queue: str, payload: object, retries: int
) -> dict[str, Any]:
    if isinstance(exc, WorkerError):
        error = exc.as_dict()
    else:
        error = {"code": "internal_error", "message": str(exc)[:500],
                 "error_type": type(exc).__name__}
    outcome: dict[str, Any] = {
        "status": "failed" if final else "retrying",
        "error": error,
        "message_id": message_id,
        "queue": queue,
        "retries": retries,
    }
    if final:
        outcome.update(bounded_message(payload))
    return outcome


def record_failure(
    runtime: Runtime,
    *,
    kind: str,
    id_field: str,
    event_prefix: str,
    payload: object,
    exc: BaseException,
    final: bool,
    message_id: str,
    queue: str,
    retries: int,
    dead_id: str | None = None,
    retry_in_ms: int | None = None,
) -> dict[str, Any]:
    """Record a failed (dead-lettered) or retrying job and emit ``<prefix>.failed|.retrying``;
    returns the outcome. For a post, the ledger learns when its next attempt is due (or that it
    has none), so the reconciler leaves it alone until then.

    A published post stays published: a later failing message with its id (an invalid resend)
    is recorded as a rejection of its own (kind ``message``, ``message.rejected``).
    """
    subject = subject_id(payload, id_field) or f"message-{message_id}"
    outcome = post_failure_outcome(
        exc, final=final, message_id=message_id, queue=queue, payload=payload, retries=retries
    )
    if final and dead_id is not None:
        runtime.store.dead_reasons.put(dead_id, outcome["error"])
    if kind == "post" and subject_id(payload, id_field) is not None:
        if final:
            runtime.store.ledger.close(subject)
        elif retry_in_ms is not None:
            runtime.store.ledger.reschedule(subject, int(retry_in_ms))
    previous = runtime.store.outcomes.get(kind, subject)
    if previous is not None and previous.get("status") in FINAL_STATUSES:
        return record_rejection(runtime, dead_id=dead_id or message_id, queue=queue,
                                error=outcome["error"], payload=payload,
                                subject=(kind, subject), final=final)
    event = f"{event_prefix}.failed" if final else f"{event_prefix}.retrying"
    stored = runtime.store.outcomes.record(kind, subject, outcome, event=event)
    level = logging.WARNING if final else logging.INFO
    log.log(level, "%s %s %s: %s", kind, subject, outcome["status"], outcome["error"]["message"])
    return stored


def record_rejection(
    runtime: Runtime,
    *,
    dead_id: str,
    queue: str,
    error: dict[str, Any],
    raw: bytes | None = None,
    payload: object = None,
    subject: tuple[str, str] | None = None,
    final: bool = True,
) -> dict[str, Any]:
    """Record a message the worker refused (kind ``message``, id = its dead id) and emit
    ``message.rejected``; the message itself is in the dead-letter queue."""
    outcome: dict[str, Any] = {"status": "failed" if final else "retrying", "queue": queue,
                               "error": error}
    if raw is not None:
        outcome["raw"] = preview(raw)
    elif payload is not None:
        outcome.update(bounded_message(payload))
    if subject is not None:
        outcome["subject"] = {"kind": subject[0], "id": subject[1],
                              "note": "its recorded outcome is final and was kept"}
    if final:
        runtime.store.dead_reasons.put(dead_id, error)
    stored = runtime.store.outcomes.record("message", dead_id, outcome,
                                           event="message.rejected" if final else None)
    log.warning("message %s on %s refused: [%s] %s", dead_id, queue, error.get("code"),
                str(error.get("message", ""))[:300])
    return stored


def record_post_failure(
    runtime: Runtime, *, payload: object, exc: BaseException, final: bool, message_id: str,
    queue: str, retries: int,
) -> dict[str, Any]:
    return record_failure(
        runtime, kind="post", id_field="post_id", event_prefix="post", payload=payload, exc=exc,
        final=final, message_id=message_id, queue=queue, retries=retries,
    )
