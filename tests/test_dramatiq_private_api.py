"""What queues/broker.py (and the watchdog) rely on in Dramatiq beyond its public API.

When an upgrade changes any of it, this file fails first, naming what moved; read
``queues/broker.py`` and adapt it before upgrading.
"""

from __future__ import annotations

import inspect
from importlib import resources

import dramatiq
from dramatiq.brokers import redis as redis_broker
from dramatiq.worker import Worker

from queues.broker import QuarantiningRedisBroker


def test_dramatiq_major_version_is_the_one_the_broker_was_written_for() -> None:
    assert dramatiq.__version__.split(".")[0] == "2"


def test_the_redis_consumer_prefetches_through_broker_do_fetch() -> None:
    source = inspect.getsource(redis_broker._RedisConsumer.__next__)
    assert "self.broker.do_fetch(" in source
    assert "Message.decode(" in source
    assert issubclass(QuarantiningRedisBroker, redis_broker.RedisBroker)
    assert QuarantiningRedisBroker.consumer_class.fget is not None  # type: ignore[attr-defined]


def test_the_redis_key_layout_is_unchanged() -> None:
    lua = (resources.files("dramatiq.brokers") / "redis" / "dispatch.lua").read_text()
    for fragment in (
        'local acks = namespace .. ":__acks__." .. worker_id',
        'local heartbeats = namespace .. ":__heartbeats__"',
        'local queue_acks = acks .. "." .. queue_name',
        'local queue_messages = queue_full_name .. ".msgs"',
        'local xqueue_full_name = namespace .. ":" .. queue_canonical_name .. ".XQ"',
        'redis.call("zadd", heartbeats, timestamp, worker_id)',
    ):
        assert fragment in lua, fragment


def test_broker_and_worker_attributes_used() -> None:
    broker = QuarantiningRedisBroker(url="redis://127.0.0.1:6379/0", namespace="private-api")
    for name in ("broker_id", "namespace", "heartbeat_timeout", "dead_message_ttl", "client",
                 "maintenance_chance", "do_nack", "do_enqueue"):
        assert hasattr(broker, name), name
    assert broker.maintenance_chance == 0
    init = inspect.signature(Worker.__init__)
    assert "worker_threads" in init.parameters
    worker = Worker(broker, worker_threads=1)
    assert isinstance(worker.workers, list) and isinstance(worker.consumers, dict)
