"""Outcomes and events: the latest outcome per subject (``P:outcome:{kind}:{id}``) and the
durable event stream upstream consumes, written together in one script."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import redis

from pinterest_agent.queues.lua import load_script
from pinterest_agent.queues.stores.keys import Keys, as_str

__all__ = ["EVENTS_MAXLEN", "EVENT_TYPES", "OutcomeLog"]


EVENT_TYPES = frozenset(
    {"post.drafted", "post.published", "post.duplicate", "post.failed", "post.retrying",
     "post.redriven", "post.cancelled",
     "insight.ready", "insight.failed", "insight.retrying", "message.rejected",
     # catalogs (queues/jobs/update.py, queues/jobs/catalog_run.py)
     "update.applied", "update.failed", "update.retrying", "catalog.synced",
     "catalog.item_unavailable"}
)


EVENTS_MAXLEN = 100_000


_LUA = "pinterest_agent.queues.stores"
_RECORD_OUTCOME = load_script(_LUA, "outcomes_record")


class OutcomeLog:
    """Latest outcome per subject, and the durable event stream upstream consumes."""

    def __init__(
        self,
        client: redis.Redis[bytes],
        keys: Keys,
        stream: str,
        clock: Callable[[], float],
        *,
        ttl_s: int | None = None,
    ) -> None:
        self._client = client
        self._key = keys
        self.stream = stream
        self._clock = clock
        self._ttl_s = ttl_s
        self._record = client.register_script(_RECORD_OUTCOME)

    def record(
        self,
        kind: str,
        subject_id: str,
        outcome: Mapping[str, Any],
        *,
        event: str | None = None,
    ) -> dict[str, Any]:
        """Store the latest outcome for ``(kind, subject_id)`` and emit *event* atomically.

        A stored ``published`` outcome is final: a later record (a duplicate delivery, a
        rescheduled copy) keeps it and only appends its event. Returns what is stored.
        """
        body, keys, args = self.prepare(kind, subject_id, outcome, event=event)
        kept = self._record(keys=keys, args=args)
        return body if kept is None else dict(json.loads(kept))

    def prepare(
        self, kind: str, subject_id: str, outcome: Mapping[str, Any], *, event: str | None
    ) -> tuple[dict[str, Any], list[str], list[Any]]:
        """The body to store and the keys and arguments of the record script (shared with the
        ledger, which records a Pin and its outcome in one step)."""
        if event is not None and event not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event!r}")
        body = {"kind": kind, "id": subject_id, "recorded_at": self._clock(), **outcome}
        payload = json.dumps(body, default=str)
        return (body, [self._key("outcome", kind, subject_id), self.stream],
                [payload, self._ttl_s or 0, event or "", subject_id, EVENTS_MAXLEN])

    def announce(self, event: str, subject_id: str, payload: Mapping[str, Any]) -> None:
        """Append *event* to the stream without touching any stored outcome."""
        if event not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event!r}")
        body = json.dumps({"id": subject_id, "recorded_at": self._clock(), **payload},
                          default=str)
        self._client.xadd(self.stream, {"type": event, "id": subject_id, "payload": body},
                          maxlen=EVENTS_MAXLEN, approximate=True)

    def get(self, kind: str, subject_id: str) -> dict[str, Any] | None:
        raw = self._client.get(self._key("outcome", kind, subject_id))
        return json.loads(raw) if raw is not None else None

    def events(self, *, count: int = 100, since: str = "-") -> list[dict[str, Any]]:
        return self._decode(self._client.xrange(self.stream, min=since, count=count))

    def recent(self, *, count: int = 100) -> list[dict[str, Any]]:
        """The newest ``count`` events, newest first."""
        return self._decode(self._client.xrevrange(self.stream, count=count))

    @staticmethod
    def _decode(rows: Any) -> list[dict[str, Any]]:
        return [
            {
                "stream_id": as_str(sid),
                "type": as_str(f[b"type"]),
                "id": as_str(f[b"id"]),
                "payload": json.loads(f[b"payload"]),
            }
            for sid, f in rows
        ]
