"""Dramatiq's Redis broker, made safe against messages that are not Dramatiq messages.

A producer writing to Redis by hand (any language) can push bytes that do not decode as a
Dramatiq message. Stock Dramatiq then raises ``DecodeError`` inside its consumer, restarts the
consumer, and the messages fetched with the bad one sit unacknowledged until the worker
process dies: good jobs stall behind bad input. :class:`QuarantiningRedisBroker` instead moves
an undecodable message to the queue's dead-letter set (kept, never dropped), calls
``on_quarantine`` so the worker can record and announce it, and goes on with the next message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from dramatiq.brokers.redis import RedisBroker, _RedisConsumer
from dramatiq.errors import DecodeError

__all__ = ["QuarantineHook", "QuarantiningRedisBroker"]

log = logging.getLogger(__name__)

QuarantineHook = Callable[[str, str, bytes], None]
"""``(queue_name, dead_id, raw_bytes)``, called after a message was moved to dead letters."""


class QuarantiningRedisBroker(RedisBroker):  # type: ignore[misc]
    on_quarantine: QuarantineHook | None = None

    @property
    def consumer_class(self) -> type[_RedisConsumer]:
        return _QuarantiningConsumer


class _QuarantiningConsumer(_RedisConsumer):  # type: ignore[misc]
    def __next__(self) -> Any:
        while True:
            try:
                return super().__next__()
            except DecodeError as exc:
                self._quarantine(bytes(exc.data) if exc.data is not None else b"")

    def _quarantine(self, raw: bytes) -> None:
        broker: QuarantiningRedisBroker = self.broker
        client = broker.client
        acks = f"{broker.namespace}:__acks__.{broker.broker_id}.{self.queue_name}"
        messages = f"{broker.namespace}:{self.queue_name}.msgs"
        dead_id = next(
            (
                member.decode()
                for member in client.smembers(acks)
                if member.decode() not in self.queued_message_ids
                and client.hget(messages, member) == raw
            ),
            None,
        )
        preview = raw[:120].decode("utf-8", errors="replace")
        if dead_id is None:  # already handled elsewhere; nothing left to move
            log.error("undecodable message on %s could not be located: %r", self.queue_name,
                      preview)
            return
        broker.do_nack(self.queue_name, dead_id)
        log.error(
            "message %s on %s is not a Dramatiq message (%r); moved to the dead-letter queue. "
            "Producers must send the envelope described in the README.",
            dead_id, self.queue_name, preview,
        )
        if broker.on_quarantine is not None:
            try:
                broker.on_quarantine(self.queue_name, dead_id, raw)
            except Exception:
                log.exception("could not record the quarantined message %s", dead_id)
