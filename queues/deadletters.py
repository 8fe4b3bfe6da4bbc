"""Read and replay Dramatiq's dead-letter queues on Redis.

Dramatiq's Redis broker keeps a failed message in ``{namespace}:{queue}.XQ`` (a sorted set of
message ids by failure time) and ``{namespace}:{queue}.XQ.msgs`` (id -> encoded message) for the
broker's ``dead_message_ttl``. The failure's reason is in the message's options (``traceback``)
and, more readably, in the worker's outcome record, which ``jobs dead`` shows next to it.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

import dramatiq
import dramatiq.errors
import redis

__all__ = ["DeadJob", "DeadLetters"]

_RESET_OPTIONS = {"retries", "traceback", "redis_message_id", "eta", "requeue_timestamp",
                  "busy_waits", "video_polls"}


@dataclass(frozen=True)
class DeadJob:
    dead_id: str  # the broker's id of this delivery (what `jobs retry` takes)
    message_id: str  # Dramatiq's message id (stable across retries)
    queue: str
    actor: str
    failed_at_ms: int
    args: tuple[Any, ...]
    retries: int
    last_error: str


class DeadLetters:
    def __init__(self, client: redis.Redis[bytes], namespace: str, queues: list[str]) -> None:
        self._client = client
        self._ns = namespace
        self._queues = queues

    def _keys(self, queue: str) -> tuple[str, str]:
        base = f"{self._ns}:{queue}.XQ"
        return base, base + ".msgs"

    def list(self) -> list[DeadJob]:
        jobs: list[DeadJob] = []
        for queue in self._queues:
            index, messages = self._keys(queue)
            for raw_id, score in self._client.zrange(index, 0, -1, withscores=True):
                data = self._client.hget(messages, raw_id)
                if data is None:
                    continue
                try:
                    fields = json.loads(data)
                    if not isinstance(fields, dict):
                        raise ValueError("not an object")
                except ValueError:
                    fields = {"actor_name": "(not a Dramatiq message)",
                              "args": [data[:200].decode("utf-8", errors="replace")]}
                options = fields.get("options", {})
                trace = str(options.get("traceback") or "").strip().splitlines()
                jobs.append(
                    DeadJob(
                        dead_id=raw_id.decode(),
                        message_id=str(fields.get("message_id", "")),
                        queue=queue,
                        actor=str(fields.get("actor_name", "")),
                        failed_at_ms=int(score),
                        args=tuple(fields.get("args", ())),
                        retries=int(options.get("retries", 0)),
                        last_error=trace[-1] if trace else "",
                    )
                )
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
        try:
            message = dramatiq.Message.decode(data)
        except dramatiq.errors.DecodeError as exc:
            raise ValueError(
                f"{some_id} is not a Dramatiq message and cannot be replayed; fix the producer"
            ) from exc
        options = {k: v for k, v in message.options.items() if k not in _RESET_OPTIONS}
        fresh = dataclasses.replace(message, queue_name=job.queue, options=options)
        broker.enqueue(fresh)
        with self._client.pipeline(transaction=True) as pipe:
            pipe.zrem(index, job.dead_id)
            pipe.hdel(messages, job.dead_id)
            pipe.execute()
        return fresh
