"""Shared fixtures: real Redis (isolated by key prefix and broker namespace per test), the local
Pinterest sandbox on loopback, a Runtime wired like production, and real Dramatiq worker threads.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import dramatiq
import pytest
import redis
from pydantic import SecretStr

from pinterest_agent.agents.ports import ChannelCredentials
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.entry.demo import sandbox_settings
from pinterest_agent.queues.jobs.actors import Actors, build_broker, declare_actors
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings
from tests.helpers import fail_on_spec_violations

REDIS_URL = "redis://127.0.0.1:6379/0"
RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
BROKER_KINDS = ("redis", "rabbitmq")
both_brokers = pytest.mark.parametrize(
    "broker_kind", ["redis", pytest.param("rabbitmq", marks=pytest.mark.rabbitmq)], indirect=True)
"""Runs a test once on each broker (RabbitMQ isolated by queue names, Redis by namespace)."""


@pytest.fixture(scope="session")
def redis_server() -> redis.Redis[bytes]:
    client: redis.Redis[bytes] = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as exc:  # pragma: no cover - CI starts Redis first
        pytest.fail(f"Redis must answer on {REDIS_URL} (start it: see .ci/run): {exc}")
    return client


@pytest.fixture()
def prefix(redis_server: redis.Redis[bytes]) -> Iterator[str]:
    """A fresh key space for one test, deleted afterwards."""
    name = f"test-{uuid.uuid4().hex[:10]}"
    yield name
    for pattern in (f"{name}*", f"{name}-ns:*"):
        keys = list(redis_server.scan_iter(match=pattern, count=1000))
        if keys:
            redis_server.delete(*keys)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxServer]:
    """The suite's sandbox: it judges every answer it gives against Pinterest's spec, and the
    run fails (an error at this fixture's teardown) if any answer broke it."""
    with SandboxServer(https=True, validate_responses=True) as server:
        yield server
    fail_on_spec_violations(server)


@pytest.fixture()
def fresh_sandbox(sandbox: SandboxServer) -> SandboxServer:
    sandbox.state.reset()
    return sandbox


def broker_settings(kind: str, prefix: str) -> dict[str, Any]:
    """What points a test at *kind* of broker: RabbitMQ has no namespaces, so its tests use
    queue names of their own (deleted afterwards by :func:`delete_rabbitmq_queues`)."""
    if kind == "redis":
        return {}
    assert kind == "rabbitmq", kind
    return {"broker_url": RABBITMQ_URL, "queue_writer": f"{prefix}.writer",
            "queue_publisher": f"{prefix}.publisher", "queue_insights": f"{prefix}.insights"}


def delete_rabbitmq_queues(settings: Settings) -> None:
    """Delete a test's RabbitMQ queues, their delay and dead-letter queues included."""
    import pika

    if settings.broker_url is None:
        return
    connection = pika.BlockingConnection(pika.URLParameters(settings.broker_url))
    try:
        channel = connection.channel()
        for queue in (settings.queue_writer, settings.queue_publisher, settings.queue_insights):
            for name in (queue, f"{queue}.DQ", f"{queue}.XQ"):
                channel.queue_delete(name)
    finally:
        connection.close()


def make_settings(prefix: str, sandbox: SandboxServer, *, broker_kind: str = "redis",
                  **overrides: Any) -> Settings:
    """The demo's sandbox settings on *broker_kind*, with quick retries for tests."""
    base = Settings(redis_url=REDIS_URL, openai_api_key=None, openai_base_url=None)
    values: dict[str, Any] = {
        "min_backoff_ms": 50,
        "max_backoff_ms": 400,
        "max_retries": 5,
        "pinterest_timeout_s": 5.0,
        # An unknown create's settle margin (30 s by default, which tests/test_create_settling.py
        # and benchmarks/chaos.py run): a create answered 5xx is created again 1 s later here.
        "create_settle_margin_s": 1.0,
        "video_poll_interval_s": 0.05,
        **broker_settings(broker_kind, prefix),
    }
    values.update(overrides)
    return sandbox_settings(base, sandbox, prefix).model_copy(update=values)


@pytest.fixture()
def broker_kind(request: pytest.FixtureRequest) -> str:
    """The broker a test runs on: Redis, unless it is marked :data:`both_brokers`."""
    return str(getattr(request, "param", "redis"))


@pytest.fixture()
def settings(prefix: str, fresh_sandbox: SandboxServer, broker_kind: str) -> Iterator[Settings]:
    settings = make_settings(prefix, fresh_sandbox, broker_kind=broker_kind)
    yield settings
    delete_rabbitmq_queues(settings)


@pytest.fixture()
def runtime(settings: Settings, redis_server: redis.Redis[bytes]) -> Iterator[Runtime]:
    rt = Runtime.build(settings, redis_client=redis.Redis.from_url(REDIS_URL))
    yield rt
    rt.close()


@dataclass
class Channel:
    channel_id: str
    board_id: str
    access_token: str
    refresh_token: str


@pytest.fixture()
def channel(runtime: Runtime, fresh_sandbox: SandboxServer) -> Channel:
    """A sandbox account connected as channel ``shop``."""
    seeded = fresh_sandbox.state.seed_account("shop_owner")
    runtime.store.credentials.put(
        ChannelCredentials(
            channel_id="shop",
            access_token=SecretStr(seeded.access_token),
            refresh_token=SecretStr(seeded.refresh_token),
            expires_at=time.time() + 30 * 24 * 3600,
            refresh_token_expires_at=time.time() + 60 * 24 * 3600,
            scope="boards:read,boards:write,pins:read,pins:write,user_accounts:read",
            username=seeded.username,
            account_id=seeded.user_id,
            default_board_id=seeded.board_id,
        )
    )
    return Channel("shop", seeded.board_id, seeded.access_token, seeded.refresh_token)


@dataclass
class RunningWorker:
    broker: Any
    actors: Actors
    worker: dramatiq.Worker
    runtime: Runtime

    def join(self, timeout_s: float = 20.0) -> None:
        """Wait until every queue (including delayed retries) is empty and idle, and no message
        waits for its channel's turn (parked in Redis, or handed and on its way back)."""
        deadline = time.monotonic() + timeout_s
        turns = f"{self.runtime.settings.key_prefix}:turns:*:channels"
        while True:
            for queue in list(self.broker.get_declared_queues()):
                left_ms = int(max(0.1, deadline - time.monotonic()) * 1000)
                self.broker.join(queue, timeout=left_ms)
            self.worker.join()
            client = self.runtime.redis_client
            if not any(client.zcard(key) for key in client.scan_iter(match=turns)):
                return
            if time.monotonic() > deadline:
                raise TimeoutError("messages still wait for their channel's turn")
            time.sleep(0.02)


@pytest.fixture()
def start_worker(runtime: Runtime) -> Iterator[Callable[..., RunningWorker]]:
    running: list[RunningWorker] = []

    def start(threads: int = 4) -> RunningWorker:
        broker = build_broker(runtime.settings, runtime.redis_client)
        actors = declare_actors(broker, runtime)
        broker.emit_after("process_boot")
        worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=50)
        worker.start()
        running.append(RunningWorker(broker, actors, worker, runtime))
        return running[-1]

    yield start
    for each in running:
        each.worker.stop(timeout=10_000)
        if runtime.settings.broker_url is not None:
            each.broker.close()  # RabbitMQ: the connections this test's threads opened


@pytest.fixture()
def caplog_all(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog
