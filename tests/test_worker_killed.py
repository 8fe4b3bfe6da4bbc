"""A worker process killed (SIGKILL) after Pinterest created the Pin but before the worker heard
back: Dramatiq redelivers the message, the next attempt reconciles, and there is one Pin.

This is the slow test of the suite (about 15 s): it waits for Dramatiq to declare the killed
worker dead (``broker_heartbeat_timeout_ms``) and for the killed attempt's publish lease to
lapse (the actor time limit plus a margin).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest
from pydantic import SecretStr

from providers.sandbox.server import SandboxServer
from queues.settings import Settings
from tests.conftest import Channel, RunningWorker, make_settings
from tests.helpers import enqueue_publish, outcome_status, post_payload, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.slow]


@pytest.fixture()
def settings(prefix: str, fresh_sandbox: SandboxServer) -> Settings:
    return make_settings(prefix, fresh_sandbox, actor_time_limit_ms=2_000,
                         broker_heartbeat_timeout_ms=1_000)


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
        [sys.executable, "-m", "dramatiq", "queues.entry", "--processes", "1", "--threads", "1",
         "--queues", settings.queue_publisher],
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
    from queues.actors import build_broker

    producer = build_broker(settings)
    enqueue_publish(producer, settings, post_payload(fresh_sandbox))
    wait_for(lambda: fresh_sandbox.state.pins_on_board(channel.board_id))
    # ...and is killed while waiting for Pinterest's answer
    os.killpg(worker_process.pid, signal.SIGKILL)
    worker_process.wait()
    # Then a new worker picks the unacked message up once the dead one is declared dead
    running = start_worker(threads=2)
    outcome = wait_for(lambda: outcome_status(running.runtime, "post-1", "published"),
                       timeout_s=60)
    # And reconciles against the board instead of creating again
    assert outcome["reconciled"] is True
    assert len(fresh_sandbox.state.pins_on_board(channel.board_id)) == 1
    assert fresh_sandbox.state.request_count("POST", "/v5/pins") == 1

