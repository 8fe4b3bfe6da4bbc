"""Scheduling a retry waits out a broker that does not answer, whichever broker it is: the failed
delivery is acknowledged right after, so a retry given up on would be a lost job."""

from __future__ import annotations

from unittest import mock

import dramatiq
import pika.exceptions
import pytest
import redis
from dramatiq.brokers.stub import StubBroker

from pinterest_agent.queues.broker.retrying import DurableRetries


@pytest.mark.parametrize("outage", [
    pika.exceptions.StreamLostError("Stream connection lost: ConnectionResetError(104)"),
    pika.exceptions.AMQPConnectionError("connection refused"),
    pika.exceptions.ChannelWrongStateError("Channel is closed."),
    dramatiq.errors.ConnectionClosed("closed"),
    redis.ConnectionError("Connection refused"),
], ids=["rabbitmq-stream-lost", "rabbitmq-refused", "rabbitmq-channel-closed",
        "dramatiq-connection-closed", "redis-refused"])
def test_a_retry_is_stored_once_the_broker_answers_again(outage: Exception) -> None:
    # Given an actor whose job failed, and a broker that refuses the retry twice
    broker = StubBroker()
    broker.emit_after("process_boot")

    @dramatiq.actor(broker=broker, max_retries=3, min_backoff=10, max_backoff=10)
    def job() -> None:  # pragma: no cover - never run
        pass

    message = job.message()
    middleware = DurableRetries()
    stored = mock.Mock(side_effect=[outage, outage, message])
    with mock.patch.object(broker, "enqueue", stored):
        # When the retries middleware schedules the retry
        middleware.after_process_message(broker, message, exception=RuntimeError("boom"))
    # Then it kept trying until the broker stored it
    assert stored.call_count == 3
    assert message.options["retries"] == 1 and message.options["retry_in_ms"] > 0
    broker.close()
