"""Read and replay the dead letters of Dramatiq's RabbitMQ broker.

Dramatiq declares each queue (and its ``.DQ``) with ``{queue}.XQ`` as the dead-letter route, so
a message it fails, or that the consumer refuses (:mod:`queues.broker.brokers`), is moved there by
RabbitMQ, which stamps it with an ``x-death`` header (when) and expires it after the XQ's
``x-message-ttl``. A dead letter is known by :func:`queues.broker.envelopes.dead_id_of` (its
``message_id``, else the SHA-256 of its bytes); why it is there is in Redis
(:class:`queues.broker.deadletters.DeadReasons`).

Reading is a ``basic_get`` of every message with manual acknowledgement on a channel of its
own: nothing is acknowledged except the one message ``retry`` republishes (after RabbitMQ
confirmed the republish), and closing the channel hands every other one back to the XQ.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import dramatiq
import pika
import pika.exceptions

from pinterest_agent.queues.broker.brokers import rabbitmq_dead_letter_queue
from pinterest_agent.queues.broker.deadletters import (
    DeadJob,
    DeadReasons,
    describe_dead_letter,
    replayable,
)
from pinterest_agent.queues.broker.envelopes import (
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_MESSAGE_BYTES,
    dead_id_of,
)

__all__ = ["DEFAULT_MAX_BROWSE", "RabbitmqDeadLetters"]

DEFAULT_MAX_BROWSE = 10_000
"""At most this many dead letters are read per queue (the oldest)."""

_Letter = tuple[int, Any, bytes]  # delivery tag, properties, body


class RabbitmqDeadLetters:
    def __init__(self, url: str, queues: list[str], reasons: DeadReasons | None = None, *,
                 max_bytes: int = DEFAULT_MAX_MESSAGE_BYTES, max_depth: int = DEFAULT_MAX_DEPTH,
                 max_browse: int = DEFAULT_MAX_BROWSE) -> None:
        self._parameters = pika.URLParameters(url)
        self._queues = queues
        self._reasons = reasons
        self._max_bytes = max_bytes
        self._max_depth = max_depth
        self._max_browse = max_browse

    @contextmanager
    def _channel(self) -> Iterator[Any]:
        connection = pika.BlockingConnection(self._parameters)
        try:
            yield connection.channel()
        finally:  # closing hands every message taken and not acknowledged back to its queue
            connection.close()

    def _take_all(self, channel: Any, queue: str) -> Iterator[_Letter]:
        """The letters of *queue*'s XQ, oldest first, taken (unacknowledged) on *channel*."""
        for _ in range(self._max_browse):
            method, properties, body = channel.basic_get(rabbitmq_dead_letter_queue(queue),
                                                         auto_ack=False)
            if method is None:
                return
            yield method.delivery_tag, properties, bytes(body)

    def _exists(self, channel: Any, queue: str) -> bool:
        try:
            channel.queue_declare(rabbitmq_dead_letter_queue(queue), passive=True)
        except pika.exceptions.ChannelClosedByBroker as exc:
            if exc.reply_code == 404:  # never declared: no worker or producer used the queue
                return False
            raise
        return True

    def _describe(self, queue: str, letter: _Letter,
                  reasons: dict[str, dict[str, str]] | None = None) -> DeadJob:
        _, properties, body = letter
        dead_id = dead_id_of(body, max_bytes=self._max_bytes)
        reason = (reasons or {}).get(dead_id)
        return describe_dead_letter(dead_id, queue, _died_at_ms(properties), body, reason)

    def list(self) -> list[DeadJob]:
        jobs: list[DeadJob] = []
        for queue in self._queues:
            with self._channel() as channel:
                if not self._exists(channel, queue):
                    continue
                letters = list(self._take_all(channel, queue))
            described = [self._describe(queue, letter) for letter in letters]
            reasons = (self._reasons.get_many(job.dead_id for job in described)
                       if self._reasons is not None else {})
            jobs.extend(self._describe(queue, letter, reasons) for letter in letters)
        return sorted(jobs, key=lambda job: job.failed_at_ms)

    def find(self, some_id: str) -> DeadJob | None:
        """By dead id or by Dramatiq message id."""
        return next(
            (job for job in self.list() if some_id in (job.dead_id, job.message_id)), None
        )

    def retry(self, broker: Any, some_id: str) -> dramatiq.Message:
        """Republish a dead letter to its queue with a fresh retry budget, then remove it from
        the XQ (the others go back untouched)."""
        for queue in self._queues:
            with self._channel() as channel:
                if not self._exists(channel, queue):
                    continue
                for letter in self._take_all(channel, queue):
                    job = self._describe(queue, letter)
                    if some_id not in (job.dead_id, job.message_id):
                        continue
                    if self._reasons is not None:
                        found = self._reasons.get_many([job.dead_id]).get(job.dead_id)
                        job = self._describe(queue, letter, {job.dead_id: found} if found else {})
                    fresh = replayable(job, letter[2], redis_id=None, max_bytes=self._max_bytes,
                                       max_depth=self._max_depth)
                    broker.enqueue(fresh)
                    channel.basic_ack(letter[0])
                    if self._reasons is not None:
                        self._reasons.forget(job.dead_id)
                    return fresh
        raise KeyError(some_id)


def _died_at_ms(properties: Any) -> int:
    """When RabbitMQ dead-lettered the message (its latest ``x-death`` entry), in epoch ms."""
    headers = getattr(properties, "headers", None) or {}
    deaths = headers.get("x-death") or []
    when = deaths[0].get("time") if deaths and isinstance(deaths[0], dict) else None
    return int(when.timestamp() * 1000) if isinstance(when, datetime) else 0
