"""Outcomes and events: the latest outcome per subject (``P:outcome:{kind}:{id}``) and the
durable event stream upstream consumes, written together in one script with the stream's
indexes (:mod:`queues.stores.event_index`), which readers page through."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import redis

from pinterest_agent.observability.metrics import count_event
from pinterest_agent.queues.lua import load_script
from pinterest_agent.queues.stores.event_index import (
    EventFilter,
    EventIndexKeys,
    padded,
    unpadded,
)
from pinterest_agent.queues.stores.keys import Keys, as_str

__all__ = ["EVENTS_MAXLEN", "EVENT_TYPES", "EventPage", "OutcomeLog"]


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
_ANNOUNCE = load_script(_LUA, "events_announce")
REINDEX_BATCH = 1_000


@dataclass(frozen=True)
class EventPage:
    """Events newest first, and the stream id to pass as ``before`` for the next (older) page
    (None: none is left)."""

    events: list[dict[str, Any]]
    older: str | None


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
        self.index = EventIndexKeys(stream)
        self._record = client.register_script(_RECORD_OUTCOME)
        self._announce = client.register_script(_ANNOUNCE)

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
        if event is not None:  # the script appends the event either way
            count_event(event, body)
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
        indexes = self.index.of_event(event, subject_id, body) if event else []
        return (body, [self._key("outcome", kind, subject_id), self.stream, *indexes],
                [payload, self._ttl_s or 0, event or "", subject_id, EVENTS_MAXLEN])

    def announce(self, event: str, subject_id: str, payload: Mapping[str, Any]) -> None:
        """Append *event* to the stream without touching any stored outcome."""
        if event not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event!r}")
        body = {"id": subject_id, "recorded_at": self._clock(), **payload}
        self._announce(keys=[self.stream, *self.index.of_event(event, subject_id, body)],
                       args=[event, subject_id, json.dumps(body, default=str), EVENTS_MAXLEN,
                             self._ttl_s or 0])
        count_event(event, body)

    def get(self, kind: str, subject_id: str) -> dict[str, Any] | None:
        raw = self._client.get(self._key("outcome", kind, subject_id))
        return json.loads(raw) if raw is not None else None

    def events(self, *, count: int = 100, since: str = "-") -> list[dict[str, Any]]:
        return self._decode(self._client.xrange(self.stream, min=since, count=count))

    def page(self, wanted: EventFilter | None = None, *, before: str | None = None,
             count: int = 100) -> EventPage:
        """The wanted events newest first, ``count`` at most, older than the stream id
        ``before`` when given: read from their index, so a filter costs what it returns."""
        key = self.index.of_filter(wanted or EventFilter())
        if key is None:
            rows = self._client.xrevrange(self.stream, max=f"({before}" if before else "+",
                                          count=count + 1)
            events = self._decode(rows)
        else:
            members = self._client.zrevrangebylex(
                key, f"({padded(before)}" if before else "+", "-", start=0, num=count + 1)
            with self._client.pipeline(transaction=False) as pipe:
                for member in members:
                    stream_id = unpadded(as_str(member))
                    pipe.xrange(self.stream, min=stream_id, max=stream_id, count=1)
                found = pipe.execute()
            # an id the stream no longer holds was trimmed, and so was everything older
            events = self._decode([rows[0] for rows in _until_missing(found)])
        if len(events) <= count:
            return EventPage(events, None)
        return EventPage(events[:count], events[count - 1]["stream_id"])

    def has_unindexed(self) -> bool:
        """Whether the stream holds events older than the indexes (appended before them)."""
        oldest = self._client.xrange(self.stream, count=1)
        if not oldest:
            return False
        marker = self._client.get(self.index.marker)
        return marker is None or padded(as_str(oldest[0][0])) < as_str(marker)

    def reindex(self, *, batch: int = REINDEX_BATCH) -> int:
        """Index every event the stream holds (those appended before the indexes existed);
        safe while workers append (an index entry is written once however often it is added).
        Returns how many events were read."""
        read, low = 0, "-"
        while True:
            rows = self._client.xrange(self.stream, min=low, max="+", count=batch)
            if not rows:
                break
            with self._client.pipeline(transaction=False) as pipe:
                for event in self._decode(rows):
                    keys = self.index.of_event(event["type"], event["id"], event["payload"])
                    member = padded(event["stream_id"])
                    for key in keys[1:]:
                        pipe.zadd(key, {member: 0})
                    if self._ttl_s:
                        pipe.expire(keys[1], self._ttl_s)
                pipe.execute()
            read += len(rows)
            low = f"({as_str(rows[-1][0])}"
        self._client.set(self.index.marker, padded("0-0"))
        return read

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


def _until_missing(found: list[Any]) -> list[Any]:
    kept = []
    for rows in found:
        if not rows:
            break
        kept.append(rows)
    return kept
