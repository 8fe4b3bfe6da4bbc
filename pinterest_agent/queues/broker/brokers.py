"""Dramatiq's Redis and RabbitMQ brokers, made safe against messages they must not run.

This is the one module that touches Dramatiq's private surface (``tests/test_dramatiq_
private_api.py`` fails when upstream changes what it relies on); the rest of the worker reaches
it only through the helpers here (:func:`redis_dead_letter_keys`,
:func:`rabbitmq_dead_letter_queue`, :func:`worker_threads`, :func:`canonical_queue`). Redis:

- the consumer fetches through ``broker.do_fetch(queue_name, count)``, which Dramatiq's
  ``_RedisConsumer`` calls and which normally dispatches to ``dispatch.lua``;
- the key layout of ``dispatch.lua``: ``{ns}:{queue}`` (list of ids), ``{ns}:{queue}.msgs``
  (id -> message), ``{ns}:__acks__.{broker_id}.{queue}`` (fetched, not yet acked),
  ``{ns}:__heartbeats__`` (worker id -> last beat), ``{ns}:{queue}.XQ[.msgs]`` (dead letters);
- Dramatiq's consumer thread drops the delayed messages it holds on a broker connection error
  and moves due ones with ``broker.enqueue``: so ``do_fetch`` treats a Redis outage as "nothing
  fetched" and ``enqueue`` waits one out in a worker (else a retry waiting in a live worker is
  stranded in its ack set until the reconciler finds the post, or the thread dies).

RabbitMQ:

- ``dramatiq.brokers.rabbitmq._RabbitmqConsumer``: its ``__init__(broker, queue_name, prefetch,
  timeout)`` sets ``self.iterator`` (pika's ``channel.consume`` generator of ``(method,
  properties, body)``, ``(None, None, None)`` when idle), its ``__next__`` reads that iterator
  and decodes the body, and its ``_nack(tag)`` rejects a delivery without requeueing it, which
  RabbitMQ dead-letters to ``{queue}.XQ`` (the ``x-dead-letter-routing-key`` Dramatiq declares
  on a queue and its ``.DQ``);
- ``RabbitmqBroker._declare_xq_queue(queue_name)`` declares the dead-letter queue (overridden
  to keep dead letters as long as the Redis broker does).

:class:`QuarantiningRedisBroker` fetches with its own small script that returns each message *with
the id it was stored under*, and checks every one (:func:`queues.broker.envelopes.check_envelope`)
before Dramatiq decodes it. A message that is not one this worker will run (undecodable, too
large, too deep, for another queue, a wrong shape, or an id with no body) is moved to the
queue's dead-letter set (kept, never dropped), removed from the ack set, and reported through
``on_quarantine`` so the worker records it and announces ``message.rejected``. Stock Dramatiq
would instead stall the jobs fetched with it (undecodable bytes) or lose a worker thread
(a ``queue_name`` it has no consumer for, ``options`` that are not an object).

:class:`QuarantiningRabbitmqBroker` does the same on RabbitMQ: its consumer checks every
delivery before Dramatiq decodes it and rejects a refused one (``basic_nack``, no requeue), so
RabbitMQ moves it to ``{queue}.XQ``; it is reported under :func:`queues.broker.envelopes.dead_id_of`
(stock Dramatiq nacks an undecodable delivery with only a log line, and loses a worker thread to
the same bad shapes as on Redis).

On both, every accepted message is shown to ``on_accepted`` (its queue and decoded envelope) as
it is fetched, before a thread runs it: the worker starts the publisher's link preflights there
(``queues.jobs.preflight_ahead``); nothing the hook raises reaches the consumer. A queue named
in ``prefetch_scale`` is consumed with that many times the prefetch Dramatiq asks for (two
messages per worker thread), so a fetched message waits long enough for what the hook started.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

import redis
from dramatiq.brokers.rabbitmq import RabbitmqBroker, _RabbitmqConsumer
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import xq_name
from dramatiq.middleware import Middleware

from pinterest_agent.queues.broker.envelopes import (
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_MESSAGE_BYTES,
    Accepted,
    Rejected,
    check_envelope,
    dead_id_of,
)
from pinterest_agent.queues.broker.retrying import store_or_wait
from pinterest_agent.queues.lua import load_script

__all__ = [
    "DEFAULT_MAINTENANCE_INTERVAL_S",
    "AcceptHook",
    "BrokerMaintenance",
    "DivertHook",
    "QuarantineHook",
    "QuarantiningRabbitmqBroker",
    "QuarantiningRedisBroker",
    "canonical_queue",
]

DEFAULT_MAINTENANCE_INTERVAL_S = 3.0

log = logging.getLogger(__name__)

QuarantineHook = Callable[[str, str, "bytes | None", Rejected], None]
"""``(queue_name, dead_id, raw_bytes_or_None, rejection)``, called after a message was moved to
the dead-letter set."""

AcceptHook = Callable[[str, Mapping[str, Any]], None]
"""``(queue_name, envelope)``, called on the consumer's thread for each message that passed the
envelope check, as it is fetched: it must be quick, and it must not change *envelope*."""

DivertHook = Callable[[str, "list[tuple[str, Mapping[str, Any], bytes]]"], "set[str]"]
"""``(queue_name, [(id, envelope, body), ...]) -> ids taken``: called on the consumer's thread
with each fetched batch (Redis: the batch, ids are redis ids; RabbitMQ: each delivery, its id the
delivery tag); the messages it took are acknowledged and not run (fair dispatch parks a
backlogged channel's posts here, never taking a worker thread)."""
MAX_DIVERTED_BATCHES = 64
"""Batches one fetch may divert whole before it returns (then Dramatiq's consumer fetches again)."""

_LUA = "pinterest_agent.queues.broker"
_FETCH = load_script(_LUA, "fetch")

_BURY = load_script(_LUA, "bury")


_MAINTAIN = load_script(_LUA, "maintain")


MAX_PREFETCH = 65_535
"""Dramatiq's own cap on a consumer's prefetch (RabbitMQ's ``prefetch_count`` is 16 bits)."""


def scaled_prefetch(scale: Mapping[str, float], queue_name: str, prefetch: int) -> int:
    """*prefetch* for *queue_name*, times its factor in *scale* (never less, at most
    :data:`MAX_PREFETCH`)."""
    factor = scale.get(queue_name, 1.0)
    return min(max(prefetch, math.ceil(prefetch * factor)), MAX_PREFETCH)


def actor_queues(broker: Any) -> dict[str, str]:
    """The broker's declared actors and the queue each runs on (empty before any is declared)."""
    return {name: actor.queue_name for name, actor in broker.actors.items()}


def canonical_queue(queue_name: str) -> str:
    """The queue a delay queue (``name.DQ``) belongs to."""
    return queue_name[:-3] if queue_name.endswith(".DQ") else queue_name


def redis_dead_letter_keys(namespace: str, queue_name: str) -> tuple[str, str]:
    """Where Dramatiq's Redis broker keeps *queue_name*'s dead letters: the index (a sorted set
    of message ids by failure time) and the messages (id -> encoded message)."""
    index = f"{namespace}:{queue_name}.XQ"
    return index, index + ".msgs"


def rabbitmq_dead_letter_queue(queue_name: str) -> str:
    """The RabbitMQ queue Dramatiq dead-letters *queue_name*'s messages to."""
    return str(xq_name(queue_name))


def worker_threads(worker: Any) -> list[threading.Thread]:
    """Every thread a Dramatiq ``Worker`` runs messages on: its worker threads and its consumer
    threads (Dramatiq exposes no public accessor for them)."""
    return [*worker.workers, *worker.consumers.values()]


class QuarantiningRedisBroker(RedisBroker):  # type: ignore[misc]
    """A ``RedisBroker`` whose consumers only ever see messages that passed the envelope check.

    ``max_message_bytes`` and ``max_depth`` bound what is decoded; ``on_quarantine`` is set by
    :func:`queues.jobs.actors.declare_actors` to record rejected messages.
    """

    on_quarantine: QuarantineHook | None = None
    on_accepted: AcceptHook | None = None
    divert: DivertHook | None = None
    prefetch_scale: Mapping[str, float] = MappingProxyType({})

    def __init__(
        self,
        *,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        max_depth: int = DEFAULT_MAX_DEPTH,
        **options: Any,
    ) -> None:
        options.setdefault("maintenance_chance", 0)  # BrokerMaintenance does it, on a clock
        super().__init__(**options)
        self.max_message_bytes = max_message_bytes
        self.max_depth = max_depth
        self.wait_out_outages = False
        """Set in worker processes (:class:`BrokerMaintenance`): :meth:`enqueue` then waits for a
        Redis that does not answer instead of failing."""
        self._fetch_failing = False
        self._fetch = self.client.register_script(_FETCH)
        self._bury = self.client.register_script(_BURY)
        self._maintain = self.client.register_script(_MAINTAIN)

    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 5000) -> Any:
        return super().consume(queue_name, scaled_prefetch(self.prefetch_scale, queue_name,
                                                           prefetch), timeout)

    def maintain(self, queue_names: Iterable[str]) -> int:
        """Beat this broker's heartbeat, requeue dead workers' messages on *queue_names* (and
        their delay queues), drop expired dead letters; returns how many were requeued."""
        names = sorted({name for queue in queue_names
                        for name in (canonical_queue(queue), canonical_queue(queue) + ".DQ")})
        now = int(time.time() * 1000)
        requeued = int(self._maintain(
            keys=[self.namespace],
            args=[self.broker_id, now, self.heartbeat_timeout, self.dead_message_ttl, *names],
        ))
        if requeued:
            log.warning("requeued %d message(s) of dead workers on %s", requeued,
                        ", ".join(names))
        return requeued

    # Dramatiq's _RedisConsumer calls this to prefetch; it returns message bodies only. A Redis
    # that does not answer is "nothing fetched": were it raised, Dramatiq's consumer thread would
    # drop the delayed messages it holds (left in this live worker's ack set: stranded).
    def do_fetch(self, queue_name: str, count: int) -> list[bytes]:
        # A batch the divert hook took whole (a backlog being parked) is followed by the next
        # one at once: returning nothing would make Dramatiq's consumer back off.
        for _ in range(MAX_DIVERTED_BATCHES):
            fetched, accepted = self._fetch_batch(queue_name, count)
            if accepted or fetched < count:
                return accepted
        return []

    def _fetch_batch(self, queue_name: str, count: int) -> tuple[int, list[bytes]]:
        """(how many ids were popped, the bodies to hand to Dramatiq)."""
        now = str(int(time.time() * 1000))
        try:
            reply = self._fetch(keys=[self.namespace],
                                args=[queue_name, self.broker_id, now, int(count)])
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            if not self._fetch_failing:
                log.warning("Redis does not answer (%s); fetching again until it does", exc)
            self._fetch_failing = True
            return 0, []
        if self._fetch_failing:
            log.info("Redis answers again; fetching messages")
            self._fetch_failing = False
        accepted: list[tuple[str, Accepted]] = []
        for index in range(0, len(reply), 2):
            redis_id = _text(reply[index])
            verdict = check_envelope(queue_name, redis_id, reply[index + 1],
                                     max_bytes=self.max_message_bytes, max_depth=self.max_depth,
                                     actors=actor_queues(self))
            if isinstance(verdict, Accepted):
                accepted.append((redis_id, verdict))
            else:
                self._quarantine(queue_name, redis_id, reply[index + 1], verdict)
        diverted = self._divert(queue_name, accepted)
        kept = []
        for redis_id, verdict in accepted:
            if redis_id not in diverted:
                kept.append(verdict.data)
                _show(self.on_accepted, queue_name, verdict)
        return len(reply) // 2, kept

    def _divert(self, queue_name: str, accepted: list[tuple[str, Accepted]]) -> set[str]:
        """Ask the divert hook which fetched messages it took (stored elsewhere: parked for
        their channel's turn) and acknowledge those, as Dramatiq's ack does (off the ack set,
        body deleted). Nothing is lost: the hook stores a message before it is acked here, and
        a crash in between leaves it fetched, so it is requeued and recognised as parked."""
        if self.divert is None or not accepted:
            return set()
        try:
            diverted = self.divert(queue_name, [(redis_id, verdict.fields, verdict.data)
                                                for redis_id, verdict in accepted])
        except Exception:  # an optimisation's failure: Dramatiq runs them all as usual
            log.exception("the divert hook of %s failed; running the fetched messages",
                          queue_name)
            return set()
        if diverted:
            acks = f"{self.namespace}:__acks__.{self.broker_id}.{queue_name}"
            bodies = f"{self.namespace}:{queue_name}.msgs"
            ids = sorted(diverted)
            store_or_wait(lambda: self._ack_many(acks, bodies, ids),
                          what=f"{len(ids)} parked message(s) on {queue_name}")
        return diverted

    def _ack_many(self, acks: str, bodies: str, redis_ids: list[str]) -> None:
        with self.client.pipeline(transaction=True) as pipe:
            pipe.srem(acks, *redis_ids)
            pipe.hdel(bodies, *redis_ids)
            pipe.execute()

    def enqueue(self, message: Any, *, delay: int | None = None) -> Any:
        """Dramatiq's enqueue; in a worker, it waits out a Redis outage. Dramatiq's consumer
        thread moves a due delayed message to its queue with it: a failure there kills the
        thread, or drops the delayed messages it holds (stranded in this worker's ack set)."""
        if not self.wait_out_outages:
            return super().enqueue(message, delay=delay)
        return store_or_wait(lambda: super(QuarantiningRedisBroker, self).enqueue(
            message, delay=delay), what=f"message {message.message_id} on {message.queue_name}")

    def dead_id(self, message: Any) -> str:
        """The id a message of this broker has in the dead-letter queue (``jobs retry`` takes)."""
        return str(message.options.get("redis_message_id") or message.message_id)

    def queue_depth(self, queue_name: str) -> int:
        """Messages waiting on *queue_name* (not its delayed retries)."""
        return int(self.client.llen(f"{self.namespace}:{queue_name}"))

    def _quarantine(self, queue_name: str, dead_id: str, raw: bytes | None,
                    rejected: Rejected) -> None:
        # The reason first: a dead letter is never listed without it (a crash in between
        # leaves the message fetched, so it is redelivered, refused and recorded again).
        _report(self.on_quarantine, queue_name, dead_id, raw, rejected)
        now = str(int(time.time() * 1000))
        store_or_wait(lambda: self._bury(keys=[self.namespace], args=[
            queue_name, canonical_queue(queue_name), self.broker_id, now, dead_id]),
            what=f"refused message {dead_id} in the dead-letter queue")


