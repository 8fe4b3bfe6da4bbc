"""What makes bytes on a queue a message this worker will run: the envelope check.

Producers in any language write Dramatiq's envelope by hand (see the README), so the broker's
consumer checks every fetched message *before* Dramatiq sees it. :func:`check_envelope` accepts
a message only when:

- it is at most ``max_bytes`` long (checked before decoding);
- it decodes as JSON (no deeper than ``max_depth``) into a Dramatiq ``Message``;
- it names the queue it was fetched from (a mismatch kills Dramatiq's worker thread, which looks
  the consumer up by the message's own ``queue_name``);
- it has the shapes Dramatiq relies on: ``actor_name`` and ``message_id`` strings, ``args`` a
  list, ``kwargs`` and ``options`` objects, the counters in ``options`` non-negative integers and
  ``eta`` a number;
- when the broker knows its actors (``actors``: name -> queue), it names one of them, one that
  runs on this queue, and calls it the way every actor of this worker is called: exactly one
  argument (the message object) and no ``kwargs``. Otherwise Dramatiq would fail it as a bug
  (retried as ``internal_error``) or dead-letter it with no reason.

Anything else is :class:`Rejected` with a sentence naming what is wrong; the broker moves it to
the dead-letter queue, records it and announces ``message.rejected``. A message whose
``options.redis_message_id`` is missing or differs from the id it was stored under is accepted
with the id corrected, so acknowledging it always removes the right entry (on RabbitMQ, which
has no such id, :func:`dead_id_of` names a message in the dead-letter queue).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dramatiq.common import q_name

from pinterest_agent.queues.settings import DEFAULT_MAX_DEPTH, DEFAULT_MAX_MESSAGE_BYTES

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_MESSAGE_BYTES",
    "PREVIEW_CHARS",
    "Accepted",
    "Rejected",
    "check_envelope",
    "dead_id_of",
    "depth_of",
    "preview",
]

PREVIEW_CHARS = 2_000
"""How much of a rejected message events, outcomes and logs carry (plus its SHA-256)."""

_ENVELOPE_FIELDS = frozenset(
    {"queue_name", "actor_name", "args", "kwargs", "options", "message_id", "message_timestamp"}
)
_MESSAGE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,255}\Z", re.ASCII)
_COUNTERS = ("retries", "busy_waits", "video_polls", "rate_limit_waits", "store_waits",
             "max_retries")


@dataclass(frozen=True, slots=True)
class Accepted:
    data: bytes
    """The message to hand to Dramatiq (re-encoded only when its redis id was corrected)."""
    fields: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """The envelope as decoded by the check (for the broker's ``on_accepted`` hook: read it,
    never change it)."""


@dataclass(frozen=True, slots=True)
class Rejected:
    code: str
    reason: str

    def as_error(self) -> dict[str, str]:
        return {"code": self.code, "message": self.reason}


def preview(raw: bytes | str, limit: int = PREVIEW_CHARS) -> dict[str, Any]:
    """At most ``limit`` characters of a message, its size and its SHA-256 (never all of it)."""
    data = raw.encode("utf-8", errors="surrogatepass") if isinstance(raw, str) else raw
    text = data[: limit * 4].decode("utf-8", errors="replace")[:limit]
    return {"preview": text, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            "truncated": len(text.encode("utf-8", errors="surrogatepass")) < len(data)}


def depth_of(value: object, limit: int) -> int:
    """Nesting depth of JSON containers in *value*, counting no further than ``limit + 1``
    (iterative: a hostile document cannot exhaust the stack)."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list | tuple):
            children = node
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _reject(reason: str, code: str = "invalid_envelope") -> Rejected:
    return Rejected(code, reason)


