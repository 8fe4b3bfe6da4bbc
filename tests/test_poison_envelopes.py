"""No message can stop a worker: envelopes that are not messages this worker runs are refused at
the consumer, kept in the dead-letter queue with their reason, and the worker keeps serving (on
Redis and on RabbitMQ)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import pytest

from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.broker.envelopes import DEFAULT_MAX_MESSAGE_BYTES
from pinterest_agent.queues.jobs.actors import PUBLISH_ACTOR
from tests.conftest import Channel, RunningWorker, both_brokers
from tests.helpers import (
    dead_letters,
    enqueue_publish,
    outcome_status,
    post_payload,
    push_raw,
    wait_for,
)

pytestmark = pytest.mark.redis


def _envelope(queue: str, payload: object, **changes: object) -> dict[str, object]:
    message_id = str(uuid.uuid4())
    envelope: dict[str, object] = {
        "queue_name": queue, "actor_name": PUBLISH_ACTOR, "args": [payload], "kwargs": {},
        "options": {"redis_message_id": message_id}, "message_id": message_id,
        "message_timestamp": 1_700_000_000_000,
    }
    envelope.update(changes)
    return envelope


def _push(running: RunningWorker, queue: str, redis_id: str, raw: bytes | None) -> str:
    return push_raw(running.broker, running.runtime.settings, queue, redis_id, raw)


@both_brokers
def test_poison_envelopes_are_refused_and_a_valid_post_still_publishes(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
) -> None:
    running = start_worker(threads=2)
    settings = running.runtime.settings
    queue = settings.queue_publisher
    deep = "[" * 100_000 + "]" * 100_000
    poison: dict[str, tuple[bytes | None, str]] = {
        # a valid post under a queue name it was not pushed on: published, then a dead thread
        "wrong-queue": (json.dumps(_envelope("other-queue", post_payload(
            fresh_sandbox, "wrong-queue-post"))).encode(), "invalid_envelope"),
        "options-string": (json.dumps(_envelope(queue, post_payload(
            fresh_sandbox, "options-post"), options="x")).encode(), "invalid_envelope"),
        "args-string": (json.dumps(_envelope(queue, {}, args="abc")).encode(),
                        "invalid_envelope"),
        "kwargs-list": (json.dumps(_envelope(queue, {}, kwargs=[])).encode(),
                        "invalid_envelope"),
        "retries-string": (json.dumps(_envelope(queue, {}, options={"retries": "1"})).encode(),
                           "invalid_envelope"),
        "no-body": (None, "empty_message"),
        "garbage": (b"\x00\xff not json", "undecodable_message"),
        "not-an-object": (b"[1, 2]", "undecodable_message"),
        "deep": (deep.encode(), "message_too_deep"),
        "huge": (b'{"queue_name": "' + b"x" * DEFAULT_MAX_MESSAGE_BYTES + b'"}',
                 "message_too_large"),
    }
    # Given a worker, and a producer that pushed every poison envelope above (twice as many as
    # the worker has threads), then one valid post
    dead_ids = {name: _push(running, queue, name, raw) for name, (raw, _) in poison.items()}
    enqueue_publish(running.broker, settings, post_payload(fresh_sandbox, "good-post"))

    # Then the valid post is published
    wait_for(lambda: outcome_status(running.runtime, "good-post", "published"))
    # And no poison message was run: no Pin for the posts inside them
    assert running.runtime.store.outcomes.get("post", "wrong-queue-post") is None
    assert running.runtime.store.outcomes.get("post", "options-post") is None
    # And every thread of the worker is alive
    assert all(thread.is_alive() for thread in running.worker.workers)
    assert all(thread.is_alive() for thread in running.worker.consumers.values())
    # And each poison message is in the dead-letter queue with its reason, recorded and announced
    letters = dead_letters(running.runtime)
    for name, (_, code) in poison.items():
        dead_id = dead_ids[name]
        job = wait_for(lambda dead_id=dead_id: letters.find(dead_id))
        assert job.reason_code == code, (name, job)
        outcome = running.runtime.store.outcomes.get("message", dead_id)
        assert outcome is not None and outcome["error"]["code"] == code
    # And nothing is left unacknowledged by this worker (RabbitMQ: nothing left on the queue)
    if settings.broker_url is None:
        ns = settings.broker_namespace
        acks = running.runtime.redis_client.keys(f"{ns}:__acks__.*")
        assert all(running.runtime.redis_client.scard(key) == 0 for key in acks)
    else:
        assert running.broker.get_queue_message_counts(queue)[:2] == (0, 0)
    # And events carry a bounded preview and a hash, never the whole message
    rejected = [e for e in running.runtime.store.outcomes.events()
                if e["type"] == "message.rejected" and e["id"] == dead_ids["huge"]]
    assert rejected and len(json.dumps(rejected[0]["payload"])) < 10_000
    assert len(rejected[0]["payload"]["raw"]["sha256"]) == 64


def test_a_redis_id_missing_from_the_options_is_filled_in(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
) -> None:
    running = start_worker()
    queue = running.runtime.settings.queue_publisher
    # Given a hand-written envelope without options.redis_message_id
    envelope = _envelope(queue, post_payload(fresh_sandbox, "no-redis-id"), options={})
    _push(running, queue, "hand-1", json.dumps(envelope).encode())
    # Then it is published and acknowledged under the id it was stored as
    wait_for(lambda: outcome_status(running.runtime, "no-redis-id", "published"))
    ns = running.runtime.settings.broker_namespace
    wait_for(lambda: not running.runtime.redis_client.hexists(f"{ns}:{queue}.msgs", "hand-1"))


def test_a_malformed_call_is_refused_at_once_with_its_reason(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
) -> None:
    running = start_worker()
    settings = running.runtime.settings
    queue = settings.queue_publisher
    post = post_payload(fresh_sandbox, "malformed-call-post")
    malformed = {
        "no-args": (_envelope(queue, post, args=[]), "exactly one item"),
        "two-args": (_envelope(queue, post, args=[post, post]), "exactly one item"),
        "a-kwarg": (_envelope(queue, post, kwargs={"priority": 1}), "kwargs must be empty"),
        "unknown-actor": (_envelope(queue, post, actor_name="delete_everything"),
                          "not an actor of this worker"),
        "actor-elsewhere": (_envelope(queue, post, actor_name="write_post"),
                            f"runs on queue {settings.queue_writer!r}"),
    }
    # Given envelopes that call an actor wrongly, or one this worker does not have
    dead_ids = {name: _push(running, queue, name, json.dumps(envelope).encode())
                for name, (envelope, _) in malformed.items()}
    # Then each is refused at once as invalid_envelope, saying why: never run, never retried
    letters = dead_letters(running.runtime)
    for name, (_, why) in malformed.items():
        job = wait_for(lambda dead_id=dead_ids[name]: letters.find(dead_id))
        assert job.reason_code == "invalid_envelope", (name, job)
        assert why in job.reason, (name, job.reason)
    assert running.runtime.store.outcomes.get("post", "malformed-call-post") is None
    types = {e["type"] for e in running.runtime.store.outcomes.events()}
    assert "post.retrying" not in types
