"""Read and replay Dramatiq's dead-letter queues, with the reason each job failed.

:func:`open_dead_letters` picks the implementation for the configured broker: :class:`DeadLetters`
here for Redis, :class:`queues.broker.rabbitmq_deadletters.RabbitmqDeadLetters` for RabbitMQ; both
satisfy :class:`DeadLetterQueue`. Dramatiq's Redis broker keeps a failed message in
``{namespace}:{queue}.XQ`` (a sorted set of message ids by failure time) and
``{namespace}:{queue}.XQ.msgs`` (id -> encoded message) for the broker's ``dead_message_ttl``.
Wherever the letters are, the worker records why each one is there in Redis, in
:class:`DeadReasons` (``P:dead-reason:{dead_id}``: the error's code and sentence, kept as long as
the dead letter), so ``jobs dead`` shows the recorded reason rather than a traceback line.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import dramatiq
import dramatiq.errors
import redis

from pinterest_agent.queues.broker.brokers import redis_dead_letter_keys
from pinterest_agent.queues.broker.envelopes import (
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_MESSAGE_BYTES,
    Rejected,
    check_envelope,
)

if TYPE_CHECKING:
    from pinterest_agent.queues.settings import Settings

__all__ = [
    "DEAD_MESSAGE_TTL_MS",
    "DeadJob",
    "DeadLetterQueue",
    "DeadLetters",
    "DeadReasons",
    "describe_dead_letter",
    "open_dead_letters",
    "replayable",
]

DEAD_MESSAGE_TTL_MS = 30 * 24 * 3600 * 1000
"""How long dead letters (and their reasons) are kept."""

_RESET_OPTIONS = {"retries", "traceback", "redis_message_id", "eta", "requeue_timestamp",
                  "busy_waits", "video_polls", "rate_limit_waits", "store_waits",
                  "rate_limited_since",
                  "retry_in_ms"}


class DeadReasons:
    """Why each dead letter is there: ``{code, message}`` by dead id, expiring with it."""

    def __init__(self, client: redis.Redis[bytes], prefix: str) -> None:
        self._client = client
        self._prefix = prefix

    def _key(self, dead_id: str) -> str:
        return f"{self._prefix}:dead-reason:{dead_id}"

    def put(self, dead_id: str, error: dict[str, Any]) -> None:
        reason = {"code": str(error.get("code", "error")),
                  "message": str(error.get("message", ""))[:1000]}
        self._client.set(self._key(dead_id), json.dumps(reason), px=DEAD_MESSAGE_TTL_MS)

    def get_many(self, dead_ids: Iterable[str]) -> dict[str, dict[str, str]]:
        ids = list(dead_ids)
        if not ids:
            return {}
        found = self._client.mget([self._key(dead_id) for dead_id in ids])
        return {dead_id: json.loads(raw) for dead_id, raw in zip(ids, found, strict=True)
                if raw is not None}

    def forget(self, dead_id: str) -> None:
        self._client.delete(self._key(dead_id))


@dataclass(frozen=True)
class DeadJob:
    dead_id: str  # the broker's id of this delivery (what `jobs retry` takes)
    message_id: str  # Dramatiq's message id (stable across retries)
    queue: str
    actor: str
    failed_at_ms: int
    args: tuple[Any, ...]
    retries: int
    reason_code: str
    reason: str


class DeadLetterQueue(Protocol):
    """The dead letters of the worker's queues, whichever broker holds them."""

    def list(self) -> list[DeadJob]:
        """Every dead letter, oldest first, with its recorded reason."""
        ...

    def find(self, some_id: str) -> DeadJob | None:
        """By dead id or by Dramatiq message id."""
        ...

    def retry(self, broker: Any, some_id: str) -> dramatiq.Message:
        """Put a dead letter back on its queue with a fresh retry budget and drop it from the
        dead-letter queue (``KeyError`` when there is none, ``ValueError`` when it is not a job
        this worker would run)."""
        ...


def open_dead_letters(settings: Settings, client: redis.Redis[bytes],
                      reasons: DeadReasons | None = None) -> DeadLetterQueue:
    """The dead letters of the publisher, writer and insights queues on the configured broker
    (RabbitMQ when ``broker_url`` is set, else Redis); reasons are read from *client*."""
    queues = [settings.queue_publisher, settings.queue_writer, settings.queue_insights]
    reasons = reasons if reasons is not None else DeadReasons(client, settings.key_prefix)
    if settings.broker_url is not None:
        from pinterest_agent.queues.broker.rabbitmq_deadletters import RabbitmqDeadLetters

        return RabbitmqDeadLetters(settings.broker_url, queues, reasons,
                                   max_bytes=settings.max_message_bytes,
                                   max_depth=settings.max_message_depth)
    return DeadLetters(client, settings.broker_namespace, queues, reasons)


