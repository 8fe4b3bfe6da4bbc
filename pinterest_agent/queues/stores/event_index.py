"""Secondary indexes of the event stream: which events are about one subject (a post, a brief,
a channel's insight), one channel, one status, one channel and status.

The stream stays the source of truth. Each index is a sorted set of event ids (zero-padded, so
they sort by their bytes: ``ZREVRANGEBYLEX`` pages through them newest first), written by the
same script that appends the event (``lua/events_index.lua``). Retention: entries older than
the stream's oldest event (it keeps about :data:`~queues.stores.outcomes.EVENTS_MAXLEN`) are
dropped at each write; a subject's index also expires with its outcome
(``PINTEREST_AGENT_OUTCOME_TTL_DAYS`` after its last event).

Events appended before the indexes existed are indexed by ``pinterest-agent jobs reindex``;
until then :meth:`EventIndexKeys.marker` (the first indexed event) tells readers what is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["EventFilter", "EventIndexKeys", "event_channel", "event_status", "padded",
           "unpadded"]

WIDTH = 20
"""Digits of each part of a padded id (a stream id's parts are 64-bit integers)."""


def padded(stream_id: str) -> str:
    """``1700000000000-3`` -> both parts zero-padded to 20 digits (sorts like the ids)."""
    ms, _, seq = stream_id.partition("-")
    return f"{ms.zfill(WIDTH)}-{(seq or '0').zfill(WIDTH)}"


def unpadded(member: str) -> str:
    ms, _, seq = member.partition("-")
    return f"{int(ms)}-{int(seq)}"


def event_status(event_type: str) -> str:
    """``post.published`` -> ``published``; ``message.rejected`` -> ``rejected``."""
    return event_type.rpartition(".")[2]


def event_channel(event_type: str, subject_id: str, payload: object) -> str | None:
    """The channel an event belongs to: named in its payload or its message, or the subject
    of an insight event."""
    body: Mapping[str, Any] = payload if isinstance(payload, Mapping) else {}
    if isinstance(body.get("channel_id"), str):
        return str(body["channel_id"])
    message = body.get("message")
    if isinstance(message, Mapping) and isinstance(message.get("channel_id"), str):
        return str(message["channel_id"])
    if event_type.startswith("insight."):
        return subject_id or None
    return None


@dataclass(frozen=True)
class EventFilter:
    """Which events to read: about one subject, or of a channel and/or a status (none: all)."""

    subject: str | None = None
    channel: str | None = None
    status: str | None = None

    def __post_init__(self) -> None:
        if self.subject is not None and (self.channel or self.status):
            raise ValueError("a subject's events are read alone, without channel or status")

    @property
    def everything(self) -> bool:
        return not (self.subject or self.channel or self.status)


class EventIndexKeys:
    """The index keys of one stream, named after it (``{stream}:by-channel:shop``, ...)."""

    def __init__(self, stream: str) -> None:
        self.stream = stream
        self.marker = f"{stream}:indexed-since"
        """The padded id of the oldest event every index holds from on (``0...-0...`` once
        ``jobs reindex`` indexed the older ones)."""

    def subject(self, subject_id: str) -> str:
        return f"{self.stream}:by-subject:{subject_id}"

    def channel(self, channel_id: str) -> str:
        return f"{self.stream}:by-channel:{channel_id}"

    def status(self, status: str) -> str:
        return f"{self.stream}:by-status:{status}"

    def status_channel(self, status: str, channel_id: str) -> str:
        # the status first: statuses have no colon, channel ids may
        return f"{self.stream}:by-status-channel:{status}:{channel_id}"

    def of_event(self, event_type: str, subject_id: str, payload: object) -> list[str]:
        """The marker, then the subject's index, then every other index the event belongs to
        (the layout ``events_index.lua`` reads)."""
        status = event_status(event_type)
        keys = [self.marker, self.subject(subject_id), self.status(status)]
        channel = event_channel(event_type, subject_id, payload)
        if channel:
            keys += [self.channel(channel), self.status_channel(status, channel)]
        return keys

    def of_filter(self, wanted: EventFilter) -> str | None:
        """The one index holding exactly the wanted events (None: the stream itself)."""
        if wanted.subject:
            return self.subject(wanted.subject)
        if wanted.channel and wanted.status:
            return self.status_channel(wanted.status, wanted.channel)
        if wanted.channel:
            return self.channel(wanted.channel)
        if wanted.status:
            return self.status(wanted.status)
        return None