def _show(hook: AcceptHook | None, queue_name: str, accepted: Accepted) -> None:
    if hook is None:
        return
    try:
        hook(queue_name, accepted.fields)
    except Exception:  # an optimisation's bug must not stop the consumer
        log.exception("the hook on accepted messages of %s failed", queue_name)


def _report(hook: QuarantineHook | None, queue_name: str, dead_id: str, raw: bytes | None,
            rejected: Rejected) -> None:
    if hook is None:
        log.error("message %s on %s was refused and moved to the dead-letter queue: [%s] %s",
                  dead_id, queue_name, rejected.code, rejected.reason)
        return
    try:
        hook(queue_name, dead_id, raw, rejected)
    except Exception:
        log.exception("message %s on %s was refused ([%s] %s) and moved to the dead-letter "
                      "queue, but could not be recorded", dead_id, queue_name, rejected.code,
                      rejected.reason)


class QuarantiningRabbitmqBroker(RabbitmqBroker):  # type: ignore[misc]
    """A ``RabbitmqBroker`` whose consumers only ever see messages that passed the envelope
    check; dead letters are kept ``dead_message_ttl`` ms (RabbitMQ expires them itself).

    Publishing waits for RabbitMQ's confirmation (``confirm_delivery``), so a retry or a
    re-drive is stored before the delivery it replaces is acknowledged.
    """

    on_quarantine: QuarantineHook | None = None
    on_accepted: AcceptHook | None = None
    divert: DivertHook | None = None
    prefetch_scale: Mapping[str, float] = MappingProxyType({})

    def __init__(
        self,
        *,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        max_depth: int = DEFAULT_MAX_DEPTH,
        dead_message_ttl: int,
        **options: Any,
    ) -> None:
        options.setdefault("confirm_delivery", True)
        super().__init__(**options)
        self.max_message_bytes = max_message_bytes
        self.max_depth = max_depth
        self.dead_message_ttl = dead_message_ttl

    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 5000) -> Any:
        return super().consume(queue_name, scaled_prefetch(self.prefetch_scale, queue_name,
                                                           prefetch), timeout)

    @property
    def consumer_class(self) -> type[_RabbitmqConsumer]:
        return _QuarantiningRabbitmqConsumer

    def dead_id(self, message: Any) -> str:
        """The id a message of this broker has in the dead-letter queue (``jobs retry`` takes)."""
        return str(message.message_id)

    def queue_depth(self, queue_name: str) -> int:
        """Messages ready on *queue_name* (a passive declare: nothing is created)."""
        reply = self.channel.queue_declare(queue=queue_name, passive=True)
        return int(reply.method.message_count)

    def _declare_xq_queue(self, queue_name: str) -> Any:
        return self.channel.queue_declare(queue=xq_name(queue_name), durable=True,
                                          arguments={"x-message-ttl": self.dead_message_ttl})

    def quarantine(self, queue_name: str, raw: bytes, rejected: Rejected) -> None:
        """Record a delivery the consumer refuses, before it rejects it into the XQ."""
        _report(self.on_quarantine, queue_name,
                dead_id_of(raw, max_bytes=self.max_message_bytes), raw, rejected)


