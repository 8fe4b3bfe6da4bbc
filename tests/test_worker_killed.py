"""A worker process killed (SIGKILL) after Pinterest created the Pin but before the worker heard
back: Dramatiq redelivers the message, the next attempt reconciles, and there is one Pin.

It runs the default settings, as production does, on both brokers. Redis: the new worker's
maintenance hands the killed worker's message back once its heartbeat is
``broker_heartbeat_timeout_ms`` (15 s) old. RabbitMQ: the message is redelivered as soon as the
killed process's connection drops. Then the killed attempt's lease lapses ``claim_ttl_s`` (6 s)
after its last renewal; so this is one of the slow tests of the suite (about 20 s on Redis,
under 10 s on RabbitMQ).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest
from pydantic import SecretStr

from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.settings import Settings
from tests.conftest import (
    Channel,
    RunningWorker,
    both_brokers,
    delete_rabbitmq_queues,
    make_settings,
)
from tests.helpers import enqueue_publish, outcome_status, post_payload, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.slow, both_brokers]


@pytest.fixture()
def settings(prefix: str, fresh_sandbox: SandboxServer, broker_kind: str) -> Iterator[Settings]:
    # The default heartbeat timeout, claim TTL and maintenance interval: what production runs.
    settings = make_settings(prefix, fresh_sandbox, broker_kind=broker_kind)
    yield settings
    delete_rabbitmq_queues(settings)


def _env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        if value is not None:
            text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
            env[f"PINTEREST_AGENT_{name.upper()}"] = text
    return env


@pytest.fixture()
def worker_process(settings: Settings) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "dramatiq", "pinterest_agent.queues.entry.worker",
         "--processes", "1",
         "--threads", "1", "--queues", settings.queue_publisher],
        env=_env(settings), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    yield process
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_killed_worker_after_create_yields_exactly_one_pin(
    fresh_sandbox: SandboxServer,
    channel: Channel,
    worker_process: subprocess.Popen[bytes],
    start_worker: Callable[..., RunningWorker],
    settings: Settings,
) -> None:
    # Given Pinterest creates the Pin and then never answers in time
    fresh_sandbox.state.faults.add("POST", "/v5/pins", status=500, after=True, hang_s=30, times=1)
    # When a separate worker process takes the job...
    from pinterest_agent.queues.jobs.actors import build_broker

    producer = build_broker(settings)
    enqueue_publish(producer, settings, post_payload(fresh_sandbox))
    if settings.broker_url is not None:
        producer.close()
    wait_for(lambda: fresh_sandbox.state.pins_on_board(channel.board_id))
    # ...and is killed while waiting for Pinterest's answer
    os.killpg(worker_process.pid, signal.SIGKILL)
    worker_process.wait()
    killed_at = time.monotonic()
    # Then a new worker picks the unacked message up once the dead one is declared dead
    running = start_worker(threads=2)
    outcome = wait_for(lambda: outcome_status(running.runtime, "post-1", "published"),
                       timeout_s=60)
    print(f"kill -9 -> published in {time.monotonic() - killed_at:.1f} s")
    # And reconciles against the board instead of creating again
    assert outcome["reconciled"] is True
    assert len(fresh_sandbox.state.pins_on_board(channel.board_id)) == 1
    assert fresh_sandbox.state.request_count("POST", "/v5/pins") == 1

