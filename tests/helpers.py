"""Small helpers shared by the integration tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import dramatiq
import pika
import pytest
import redis

from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.broker.deadletters import DeadLetterQueue, open_dead_letters
from pinterest_agent.queues.broker.envelopes import dead_id_of
from pinterest_agent.queues.jobs.actors import PUBLISH_ACTOR
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings

T = TypeVar("T")

LIVENESS_S = 30.0  # a deadline for "eventually", never a performance assertion


def wait_for(probe: Callable[[], T | None], *, timeout_s: float = LIVENESS_S) -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s: {probe}")
        time.sleep(0.02)


def fail_on_spec_violations(server: SandboxServer) -> None:
    """Fail the test (or the fixture teardown) if the sandbox answered against Pinterest's spec."""
    if server.response_violations:
        shown = "\n  ".join(server.response_violations[:20])
        pytest.fail(f"{len(server.response_violations)} sandbox answers broke Pinterest's spec:"
                    f"\n  {shown}", pytrace=False)


def post_payload(
    sandbox: SandboxServer, post_id: str = "post-1", **overrides: Any
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "schema_version": 1,
        "post_id": post_id,
        "platform": "pinterest",
        "channel_id": "shop",
        "title": "Linen summer dress with pockets, breathable everyday style",
        "description": "A breathable linen summer dress with deep pockets for warm days.",
        "link": f"{sandbox.https_base_url}/_sandbox/pages/linen-dress",
        "alt_text": "Woman in a light blue linen dress walking on a beach",
        "media": {"type": "image_url", "url": f"{sandbox.base_url}/_sandbox/images/dress.jpg"},
    }
    payload.update(overrides)
    return payload


def enqueue_publish(broker: Any, settings: Settings, payload: object) -> dramatiq.Message:
    message = dramatiq.Message(
        queue_name=settings.queue_publisher,
        actor_name=PUBLISH_ACTOR,
        args=(payload,),
        kwargs={},
        options={},
    )
    enqueued: dramatiq.Message = broker.enqueue(message)
    return enqueued


def outcome_status(runtime: Runtime, post_id: str, *statuses: str) -> dict[str, Any] | None:
    outcome = runtime.store.outcomes.get("post", post_id)
    if outcome is not None and outcome.get("status") in statuses:
        return outcome
    return None


def dead_letters(runtime: Runtime) -> DeadLetterQueue:
    """The dead letters on the test's broker (Redis or RabbitMQ), as the CLI opens them."""
    return open_dead_letters(runtime.settings, runtime.redis_client, runtime.store.dead_reasons)


def push_raw(broker: Any, settings: Settings, queue: str, redis_id: str, raw: bytes | None) -> str:
    """Put bytes on *queue* the way a hand-written producer would, bypassing Dramatiq: on Redis
    ``HSET`` the body (unless ``None``) and ``RPUSH`` *redis_id*; on RabbitMQ publish the bytes
    (``None`` as an empty body). Returns the id the message has in the dead-letter queue."""
    if settings.broker_url is None:
        client = redis.Redis.from_url(settings.redis_url)
        if raw is not None:
            client.hset(f"{settings.broker_namespace}:{queue}.msgs", redis_id, raw)
        client.rpush(f"{settings.broker_namespace}:{queue}", redis_id)
        return redis_id
    broker.declare_queue(queue, ensure=True)
    connection = pika.BlockingConnection(pika.URLParameters(settings.broker_url))
    try:
        connection.channel().basic_publish(exchange="", routing_key=queue, body=raw or b"",
                                           properties=pika.BasicProperties(delivery_mode=2))
    finally:
        connection.close()
    return dead_id_of(raw or b"")

