"""The worker's own Prometheus metrics (Dramatiq's ``Prometheus`` middleware covers the queue
side: messages, errors, retries and durations by queue and actor).

Events are counted where the event stream is written (:mod:`queues.stores.outcomes` and the
ledger's publish script), only when the script appended one, so ``pinterest_agent_events_total``
equals the stream by construction. With several worker processes, ``pinterest-agent worker``
puts ``PROMETHEUS_MULTIPROC_DIR`` in place before this module is imported, and Dramatiq's
exposition server serves every process's files as one scrape target per host.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "CHANNEL_OLDEST_WAIT",
    "CHANNEL_WAITING",
    "DEAD_LETTERS",
    "EVENTS",
    "LLM_CALLS",
    "LLM_COST",
    "LLM_TOKENS",
    "PARKED",
    "PINS_CREATED",
    "PINTEREST_CALLS",
    "PUBLISH_SECONDS",
    "QUEUE_DEPTH",
    "WAITS",
    "WAIT_SECONDS",
    "count_dead_letter",
    "count_event",
    "count_llm_call",
    "count_parked",
    "count_pinterest_call",
    "count_wait",
    "operation_of",
    "set_queue_depth",
    "set_waiting",
]

EVENTS = Counter(
    "pinterest_agent_events_total",
    "Events appended to the outcome stream, by type and error code ('' when none).",
    ["event", "code"],
)
PINS_CREATED = Counter("pinterest_agent_pins_created_total", "Pins created (post.published).")
DEAD_LETTERS = Counter(
    "pinterest_agent_dead_letters_total", "Messages dead-lettered, by actor.", ["actor"]
)
PARKED = Counter(
    "pinterest_agent_parked_total",
    "Messages parked until their channel has a turn free (fair dispatch), by queue.",
    ["queue"],
)
CHANNEL_WAITING = Gauge(
    "pinterest_agent_channel_waiting",
    "Messages of a channel parked for a turn (its backlog), by queue and channel.",
    ["queue", "channel"], multiprocess_mode="livemax",
)
CHANNEL_OLDEST_WAIT = Gauge(
    "pinterest_agent_channel_oldest_wait_seconds",
    "How long a channel's oldest parked message has waited, by queue and channel.",
    ["queue", "channel"], multiprocess_mode="livemax",
)
QUEUE_DEPTH = Gauge(
    "pinterest_agent_queue_depth",
    "Messages waiting on a queue (not counting those parked for their channel's turn).",
    ["queue"], multiprocess_mode="livemax",
)
PUBLISH_SECONDS = Histogram(
    "pinterest_agent_publish_seconds",
    "Time one publish attempt took (preflight, upload, create, record), by result.",
    ["result"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
PINTEREST_CALLS = Counter(
    "pinterest_agent_pinterest_calls_total",
    "Pinterest API requests, by operation (method and path with ids elided) and HTTP status "
    "('network' when no answer came).",
    ["operation", "status"],
)
WAITS = Counter(
    "pinterest_agent_waits_total",
    "Expected waits (not failures) by kind: rate_limit_waits (429), busy_waits (lease or write "
    "slot taken), settle_waits, video_polls, store_waits.",
    ["kind"],
)
WAIT_SECONDS = Counter(
    "pinterest_agent_wait_seconds_total", "Seconds the waits deferred their jobs, by kind.",
    ["kind"],
)
LLM_CALLS = Counter(
    "pinterest_agent_llm_calls_total",
    "LLM calls by template, model, template version (hash) and outcome ('ok' or the error "
    "code); cached answers included (cached='true').",
    ["template", "model", "version", "outcome", "cached"],
)
LLM_TOKENS = Counter(
    "pinterest_agent_llm_tokens_total", "LLM tokens, by template, model, version and direction.",
    ["template", "model", "version", "direction"],
)
LLM_COST = Counter(
    "pinterest_agent_llm_cost_usd_total",
    "Estimated LLM cost in US dollars (the configured per-million-token prices).",
    ["template", "model", "version"],
)

_ID_SEGMENT = re.compile(r"/(?!v\d+(?:/|$))[^/]*\d[^/]*")
"""A path segment holding a digit (a Pin, board or media id), the API version (``/v5``) aside."""


def operation_of(method: str, path: str) -> str:
    """``POST /v5/pins``, ``GET /v5/pins/{id}``: ids elided to keep the label's values few."""
    return f"{method.upper()} {_ID_SEGMENT.sub('/{id}', path)}"


def error_code(body: Mapping[str, Any]) -> str:
    error = body.get("error")
    return str(error.get("code", "")) if isinstance(error, Mapping) else ""


def count_event(event: str, body: Mapping[str, Any]) -> None:
    """One event appended to the stream (call only when the script did append it)."""
    EVENTS.labels(event=event, code=error_code(body)).inc()
    if event == "post.published":
        PINS_CREATED.inc()


def count_dead_letter(actor_name: str) -> None:
    DEAD_LETTERS.labels(actor=actor_name).inc()


def count_pinterest_call(method: str, path: str, status: int | str) -> None:
    PINTEREST_CALLS.labels(operation=operation_of(method, path), status=str(status)).inc()


def count_wait(kind: str, delay_ms: int) -> None:
    WAITS.labels(kind=kind).inc()
    WAIT_SECONDS.labels(kind=kind).inc(max(0, delay_ms) / 1000)


def count_llm_call(
    *, template: str, model: str, version: str, outcome: str, cached: bool,
    input_tokens: int, output_tokens: int, input_per_mtok: float, output_per_mtok: float,
) -> None:
    labels = {"template": template, "model": model, "version": version}
    LLM_CALLS.labels(**labels, outcome=outcome, cached=str(cached).lower()).inc()
    LLM_TOKENS.labels(**labels, direction="input").inc(input_tokens)
    LLM_TOKENS.labels(**labels, direction="output").inc(output_tokens)
    LLM_COST.labels(**labels).inc(
        (input_tokens * input_per_mtok + output_tokens * output_per_mtok) / 1e6)


_reported: dict[str, set[str]] = {}


def count_parked(queue: str) -> None:
    PARKED.labels(queue=queue).inc()


def set_queue_depth(queue: str, depth: int) -> None:
    QUEUE_DEPTH.labels(queue=queue).set(depth)


def set_waiting(queue: str, waiting: Iterable[Any]) -> None:
    """Set each channel's backlog gauges from ``Waiting`` records; channels reported before and
    absent now are set to 0 (their backlog is gone)."""
    seen: set[str] = set()
    for one in waiting:
        seen.add(one.channel)
        CHANNEL_WAITING.labels(queue=queue, channel=one.channel).set(one.parked)
        CHANNEL_OLDEST_WAIT.labels(queue=queue, channel=one.channel).set(one.oldest_s)
    for gone in _reported.get(queue, set()) - seen:
        CHANNEL_WAITING.labels(queue=queue, channel=gone).set(0)
        CHANNEL_OLDEST_WAIT.labels(queue=queue, channel=gone).set(0)
    _reported[queue] = seen