def replayable(job: DeadJob, data: bytes, *, redis_id: str | None,
               max_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
               max_depth: int = DEFAULT_MAX_DEPTH) -> dramatiq.Message:
    """The dead letter *data* as a fresh message for its queue (no retries, traceback, delay or
    wait counters), or ``ValueError`` when the worker refused it as a message."""
    some_id, queue = job.dead_id, job.queue
    verdict = check_envelope(queue, redis_id, data, max_bytes=max_bytes, max_depth=max_depth)
    if isinstance(verdict, Rejected):
        raise ValueError(
            f"{some_id} was refused by the worker ({job.reason_code}) and cannot be replayed "
            "as a job; fix the producer and send a new message"
        )
    try:
        message = dramatiq.Message.decode(data)
    except dramatiq.errors.DecodeError as exc:  # pragma: no cover - checked above
        raise ValueError(f"{some_id} is not a Dramatiq message and cannot be replayed") from exc
    options = {k: v for k, v in message.options.items() if k not in _RESET_OPTIONS}
    return dataclasses.replace(message, queue_name=queue, options=options)


class DeadLetters:
    """The dead letters of Dramatiq's Redis broker."""

    def __init__(self, client: redis.Redis[bytes], namespace: str, queues: list[str],
                 reasons: DeadReasons | None = None) -> None:
        self._client = client
        self._ns = namespace
        self._queues = queues
        self._reasons = reasons

    def _keys(self, queue: str) -> tuple[str, str]:
        return redis_dead_letter_keys(self._ns, queue)

    def list(self) -> list[DeadJob]:
        jobs: list[DeadJob] = []
        for queue in self._queues:
            index, messages = self._keys(queue)
            entries = self._client.zrange(index, 0, -1, withscores=True)
            ids = [raw_id.decode() for raw_id, _ in entries]
            reasons = self._reasons.get_many(ids) if self._reasons is not None else {}
            for dead_id, (raw_id, score) in zip(ids, entries, strict=True):
                data = self._client.hget(messages, raw_id)
                if data is None:
                    continue
                jobs.append(describe_dead_letter(dead_id, queue, int(score), data,
                                                 reasons.get(dead_id)))
        return sorted(jobs, key=lambda job: job.failed_at_ms)

    def find(self, some_id: str) -> DeadJob | None:
        """By dead id or by Dramatiq message id."""
        return next(
            (job for job in self.list() if some_id in (job.dead_id, job.message_id)), None
        )

    def retry(self, broker: Any, some_id: str) -> dramatiq.Message:
        """Move a dead message back onto its queue with a fresh retry budget."""
        job = self.find(some_id)
        if job is None:
            raise KeyError(some_id)
        index, messages = self._keys(job.queue)
        data = self._client.hget(messages, job.dead_id)
        if data is None:
            raise KeyError(some_id)
        fresh = replayable(job, data, redis_id=job.dead_id)
        broker.enqueue(fresh)
        with self._client.pipeline(transaction=True) as pipe:
            pipe.zrem(index, job.dead_id)
            pipe.hdel(messages, job.dead_id)
            pipe.execute()
        if self._reasons is not None:
            self._reasons.forget(job.dead_id)
        return fresh


def describe_dead_letter(dead_id: str, queue: str, failed_at_ms: int, data: bytes,
                         reason: dict[str, str] | None) -> DeadJob:
    """A dead letter as ``jobs dead`` shows it (whatever its bytes are)."""
    try:
        fields = json.loads(data)
        if not isinstance(fields, dict):
            raise ValueError("not an object")
    except (ValueError, RecursionError):
        fields = {"actor_name": "(not a Dramatiq message)",
                  "args": [data[:200].decode("utf-8", errors="replace")]}
    options = fields.get("options")
    options = options if isinstance(options, dict) else {}
    args = fields.get("args")
    retries = options.get("retries", 0)
    if reason is None:  # a letter from before reasons were recorded: its last traceback line
        trace = str(options.get("traceback") or "").strip().splitlines()
        reason = {"code": "unknown", "message": trace[-1] if trace else "(no reason recorded)"}
    return DeadJob(
        dead_id=dead_id,
        message_id=str(fields.get("message_id", ""))[:256],
        queue=queue,
        actor=str(fields.get("actor_name", ""))[:256],
        failed_at_ms=failed_at_ms,
        args=tuple(args) if isinstance(args, list) else (),
        retries=retries if isinstance(retries, int) else 0,
        reason_code=reason.get("code", "unknown"),
        reason=reason.get("message", ""),
    )