def check_envelope(
    queue_name: str,
    redis_id: str | None,
    raw: bytes | None,
    *,
    max_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    actors: Mapping[str, str] | None = None,
) -> Accepted | Rejected:
    """Accept or reject the message stored as *redis_id* (``None`` on a broker without ids,
    RabbitMQ), fetched from *queue_name*; *actors* (actor name -> its queue), when given, are the
    only actors a message may name."""
    if raw is None or (redis_id is None and not raw):
        if redis_id is None:
            return _reject(f"an empty message was published on {queue_name!r}", "empty_message")
        return _reject(f"the id {redis_id!r} was pushed on {queue_name!r} with no message body "
                       "(HSET the .msgs hash before RPUSH)", "empty_message")
    if len(raw) > max_bytes:
        return _reject(f"the message is {len(raw):,} bytes, over the {max_bytes:,}-byte limit "
                       "(PINTEREST_AGENT_MAX_MESSAGE_BYTES); send large images by URL",
                       "message_too_large")
    try:
        fields = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return _reject("not a Dramatiq message: not UTF-8 text", "undecodable_message")
    except RecursionError:
        return _reject(f"the message nests deeper than {max_depth} levels", "message_too_deep")
    except ValueError as exc:
        return _reject(f"not a Dramatiq message: not JSON ({exc})", "undecodable_message")
    if not isinstance(fields, dict):
        return _reject(f"not a Dramatiq message: a JSON {type(fields).__name__}, not an object",
                       "undecodable_message")
    # The envelope itself is one level. A message with fewer opening brackets than the limit
    # cannot nest deeper than it (counting bytes is cheap; walking the document is not).
    if (raw.count(b"[") + raw.count(b"{") > max_depth + 1
            and depth_of(fields, max_depth + 1) > max_depth + 1):
        return _reject(f"the message nests deeper than {max_depth} levels", "message_too_deep")
    missing = sorted({"queue_name", "actor_name", "args", "message_id"} - fields.keys())
    unknown = sorted(fields.keys() - _ENVELOPE_FIELDS)
    if missing or unknown:
        what = "; ".join(part for part in (
            f"missing {', '.join(missing)}" if missing else "",
            f"unknown {', '.join(unknown)}" if unknown else "") if part)
        return _reject(f"not a Dramatiq message: {what} (see the README's envelope)",
                       "undecodable_message")
    problem = _shape_problem(fields, queue_name) or _call_problem(fields, queue_name, actors)
    if problem is not None:
        return _reject(problem)
    changed = "options" not in fields or "kwargs" not in fields
    options = fields.setdefault("options", {})
    fields.setdefault("kwargs", {})
    if redis_id is not None and options.get("redis_message_id") != redis_id:
        options["redis_message_id"] = redis_id
        changed = True
    if changed:
        return Accepted(json.dumps(fields, separators=(",", ":")).encode(), fields)
    return Accepted(raw, fields)


def dead_id_of(raw: bytes, *, max_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> str:
    """The id a message without a broker id (RabbitMQ) is known by in the dead-letter queue:
    its ``message_id`` when it decodes to an object with one (what Dramatiq's failures are
    recorded under), else ``sha256-`` and
    the SHA-256 of its bytes (stable: the same bytes always get the same id)."""
    if len(raw) <= max_bytes:
        try:
            fields = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError):
            fields = None
        message_id = fields.get("message_id") if isinstance(fields, dict) else None
        if isinstance(message_id, str) and 0 < len(message_id) <= 256:
            return message_id
    return "sha256-" + hashlib.sha256(raw).hexdigest()


def _call_problem(fields: dict[str, Any], queue_name: str,
                  actors: Mapping[str, str] | None) -> str | None:
    """How the message calls its actor, when the broker's actors are known (``None`` if fine)."""
    if not actors:
        return None
    name = fields["actor_name"]
    home = q_name(queue_name)  # a delay queue's (name.DQ) home queue
    if name not in actors:
        return (f"actor_name {name[:80]!r} is not an actor of this worker (it runs "
                f"{', '.join(sorted(actors))})")
    if actors[name] != home:
        return f"actor {name!r} runs on queue {actors[name]!r}, not {home!r}"
    if len(fields["args"]) != 1:
        return (f"args must hold exactly one item (the message object), not "
                f"{len(fields['args'])}")
    kwargs = fields.get("kwargs") or {}
    if kwargs:
        return (f"kwargs must be empty: {name} takes no keyword arguments (got "
                f"{', '.join(sorted(str(key)[:40] for key in kwargs)[:5])})")
    return None


def _shape_problem(fields: dict[str, Any], queue_name: str) -> str | None:
    if fields["queue_name"] != queue_name:
        return (f"queue_name {str(fields['queue_name'])[:80]!r} differs from the queue it was "
                f"pushed on ({queue_name!r})")
    for name in ("actor_name", "message_id"):
        value = fields[name]
        if not isinstance(value, str) or not 0 < len(value) <= 256:
            return f"{name} must be a non-empty string"
    if not _MESSAGE_ID.match(fields["message_id"]):
        return ("message_id must be 1 to 256 ASCII letters, digits and '._:@-' (it names the "
                "message's records), such as a UUID")
    if not isinstance(fields["args"], list):
        return f"args must be a list, not {type(fields['args']).__name__}"
    for name in ("kwargs", "options"):
        if name in fields and not isinstance(fields[name], dict):
            return f"{name} must be an object, not {type(fields[name]).__name__}"
    timestamp = fields.get("message_timestamp")
    if timestamp is not None and (isinstance(timestamp, bool) or not isinstance(timestamp, int)):
        return "message_timestamp must be an integer (epoch milliseconds)"
    options: dict[str, Any] = fields.get("options") or {}
    for name in _COUNTERS:
        value = options.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 0):
            return f"options.{name} must be a non-negative integer"
    eta = options.get("eta")
    if eta is not None and (isinstance(eta, bool) or not isinstance(eta, int | float)):
        return "options.eta must be a number (epoch milliseconds)"
    if "redis_message_id" in options and not isinstance(options["redis_message_id"], str):
        return "options.redis_message_id must be a string"
    return None
