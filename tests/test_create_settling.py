"""A create Pinterest applies late never becomes a second Pin.

Pinterest has no idempotency key, and it may apply a create after the worker stopped waiting for
the answer (a slow create cut off at its deadline, a worker killed mid-create, a lease that lapsed
while its holder was stalled). Every attempt marks the post ``creating`` right before it sends,
with the time that create is settled (its send window, its request's deadline, the settle margin;
sooner when it ended with an answer). A later attempt lists the board at once (adopting the Pin
when it is there), but creates nothing before that time: it waits (``publish_settling``) and
lists again.

These tests shrink the request deadline and the settle margin so they run in seconds;
``test_the_default_settle_window_is_wired`` pins the defaults, and ``benchmarks/chaos.py``'s
slow-create scenario runs them (creates of 2-40 s, kills during creates, on both brokers).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from pydantic import SecretStr

from pinterest_agent.agents.ports import TwinCreatingError
from pinterest_agent.agents.publisher import SEND_WINDOW_S, PublishSettlingError
from pinterest_agent.providers.pinterest import PinterestError, PinterestTransientError
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.jobs.publish import run_publish
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings
from tests.conftest import (
    REDIS_URL,
    Channel,
    RunningWorker,
    both_brokers,
    delete_rabbitmq_queues,
    make_settings,
)
from tests.helpers import enqueue_publish, outcome_status, post_payload, wait_for

pytestmark = pytest.mark.redis


def _pins(sandbox: SandboxServer, channel: Channel) -> list[Any]:
    return sandbox.state.pins_on_board(channel.board_id)


def test_the_default_settle_window_is_wired(fresh_sandbox: SandboxServer, prefix: str) -> None:
    # The defaults: a create is settled 5 s (send window) + 30 s (its deadline) + 30 s (margin)
    # after its mark, or 30 s after it ended without telling its outcome
    defaults = Settings(redis_url=REDIS_URL, key_prefix=prefix, secret_key=SecretStr(
        "G1BuzP2n7rVkxTRKlLCShuZ8zSDtbQXRyIzxwPZA8gk="))
    assert (defaults.pinterest_timeout_s, defaults.create_settle_margin_s) == (30.0, 30.0)
    runtime = Runtime.build(defaults, redis_client=redis.Redis.from_url(REDIS_URL))
    try:
        assert runtime.store.ledger.settle_ms == int((SEND_WINDOW_S + 30 + 30) * 1000)
        assert runtime.store.ledger.settle_margin_ms == 30_000
    finally:
        runtime.close()


@pytest.fixture()
def settle_overrides() -> dict[str, float]:
    """A 2 s request deadline and a 4 s margin: a create applied up to 4 s after it was cut off
    is still settled before another (a test may parametrize its own)."""
    return {"pinterest_timeout_s": 2.0, "create_settle_margin_s": 4.0}


@pytest.fixture()
def settings(prefix: str, fresh_sandbox: SandboxServer, broker_kind: str,
             settle_overrides: dict[str, float]) -> Iterator[Settings]:
    settings = make_settings(prefix, fresh_sandbox, broker_kind=broker_kind, **settle_overrides)
    yield settings
    delete_rabbitmq_queues(settings)


def test_a_create_cut_off_at_its_deadline_is_settled_before_another(
    fresh_sandbox: SandboxServer, runtime: Runtime, channel: Channel,
) -> None:
    # Given Pinterest applies the create 3.5 s after receiving it, past the 2 s deadline,
    # and its board listing lags 0.5 s behind
    fresh_sandbox.state.faults.add("POST", "/v5/pins", latency_ms=3500, times=1)
    fresh_sandbox.state.listing_lag_ms = 500
    payload = post_payload(fresh_sandbox)
    # When the first attempt gives up on the answer
    with pytest.raises(PinterestTransientError) as cut_off:
        run_publish(runtime, payload)
    assert cut_off.value.outcome_unknown
    # Then a retry straight away lists the board (nothing there yet) and creates nothing
    with pytest.raises(PublishSettlingError) as settling:
        run_publish(runtime, payload)
    assert 0 < settling.value.retry_in_s <= 4.0 + 1.0
    assert fresh_sandbox.state.request_count("POST", "/v5/pins") == 1
    # And once it is settled, the next attempt finds the late Pin and adopts it
    time.sleep(settling.value.retry_in_s)
    outcome = run_publish(runtime, payload)
    assert outcome["status"] == "published" and outcome["reconciled"] is True
    assert len(_pins(fresh_sandbox, channel)) == 1
    assert fresh_sandbox.state.request_count("POST", "/v5/pins") == 1


def test_a_create_that_never_lands_is_created_again_once_settled(
    fresh_sandbox: SandboxServer, runtime: Runtime, channel: Channel,
) -> None:
    # Given a create that timed out and that Pinterest never applied (answered 503 late, having
    # done nothing)
    fresh_sandbox.state.faults.add("POST", "/v5/pins", status=503, latency_ms=2500, times=1)
    payload = post_payload(fresh_sandbox)
    with pytest.raises(PinterestTransientError):
        run_publish(runtime, payload)
    with pytest.raises(PublishSettlingError) as settling:
        run_publish(runtime, payload)
    # When it is settled and the board still shows nothing
    time.sleep(settling.value.retry_in_s)
    outcome = run_publish(runtime, payload)
    # Then the post is created (once)
    assert outcome["status"] == "published" and outcome["reconciled"] is False
    assert len(_pins(fresh_sandbox, channel)) == 1


def test_a_slow_create_through_a_worker_yields_one_pin(
    fresh_sandbox: SandboxServer, runtime: Runtime, channel: Channel,
    start_worker: Callable[..., RunningWorker],
) -> None:
    # Given one create slower than the request deadline (no crash anywhere), on real worker
    # threads with quick retries
    fresh_sandbox.state.faults.add("POST", "/v5/pins", latency_ms=4500, times=1)
    fresh_sandbox.state.listing_lag_ms = 500
    running = start_worker(threads=2)
    # When the post is published
    enqueue_publish(running.broker, running.runtime.settings, post_payload(fresh_sandbox))
    outcome = wait_for(lambda: outcome_status(running.runtime, "post-1", "published"))
    # Then the retry waited for the first create to settle and adopted its Pin
    assert outcome["reconciled"] is True
    assert len(_pins(fresh_sandbox, channel)) == 1
    assert fresh_sandbox.state.request_count("POST", "/v5/pins") == 1
    types = [e["type"] for e in running.runtime.store.outcomes.events() if e["id"] == "post-1"]
    assert types == ["post.retrying", "post.published"]  # the settling wait is not a failure


def test_a_stalled_lease_renewer_cannot_open_the_window(
    fresh_sandbox: SandboxServer, prefix: str, channel: Channel, settings: Settings,
) -> None:
    # Given two workers on one store, the default lease TTL (6 s), and a create Pinterest takes
    # 9 s to apply and answer
    settings = settings.model_copy(update={"pinterest_timeout_s": 15.0})
    first = Runtime.build(settings, redis_client=redis.Redis.from_url(REDIS_URL))
    second = Runtime.build(settings, redis_client=redis.Redis.from_url(REDIS_URL))
    fresh_sandbox.state.faults.add("POST", "/v5/pins", latency_ms=9000, times=1)
    payload = post_payload(fresh_sandbox)
    try:
        # And the first worker's lease renewer stalls (an overloaded process) mid-create
        first.store.renewer.renew_now = lambda: None  # type: ignore[method-assign]
        results: dict[str, Any] = {}
        create = threading.Thread(target=lambda: results.update(
            first=run_publish(first, payload)))
        create.start()
        wait_for(lambda: fresh_sandbox.state.request_count("POST", "/v5/pins") == 1)
        lease_key = f"{prefix}:publish-lease:post-1"
        wait_for(lambda: first.redis_client.get(lease_key) is None, timeout_s=15)
        # When another attempt takes the lapsed lease while that create is still in flight
        with pytest.raises(PublishSettlingError):
            run_publish(second, payload)
        # Then it created nothing; the first attempt's Pin is the post's only one
        create.join(30)
        assert results["first"]["status"] == "published"
        again = run_publish(second, payload)
        assert again["pin_id"] == results["first"]["pin_id"]
        assert fresh_sandbox.state.request_count("POST", "/v5/pins") == 1
        assert len(_pins(fresh_sandbox, channel)) == 1
    finally:
        first.close()
        second.close()


# -- kill -9 during a slow create, on each broker ----------------------------------------------
def _env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        if value is not None:
            text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
            env[f"PINTEREST_AGENT_{name.upper()}"] = text
    return env


# Pinterest applies the killed create this long after receiving it: later than the killed
# attempt's lease lapses and its message is redelivered (at once on RabbitMQ, after the 15 s
# heartbeat timeout on Redis), so the next attempt finds nothing on its first listing.
_APPLY_AFTER_MS = {"redis": 20_000, "rabbitmq": 12_000}


@pytest.mark.slow
@both_brokers
# The default heartbeat, claim TTL and maintenance; a 5 s deadline and a 20 s margin, so a create
# applied 20 s after its mark is inside its settle window (5 + 5 + 20 s).
@pytest.mark.parametrize("settle_overrides",
                         [{"pinterest_timeout_s": 5.0, "create_settle_margin_s": 20.0}])
def test_a_worker_killed_during_a_slow_create_yields_one_pin(
    fresh_sandbox: SandboxServer, channel: Channel, settings: Settings, broker_kind: str,
    start_worker: Callable[..., RunningWorker],
) -> None:
    # Given Pinterest applies the create long after receiving it
    fresh_sandbox.state.faults.add("POST", "/v5/pins", latency_ms=_APPLY_AFTER_MS[broker_kind],
                                   times=1)
    process = subprocess.Popen(
        [sys.executable, "-m", "dramatiq", "pinterest_agent.queues.entry.worker",
         "--processes", "1",
         "--threads", "1", "--queues", settings.queue_publisher],
        env=_env(settings), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    try:
        from pinterest_agent.queues.jobs.actors import build_broker

        producer = build_broker(settings)
        enqueue_publish(producer, settings, post_payload(fresh_sandbox))
        if settings.broker_url is not None:
            producer.close()
        # When the worker is killed one second after the create was sent
        wait_for(lambda: fresh_sandbox.state.request_count("POST", "/v5/pins") == 1)
        sent_at = time.monotonic()
        time.sleep(1.0)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    # Then the redelivered message waits for that create to settle and adopts its Pin
    running = start_worker(threads=2)
    assert running.runtime.settings.create_settle_margin_s == 20.0
    outcome = wait_for(lambda: outcome_status(running.runtime, "post-1", "published"),
                       timeout_s=90)
    # (counted once the killed create has surely been applied)
    time.sleep(max(0.0, sent_at + _APPLY_AFTER_MS[broker_kind] / 1000 + 1 - time.monotonic()))
    assert outcome["reconciled"] is True
    assert len(_pins(fresh_sandbox, channel)) == 1
    assert fresh_sandbox.state.request_count("POST", "/v5/pins") == 1


# -- two different posts with the same board, link and title ("twins") ------------------------
# Reconciliation recognises a Pin by its board, link and title. Each Pin recorded is claimed by
# its post, so no other post adopts it, and only one post of a given board, link and title may
# have a create unsettled at a time, so an unclaimed Pin that matches is the holder's own.


def test_a_retry_never_adopts_the_pin_of_an_identical_post(
    fresh_sandbox: SandboxServer, runtime: Runtime, channel: Channel,
) -> None:
    # Given post B published a moment ago, and post A, identical apart from its id, whose create
    # ended without an answer and was never applied
    twin = run_publish(runtime, post_payload(fresh_sandbox, "post-b"))
    fresh_sandbox.state.faults.add("POST", "/v5/pins", status=503, latency_ms=2500, times=1)
    payload = post_payload(fresh_sandbox, "post-a")
    with pytest.raises(PinterestTransientError):
        run_publish(runtime, payload)
    # When A is tried again: B's Pin matches A's board, link and title, and is recent
    with pytest.raises(PublishSettlingError) as settling:
        run_publish(runtime, payload)
    # Then A does not take B's Pin: it waits for its own create to settle, then creates its own
    time.sleep(settling.value.retry_in_s)
    outcome = run_publish(runtime, payload)
    assert outcome["reconciled"] is False
    assert outcome["pin_id"] != twin["pin_id"]
    assert runtime.store.ledger.pin_owners([twin["pin_id"], outcome["pin_id"]]) == {
        twin["pin_id"]: "post-b", outcome["pin_id"]: "post-a"}
    assert len(_pins(fresh_sandbox, channel)) == 2


def test_an_identical_post_waits_while_its_twin_create_is_unsettled(
    fresh_sandbox: SandboxServer, runtime: Runtime, channel: Channel,
) -> None:
    # Given post A's create cut off at its deadline, applied by Pinterest 3.5 s after it was sent
    fresh_sandbox.state.faults.add("POST", "/v5/pins", latency_ms=3500, times=1)
    first = post_payload(fresh_sandbox, "post-a")
    with pytest.raises(PinterestTransientError):
        run_publish(runtime, first)
    # When post B, identical apart from its id, comes while A's create is unsettled
    second = post_payload(fresh_sandbox, "post-b")
    with pytest.raises(TwinCreatingError) as waiting:
        run_publish(runtime, second)
    # Then B sends nothing (a Pin of B's now could be taken for A's, or A's for B's)
    assert waiting.value.details["holder"] == "post-a"
    assert fresh_sandbox.state.request_count("POST", "/v5/pins") == 1
    # And once A is settled it adopts its own late Pin, and B creates its own
    time.sleep(max(0.0, float(waiting.value.details["retry_in_s"])))
    adopted = wait_for(lambda: _published_or_none(runtime, first), timeout_s=20)
    assert adopted["reconciled"] is True
    outcome = run_publish(runtime, second)
    assert outcome["reconciled"] is False and outcome["pin_id"] != adopted["pin_id"]
    assert sorted(p.id for p in _pins(fresh_sandbox, channel)) == sorted(
        [adopted["pin_id"], outcome["pin_id"]])


def _published_or_none(runtime: Runtime, payload: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return run_publish(runtime, payload)
    except PublishSettlingError:
        return None


def test_a_twin_whose_create_was_refused_frees_the_others(
    fresh_sandbox: SandboxServer, runtime: Runtime, channel: Channel,
) -> None:
    # Given post A's create refused outright (a 400: nothing was created)
    fresh_sandbox.state.faults.add("POST", "/v5/pins", status=400, times=1)
    with pytest.raises(PinterestError):
        run_publish(runtime, post_payload(fresh_sandbox, "post-a"))
    # When post B, identical apart from its id, comes straight after
    outcome = run_publish(runtime, post_payload(fresh_sandbox, "post-b"))
    # Then it is created at once: A holds nothing back
    assert outcome["status"] == "published" and outcome["reconciled"] is False
