"""The worker's own Prometheus metrics (Dramatiq's ``Prometheus`` middleware covers the queue side).

Events are counted where the event stream is written (:mod:`queues.stores.outcomes` and the
ledger's publish script), only when the script appended one, so ``pinterest_agent_events_total``
equals the stream by construction. With several worker processes, Dramatiq's middleware puts
``PROMETHEUS_MULTIPROC_DIR`` in place before this module's metrics are made, and its exposition
server serves one scrape target per host.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prometheus_client import Counter

__all__ = ["DEAD_LETTERS", "EVENTS", "PINS_CREATED", "count_dead_letter", "count_event"]

EVENTS = Counter(
    "pinterest_agent_events_total",
    "Events appended to the outcome stream, by type and error code ('' when none).",
    ["event", "code"],
)
PINS_CREATED = Counter("pinterest_agent_pins_created_total", "Pins created (post.published).")
DEAD_LETTERS = Counter(
    "pinterest_agent_dead_letters_total", "Messages dead-lettered, by actor.", ["actor"]
)


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