class _QuarantiningRabbitmqConsumer(_RabbitmqConsumer):  # type: ignore[misc]
    """Dramatiq's RabbitMQ consumer, reading deliveries through :meth:`_checked`."""

    def __init__(self, broker: QuarantiningRabbitmqBroker, queue_name: str, prefetch: int,
                 timeout: int) -> None:
        super().__init__(broker, queue_name, prefetch, timeout)
        self.iterator: Iterator[tuple[Any, Any, Any]] = self._checked(
            getattr(self, "iterator"))  # noqa: B009 - set by the parent, untyped

    def _checked(self, deliveries: Iterator[tuple[Any, Any, Any]]
                 ) -> Iterator[tuple[Any, Any, Any]]:
        """Pass accepted deliveries on to ``__next__``; reject the others into the queue's XQ,
        report them, and hand ``__next__`` an idle tick instead (it returns ``None``)."""
        broker: QuarantiningRabbitmqBroker = self.broker
        for method, properties, body in deliveries:
            if method is None:
                yield method, properties, body
                continue
            raw = bytes(body or b"")
            verdict = check_envelope(self.queue_name, None, raw,
                                     max_bytes=broker.max_message_bytes,
                                     max_depth=broker.max_depth, actors=actor_queues(broker))
            if isinstance(verdict, Accepted):
                if self._diverted(method.delivery_tag, verdict):
                    yield None, None, None  # stored elsewhere and acknowledged: not run
                    continue
                _show(broker.on_accepted, self.queue_name, verdict)
                yield method, properties, verdict.data
                continue
            broker.quarantine(self.queue_name, raw, verdict)  # the reason first, as on Redis
            self._nack(method.delivery_tag)
            yield None, None, None


    def _diverted(self, tag: int, verdict: Accepted) -> bool:
        """As on Redis: the divert hook took this delivery (stored it: parked for its
        channel's turn), so it is acknowledged, on this consumer's own thread, and not run."""
        broker: QuarantiningRabbitmqBroker = self.broker
        if broker.divert is None:
            return False
        key = str(tag)
        try:
            taken = broker.divert(self.queue_name, [(key, verdict.fields, verdict.data)])
        except Exception:  # an optimisation's failure: the message runs as usual
            log.exception("the divert hook of %s failed; running the delivery", self.queue_name)
            return False
        if key not in taken:
            return False
        self.channel.basic_ack(tag)
        return True


