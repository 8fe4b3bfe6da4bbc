"""What queues/broker/brokers.py (and the watchdog) rely on in Dramatiq beyond its public API,
on Redis and on RabbitMQ.

When an upgrade changes any of it, this file fails first, naming what moved; read
``queues/broker/brokers.py`` and adapt it before upgrading.
"""

from __future__ import annotations

import inspect
from importlib import resources

import dramatiq
from dramatiq.brokers import rabbitmq as rabbitmq_broker
from dramatiq.brokers import redis as redis_broker
from dramatiq.common import dq_name, xq_name
from dramatiq.worker import Worker

from pinterest_agent.queues.broker.brokers import (
    QuarantiningRabbitmqBroker,
    QuarantiningRedisBroker,
)


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


def test_the_rabbitmq_consumer_reads_self_iterator_and_nacks_without_requeue() -> None:
    consumer = rabbitmq_broker._RabbitmqConsumer
    init = inspect.signature(consumer.__init__)
    assert list(init.parameters) == ["self", "broker", "queue_name", "prefetch", "timeout"]
    assert "self.iterator = self.channel.consume(" in inspect.getsource(consumer.__init__)
    step = inspect.getsource(consumer.__next__)
    assert "next(self.iterator)" in step and "if method is None:" in step
    assert "Message.decode(body)" in step
    nack = inspect.getsource(consumer._nack)
    assert "basic_nack" in nack and "requeue=False" in nack
    assert issubclass(QuarantiningRabbitmqBroker, rabbitmq_broker.RabbitmqBroker)
    assert isinstance(inspect.getattr_static(rabbitmq_broker.RabbitmqBroker, "consumer_class"),
                      property)
    assert issubclass(QuarantiningRabbitmqBroker(url="amqp://127.0.0.1:1/%2F",
                                                 dead_message_ttl=1000).consumer_class,
                      consumer)


def test_rabbitmq_queues_dead_letter_into_their_xq() -> None:
    assert (xq_name("q"), dq_name("q"), xq_name("q.DQ")) == ("q.XQ", "q.DQ", "q.XQ")
    broker = QuarantiningRabbitmqBroker(url="amqp://127.0.0.1:1/%2F", dead_message_ttl=1000)
    assert broker._build_queue_arguments("q")["x-dead-letter-routing-key"] == "q.XQ"
    assert broker._build_queue_arguments("q")["x-dead-letter-exchange"] == ""
    for name in ("_declare_queue", "_declare_dq_queue", "_declare_xq_queue", "channel",
                 "declare_queue", "get_queue_message_counts"):
        assert hasattr(rabbitmq_broker.RabbitmqBroker, name), name
    assert broker.confirm_delivery is True
    assert "self._declare_xq_queue(canonical_queue_name)" in inspect.getsource(
        rabbitmq_broker.RabbitmqBroker._ensure_queue)


def test_a_consumer_thread_drops_its_delayed_messages_on_a_connection_error() -> None:
    # Why QuarantiningRedisBroker.do_fetch turns a Redis outage into "nothing fetched" and its
    # enqueue waits in a worker: otherwise the delayed messages are stranded in the ack set.
    from dramatiq.worker import _ConsumerThread

    run = inspect.getsource(_ConsumerThread.run)
    assert "except BrokerConnectionError" in run and "self.delay_queue = PriorityQueue()" in run
    assert "self.broker.enqueue(new_message)" in inspect.getsource(
        _ConsumerThread.handle_delayed_messages)



def test_the_names_the_helpers_build_are_dramatiqs() -> None:
    # Given the helpers every other module uses instead of Dramatiq's private names
    from pinterest_agent.queues.broker.brokers import (
        canonical_queue,
        rabbitmq_dead_letter_queue,
        redis_dead_letter_keys,
    )

    # Then they name what Dramatiq itself names
    assert rabbitmq_dead_letter_queue("q") == xq_name("q")
    assert canonical_queue(dq_name("q")) == "q"
    lua = (resources.files("dramatiq.brokers") / "redis" / "dispatch.lua").read_text()
    assert 'queue_canonical_name .. ".XQ"' in lua and 'xqueue_full_name .. ".msgs"' in lua
    assert redis_dead_letter_keys("ns", "q") == ("ns:q.XQ", "ns:q.XQ.msgs")


def test_only_the_broker_module_reaches_dramatiqs_private_names() -> None:
    # Every module but brokers.py stays on Dramatiq's public surface (no underscored names,
    # no worker thread lists, no hand-built .XQ keys)
    import re
    from pathlib import Path

    import pinterest_agent

    root = Path(pinterest_agent.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if path.name == "brokers.py" and path.parent.name == "broker":
            continue
        text = path.read_text()
        code = re.sub(r'(?s)""".*?"""', "", text)
        if (re.search(r"from dramatiq[\w.]* import [^\n]*\b_[A-Za-z]", code)
                or re.search(r"dramatiq[\w.]*\._[A-Za-z]", code)
                or re.search(r"\.(workers|consumers)\b", code)
                or re.search(r"[\"'][^\"'\n]*\.XQ", code)):
            offenders.append(str(path.relative_to(root)))
    assert offenders == []
