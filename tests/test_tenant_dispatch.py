"""Fair dispatch across tenants: the owner of many channels takes its turns, never the workers.

The store's rules on real Redis (:class:`ChannelTurns` with a ``tenant_limit``), then real worker
threads on both brokers with the default settings: a quiet tenant's posts enqueued behind a busy
tenant's backlog over several channels are published long before that backlog is, each post once,
also when a worker is killed with tenant posts parked.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import dramatiq
import pytest
import redis

from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.jobs.turns import CHANNEL, HANDED, FairDispatch
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings
from pinterest_agent.queues.stores.renewal import Renewer
from pinterest_agent.queues.stores.turns import ChannelTenants, ChannelTurns
from tests.conftest import RunningWorker, both_brokers, delete_rabbitmq_queues, make_settings
from tests.helpers import enqueue_publish, post_payload, wait_for
from tests.test_fair_dispatch import _connect, _published_order

pytestmark = pytest.mark.redis


@pytest.fixture()
def tenants(redis_server: redis.Redis[bytes], prefix: str) -> ChannelTenants:
    return ChannelTenants(redis_server, prefix=prefix)


def _turns(redis_server: redis.Redis[bytes], prefix: str, *, limit: int = 5,
           tenant_limit: int = 2, ttl_ms: int = 6_000) -> ChannelTurns:
    return ChannelTurns(redis_server, Renewer(redis_server), prefix=prefix, queue="q",
                        limit=limit, ttl_ms=ttl_ms, tenant_limit=tenant_limit)


@pytest.fixture()
def turns(redis_server: redis.Redis[bytes], prefix: str) -> ChannelTurns:
    return _turns(redis_server, prefix)


def _encoded(message_id: str) -> bytes:
    return bytes(dramatiq.Message(queue_name="q", actor_name="publish_post", args=({},),
                                  kwargs={}, options={}, message_id=message_id).encode())


# --- the store's rules ----------------------------------------------------------------------


def test_a_tenant_runs_up_to_its_turns_across_its_channels(
        turns: ChannelTurns, tenants: ChannelTenants) -> None:
    # Given tenant agency owns a1, a2 and a3 (2 tenant turns; 5 turns per channel)
    for channel in ("a1", "a2", "a3"):
        tenants.put(channel, "agency")
    # When its channels ask for turns
    assert turns.admit("a1", "m1", b"1")
    assert turns.admit("a2", "m2", b"2")
    # Then the third waits although its channel has every turn free
    assert not turns.admit("a3", "m3", b"3")
    assert not turns.admit("a1", "m4", b"4")
    # And another tenant's channel, or a channel of no tenant, is not affected
    tenants.put("solo", "brand")
    assert turns.admit("solo", "s1", b"s1")
    assert turns.admit("own", "o1", b"o1")
    # And a freed turn of the tenant goes to its oldest parked message on another channel
    [handed] = turns.hand_on("a1", "m1")
    assert (handed.channel, handed.message_id) == ("a3", "m3")


def test_a_tenants_freed_turns_go_round_robin_across_its_channels_oldest_first(
        turns: ChannelTurns, tenants: ChannelTenants) -> None:
    # Given tenant agency's 2 turns held by x, and x, y and z with 3 posts parked each
    for channel in ("x", "y", "z"):
        tenants.put(channel, "agency")
    assert turns.admit("x", "run-1", b"r1")
    assert turns.admit("x", "run-2", b"r2")
    for index in range(3):
        for channel in ("x", "y", "z"):  # x's parked first: first come would serve x alone
            assert not turns.admit(channel, f"{channel}{index}", _encoded(f"{channel}{index}"))
    # When turns end one by one (each taken at once by the message handed it, which then ends)
    served: list[str] = []
    ending = ["run-1", "run-2"]
    ending_channel = ["x", "x"]
    while ending:
        handed = turns.hand_on(ending_channel.pop(0), ending.pop(0))
        for one in handed:
            assert turns.admit(one.channel, one.message_id, b"", handed=True, rank=one.rank)
            served.append(one.message_id)
            ending.append(one.message_id)
            ending_channel.append(one.channel)
    # Then the channels take turns (from the one after x), each one's posts oldest first
    assert served == ["y0", "z0", "x0", "y1", "z1", "x1", "y2", "z2", "x2"]
    assert turns.channels() == []


def test_a_channel_within_its_tenant_still_keeps_to_its_own_turns(
        redis_server: redis.Redis[bytes], prefix: str, tenants: ChannelTenants) -> None:
    turns = _turns(redis_server, prefix, limit=1, tenant_limit=3)
    tenants.put("a1", "agency")
    tenants.put("a2", "agency")
    assert turns.admit("a1", "m1", b"1")
    assert not turns.admit("a1", "m2", _encoded("m2"))  # a1's one turn is taken
    assert turns.admit("a2", "n1", b"n1")
    # a1's parked post is not handed a2's freed turn: a1 is still at its own limit
    assert turns.hand_on("a2", "n1") == []
    assert [h.message_id for h in turns.hand_on("a1", "m1")] == ["m2"]


def test_a_tenant_setting_takes_effect_at_the_next_admit(
        turns: ChannelTurns, tenants: ChannelTenants) -> None:
    # Given two channels of no tenant, running 3 posts together
    assert turns.admit("a1", "m1", b"1")
    assert turns.admit("a2", "m2", b"2")
    assert turns.admit("a2", "m3", b"3")
    # When the operator puts both in one tenant (2 turns), without any restart
    tenants.put("a1", "agency")
    tenants.put("a2", "agency")
    # Then the turns they hold count for it from their channel's next ask, and new posts wait
    assert not turns.admit("a2", "m5", _encoded("m5"))
    assert not turns.admit("a1", "m4", _encoded("m4"))
    # And when a2 leaves the tenant, its turns no longer count: a1's post is handed the turn
    tenants.put("a2", None)
    assert [h.message_id for h in turns.hand_on("a1", "")] == ["m4"]
    assert tenants.get("a1") == "agency" and tenants.get("a2") is None


def test_without_a_tenant_limit_tenants_change_nothing(
        redis_server: redis.Redis[bytes], prefix: str, tenants: ChannelTenants) -> None:
    turns = _turns(redis_server, prefix, limit=2, tenant_limit=0)
    for channel in ("a1", "a2", "a3"):
        tenants.put(channel, "agency")
        assert turns.admit(channel, f"{channel}-1", b"1")
        assert turns.admit(channel, f"{channel}-2", b"2")
        assert not turns.admit(channel, f"{channel}-3", _encoded(f"{channel}-3"))


def test_a_lapsed_tenant_turn_is_handed_to_another_of_its_channels_by_the_sweep(
        redis_server: redis.Redis[bytes], prefix: str, tenants: ChannelTenants) -> None:
    # Given a1's job holds the tenant's only turn and its worker dies (nobody renews it)
    turns = _turns(redis_server, prefix, tenant_limit=1, ttl_ms=150)
    tenants.put("a1", "agency")
    tenants.put("a2", "agency")
    sent: list[Any] = []
    dispatch = FairDispatch(turns, sent.append)
    assert turns.admit("a1", "m1", _encoded("m1"))
    assert not turns.admit("a2", "m2", _encoded("m2"))
    assert dispatch.sweep() == 0
    # When its turn lapses, the next sweep hands it to a2's post
    time.sleep(0.3)
    assert dispatch.sweep() == 1
    assert [m.message_id for m in sent] == ["m2"]
    assert sent[0].options[HANDED] is True and sent[0].options[CHANNEL] == "a2"
    # And a2's job, ending, frees the tenant's turn (no turn of a1 is left behind)
    assert turns.admit("a2", "m2", _encoded("m2"), handed=True)
    turns.hand_on("a2", "m2")
    assert turns.channels() == []
    assert turns.admit("a1", "m3", _encoded("m3"))


def test_a_fetched_batch_asks_its_tenants_turns_in_one_round_trip(
        turns: ChannelTurns, tenants: ChannelTenants) -> None:
    tenants.put("a1", "agency")
    tenants.put("a2", "agency")
    assert turns.admit_many([("a1", "m1", b"1", ""), ("a2", "m2", b"2", ""),
                             ("a2", "m3", b"3", ""), ("b1", "n1", b"n", "")]) == [
        True, True, False, True]


# --- real worker threads --------------------------------------------------------------------


@pytest.fixture()
def tenant_turns() -> int | None:
    """The ``tenant_turns`` setting (None: the default)."""
    return None


@pytest.fixture()
def settings(prefix: str, fresh_sandbox: SandboxServer, broker_kind: str,
             tenant_turns: int | None) -> Iterator[Settings]:
    overrides = {} if tenant_turns is None else {"tenant_turns": tenant_turns}
    settings = make_settings(prefix, fresh_sandbox, broker_kind=broker_kind, **overrides)
    yield settings
    delete_rabbitmq_queues(settings)


BUSY = ("agency-1", "agency-2", "agency-3", "agency-4")


@both_brokers
def test_a_quiet_tenant_is_not_held_behind_a_busy_tenants_channels(
    fresh_sandbox: SandboxServer, runtime: Runtime,
    start_worker: Callable[..., RunningWorker],
) -> None:
    # Given tenant agency's 4 channels with 12 posts each queued before brand's 3 posts on its
    # one channel, and Pinterest answering in 100 ms. Each agency channel is within its own 5
    # turns (its posts are queued in turn with the others'), so only a tenant's turns keep
    # agency from taking every worker thread
    boards = {channel: _connect(runtime, fresh_sandbox, channel) for channel in (*BUSY, "solo")}
    for channel in BUSY:
        runtime.tenants.put(channel, "agency")
    runtime.tenants.put("solo", "brand")
    fresh_sandbox.state.latency_ms = 100
    running = start_worker(threads=8)  # Dramatiq's default
    for index in range(12):
        for channel in BUSY:
            enqueue_publish(running.broker, runtime.settings, post_payload(
                fresh_sandbox, f"{channel}-{index}", channel_id=channel, board_id=boards[channel],
                title=f"Linen summer dress no. {index}"))
    for index in range(3):
        enqueue_publish(running.broker, runtime.settings, post_payload(
            fresh_sandbox, f"solo-{index}", channel_id="solo", board_id=boards["solo"],
            title=f"Linen beach towel no. {index}"))
    # When the worker runs them (default settings: 5 turns a channel, 8 a tenant)
    wait_for(lambda: len(_published_order(runtime)) == 51, timeout_s=180)
    running.join()
    order = _published_order(runtime)
    # Then brand's posts are done while most of agency's still wait; first in, first out (or
    # no tenant limit: agency's 4 channels may hold 20 turns, more than the 8 threads) publishes
    # them after about 48
    last_solo = max(order.index(f"solo-{i}") for i in range(3))
    assert last_solo < 20, order
    # And every post is published once
    assert sorted(order) == sorted([f"{c}-{i}" for c in BUSY for i in range(12)] +
                                   [f"solo-{i}" for i in range(3)])
    for channel, board in boards.items():
        assert len(fresh_sandbox.state.pins_on_board(board)) == (3 if channel == "solo" else 12)
    assert runtime.redis_client.zcard(
        f"{runtime.settings.key_prefix}:turns:{runtime.settings.queue_publisher}:channels") == 0


@pytest.mark.slow
@both_brokers
def test_killed_worker_loses_no_parked_tenant_post(
    fresh_sandbox: SandboxServer, runtime: Runtime,
    start_worker: Callable[..., RunningWorker],
) -> None:
    # Given a worker process (Dramatiq's default 8 threads, default settings) with 30 posts of
    # tenant agency's 3 channels: 8 run, the rest are parked
    import os
    import signal
    import subprocess
    import sys

    from tests.test_worker_killed import _env

    settings = runtime.settings
    channels = BUSY[:3]
    boards = {channel: _connect(runtime, fresh_sandbox, channel) for channel in channels}
    for channel in channels:
        runtime.tenants.put(channel, "agency")
    fresh_sandbox.state.latency_ms = 200
    process = subprocess.Popen(
        [sys.executable, "-m", "dramatiq", "pinterest_agent.queues.entry.worker",
         "--processes", "1", "--threads", "8", "--queues", settings.queue_publisher],
        env=_env(settings), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    posts = [f"{channel}-{index}" for index in range(10) for channel in channels]
    try:
        from pinterest_agent.queues.jobs.actors import build_broker

        producer = build_broker(settings)
        for index in range(10):
            for channel in channels:
                enqueue_publish(producer, settings, post_payload(
                    fresh_sandbox, f"{channel}-{index}", channel_id=channel,
                    board_id=boards[channel], title=f"Linen summer dress no. {index}",
                    link=f"{fresh_sandbox.https_base_url}/_sandbox/pages/dress-{index}"))
        if settings.broker_url is not None:
            producer.close()
        base = f"{settings.key_prefix}:turns:{settings.queue_publisher}"

        def parked() -> int:
            return sum(int(runtime.redis_client.zcard(f"{base}:park:{c}")) for c in channels)

        wait_for(lambda: sum(len(fresh_sandbox.state.pins_on_board(b))
                             for b in boards.values()) >= 2 and parked() > 10, timeout_s=120)
        # When it is killed with tenant turns held and posts parked
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    # Then another worker publishes every post, each once, once the dead one's turns lapse
    running = start_worker(threads=8)
    wait_for(lambda: len(_published_order(runtime)) >= 30, timeout_s=240)
    running.join(timeout_s=60)
    assert sorted(set(_published_order(runtime))) == sorted(posts)
    for channel, board in boards.items():
        pins = {pin.id for pin in fresh_sandbox.state.pins_on_board(board)}
        assert len(pins) == 10, channel
        recorded = [runtime.store.ledger.get(f"{channel}-{i}") for i in range(10)]
        assert {entry.pin_id for entry in recorded if entry is not None} == pins