class BrokerMaintenance(Middleware):  # type: ignore[misc]
    """Runs :meth:`QuarantiningRedisBroker.maintain` every ``interval_s`` in each worker process
    for the queues it consumes, so a dead worker's messages come back within the heartbeat
    timeout plus one interval, whatever the traffic; and keeps the heartbeat fresh even while
    every thread is busy with long jobs (Dramatiq beats only when a consumer fetches). It also
    makes the worker's broker wait out Redis outages when enqueueing."""

    def __init__(self, *, interval_s: float = DEFAULT_MAINTENANCE_INTERVAL_S) -> None:
        self.interval_s = interval_s
        self._stop = threading.Event()

    def after_worker_boot(self, broker: QuarantiningRedisBroker, worker: Any) -> None:
        broker.wait_out_outages = True
        self._stop.clear()
        threading.Thread(target=self._run, args=(broker, worker), name="broker-maintenance",
                         daemon=True).start()

    def before_worker_shutdown(self, broker: QuarantiningRedisBroker, worker: Any) -> None:
        self._stop.set()

    def _run(self, broker: QuarantiningRedisBroker, worker: Any) -> None:
        failing = False
        while True:
            try:
                broker.maintain(list(worker.consumers))
                if failing:
                    log.info("broker maintenance works again")
                failing = False
            except redis.RedisError as exc:
                if not failing:
                    log.warning("broker maintenance failed (%s); retrying every %gs", exc,
                                self.interval_s)
                failing = True
            if self._stop.wait(self.interval_s):
                return


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
