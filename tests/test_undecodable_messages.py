"""Bytes on a queue that are not a Dramatiq message: kept in the dead-letter queue, recorded and
announced, and the good job behind them still runs (stock Dramatiq would stall it)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pinterest_agent.providers.sandbox.server import SandboxServer
from tests.conftest import Channel, RunningWorker, both_brokers
from tests.helpers import (
    dead_letters,
    enqueue_publish,
    outcome_status,
    post_payload,
    push_raw,
    wait_for,
)

pytestmark = [pytest.mark.redis, both_brokers]


@pytest.mark.parametrize("raw", [b"not json at all", b'{"queue_name": "x"}', b"[1, 2]"],
                         ids=["garbage", "missing-fields", "not-an-object"])
def test_undecodable_message_is_dead_lettered_and_the_next_job_runs(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
    raw: bytes,
) -> None:
    running = start_worker()
    settings = running.runtime.settings
    queue = settings.queue_publisher
    # Given a producer that pushed bytes Dramatiq cannot read, then a good job
    bad = push_raw(running.broker, settings, queue, "bad-1", raw)
    enqueue_publish(running.broker, settings, post_payload(fresh_sandbox))
    # Then the good job is published
    wait_for(lambda: outcome_status(running.runtime, "post-1", "published"))
    # And the bad bytes are kept in the dead-letter queue, recorded and announced
    dead = wait_for(lambda: dead_letters(running.runtime).find(bad))
    assert dead.actor == "(not a Dramatiq message)" or raw.startswith(b"{")
    outcome = running.runtime.store.outcomes.get("message", bad)
    assert outcome is not None and outcome["error"]["code"] == "undecodable_message"
    events = [e["type"] for e in running.runtime.store.outcomes.events()]
    assert "message.rejected" in events
    # and it cannot be replayed as if it were a job
    with pytest.raises(ValueError):
        dead_letters(running.runtime).retry(running.broker, bad)
    # and it stays in the dead-letter queue
    assert dead_letters(running.runtime).find(bad) is not None


def test_message_for_an_unknown_actor_does_not_block_the_queue(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
) -> None:
    import dramatiq

    running = start_worker()
    settings = running.runtime.settings
    running.broker.enqueue(dramatiq.Message(
        queue_name=settings.queue_publisher, actor_name="no_such_actor", args=({},), kwargs={},
        options={}))
    enqueue_publish(running.broker, settings, post_payload(fresh_sandbox))
    wait_for(lambda: outcome_status(running.runtime, "post-1", "published"))
    # and Dramatiq kept the stray message in the dead-letter queue
    assert wait_for(lambda: [j for j in dead_letters(running.runtime).list()
                             if j.actor == "no_such_actor"])
