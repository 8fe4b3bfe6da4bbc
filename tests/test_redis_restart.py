"""Redis goes away for a few seconds while a real worker publishes: nothing is lost, nothing is
published twice, every post ends with its outcome and its event.

The worker runs against a Redis of its own (AOF, fsync always, on a free port) so the test can
kill and restart it without touching the shared one.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.broker.watchdog import ThreadWatchdog
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings
from tests.conftest import Channel, RunningWorker, make_settings
from tests.helpers import enqueue_publish, post_payload, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.slow,
              pytest.mark.skipif(shutil.which("redis-server") is None,
                                 reason="needs the redis-server binary")]

POSTS = 12


class PrivateRedis:
    def __init__(self, workdir: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.workdir = workdir
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client: redis.Redis[bytes] = redis.Redis.from_url(self.url)
        wait_for(lambda: _pings(client), timeout_s=10)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


def _pings(client: redis.Redis[bytes]) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


@pytest.fixture()
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    if server.process is not None and server.process.poll() is None:
        server.kill()


@pytest.fixture()
def settings(prefix: str, fresh_sandbox: SandboxServer, private_redis: PrivateRedis) -> Settings:
    return make_settings(prefix, fresh_sandbox, redis_url=private_redis.url)


@pytest.fixture()
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = Runtime.build(settings, redis_client=redis.Redis.from_url(
        settings.redis_url, socket_timeout=2, socket_connect_timeout=2, retry_on_timeout=False))
    yield rt
    rt.close()


def test_a_redis_restart_mid_run_loses_nothing(
    fresh_sandbox: SandboxServer, channel: Channel, private_redis: PrivateRedis,
    start_worker: Callable[..., RunningWorker],
) -> None:
    # Given a worker publishing a dozen posts, each create taking a while
    fresh_sandbox.state.faults.add("POST", "/v5/pins", latency_ms=300, times=POSTS)
    running = start_worker(threads=4)
    runtime = running.runtime
    ids = [f"post-{n}" for n in range(POSTS)]
    for post_id in ids:
        enqueue_publish(running.broker, runtime.settings, post_payload(fresh_sandbox, post_id))
    # When Redis is killed mid-run and comes back 2.5 s later (from its append-only file)
    wait_for(lambda: fresh_sandbox.state.request_count("POST", "/v5/pins") >= 2)
    private_redis.kill()
    time.sleep(2.5)
    private_redis.start()
    # Then every post ends published, with one Pin each, its outcome and its event
    def finished() -> bool:
        try:
            return all((runtime.store.outcomes.get("post", post_id) or {}).get("status")
                       == "published" for post_id in ids)
        except redis.RedisError:
            return False

    wait_for(finished, timeout_s=90)
    pins = fresh_sandbox.state.pins_on_board(channel.board_id)
    assert len(pins) == POSTS, "a post was published twice or not at all"
    published = {e["id"] for e in runtime.store.outcomes.events() if e["type"] == "post.published"}
    assert published == set(ids)


def test_a_retry_waiting_in_a_worker_survives_a_redis_restart(
    fresh_sandbox: SandboxServer, channel: Channel, private_redis: PrivateRedis,
    start_worker: Callable[..., RunningWorker],
) -> None:
    # Given a post whose create was rate limited with Retry-After: 4, so that its retry waits in
    # the worker's delay queue (fetched from the .DQ queue, held in memory until it is due)
    fresh_sandbox.state.faults.add("POST", "/v5/pins", status=429, times=1,
                                   headers={"Retry-After": "4"})
    running = start_worker(threads=2)
    deaths: list[int] = []
    for middleware in running.broker.middleware:
        if isinstance(middleware, ThreadWatchdog):  # a dead thread is reported, not an exit
            middleware.on_dead = deaths.append
    runtime = running.runtime
    enqueue_publish(running.broker, runtime.settings, post_payload(fresh_sandbox))
    ns, dq = runtime.settings.broker_namespace, f"{runtime.settings.queue_publisher}.DQ"
    wait_for(lambda: any(runtime.redis_client.scard(key) for key in
                         runtime.redis_client.scan_iter(f"{ns}:__acks__.*.{dq}")))
    # When Redis is killed while the retry waits, and comes back 2.5 s later
    private_redis.kill()
    time.sleep(2.5)
    private_redis.start()

    # Then the retry still runs when it is due: the post is published, within seconds (not
    # left in the live worker's ack set until the reconciler's 10 minutes)
    def published() -> bool:
        try:
            return (runtime.store.outcomes.get("post", "post-1") or {}).get(
                "status") == "published"
        except redis.RedisError:
            return False

    wait_for(published, timeout_s=30)
    assert len(fresh_sandbox.state.pins_on_board(channel.board_id)) == 1
    # And no worker thread died on the way
    assert deaths == []
    assert all(thread.is_alive() for thread in running.worker.consumers.values())
