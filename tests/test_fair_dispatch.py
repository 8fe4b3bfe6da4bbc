"""Fair dispatch: a channel's backlog holds its own turns, never the queue.

The store's rules on real Redis (:class:`ChannelTurns`), then real worker threads on both brokers
with the default settings: a quiet channel's posts enqueued behind a busy channel's backlog are
published long before that backlog is, each post once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import pytest
import redis
from pydantic import SecretStr

from pinterest_agent.agents.ports import ChannelCredentials
from pinterest_agent.observability.metrics import CHANNEL_WAITING, PARKED
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.jobs.turns import CHANNEL, HANDED, RANK, FairDispatch
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.stores.renewal import Renewer
from pinterest_agent.queues.stores.turns import RESEND_AFTER_MS, ChannelTurns
from tests.conftest import Channel, RunningWorker, both_brokers
from tests.helpers import enqueue_publish, post_payload, wait_for

pytestmark = pytest.mark.redis


@pytest.fixture()
def turns(redis_server: redis.Redis[bytes], prefix: str) -> ChannelTurns:
    return ChannelTurns(redis_server, Renewer(redis_server), prefix=prefix, queue="q", limit=2,
                        ttl_ms=6_000)


def test_a_channel_runs_up_to_its_turns_and_parks_the_rest_in_order(
        turns: ChannelTurns) -> None:
    assert turns.admit("big", "m1", b"1")
    assert turns.admit("big", "m2", b"2")
    assert not turns.admit("big", "m3", b"3")
    assert not turns.admit("big", "m4", b"4")
    # another channel is not affected by big's backlog
    assert turns.admit("small", "s1", b"s1")
    # the first turn to end goes to the oldest parked message, and only to it
    handed = turns.hand_on("big", "m1")
    assert [(h.message_id, h.body) for h in handed] == [("m3", b"3")]
    assert turns.channels() == ["big"]


def test_a_new_message_waits_behind_parked_ones_even_while_a_turn_is_on_its_way(
        turns: ChannelTurns) -> None:
    turns.admit("big", "m1", b"1")
    turns.admit("big", "m2", b"2")
    turns.admit("big", "m3", b"3")
    [handed] = turns.hand_on("big", "m1")  # m3 is on its way back through the broker
    turns.sent(handed)
    # a newcomer finds a turn not yet taken but m3 holding it: it parks
    assert not turns.admit("big", "m5", b"5")
    # m3 arrives, handed its turn, and takes it
    assert turns.admit("big", "m3", b"3", handed=True, rank=handed.rank)
    [waiting] = turns.waiting(["big"])
    assert (waiting.parked, waiting.running) == (1, 2)


def test_a_handed_message_that_finds_the_turns_taken_keeps_its_place(
        turns: ChannelTurns, redis_server: redis.Redis[bytes], prefix: str) -> None:
    for index in range(1, 6):
        turns.admit("big", f"m{index}", str(index).encode())  # m1, m2 run; m3..m5 parked
    [handed] = turns.hand_on("big", "m1")
    assert handed.message_id == "m3"
    turns.sent(handed)
    # a redelivered message of a killed worker took that turn meanwhile
    redis_server.zadd(f"{prefix}:turns:q:run:big", {"m9": time.time() * 1000 + 60_000})
    redis_server.zrem(f"{prefix}:turns:q:out:big", "m3")
    assert not turns.admit("big", "m3", b"3", handed=True, rank=handed.rank)
    # it is still first in line, ahead of m4 and m5
    [next_one] = turns.hand_on("big", "m2")
    assert next_one.message_id == "m3"


def test_redelivered_messages_are_neither_parked_twice_nor_given_a_second_turn(
        turns: ChannelTurns) -> None:
    assert turns.admit("big", "m1", b"1")
    assert turns.admit("big", "m2", b"2")
    assert not turns.admit("big", "m3", b"3")
    assert turns.admit("big", "m1", b"1")  # redelivered while it runs: the same turn
    assert not turns.admit("big", "m3", b"3")  # redelivered after it was parked
    [waiting] = turns.waiting(["big"])
    assert (waiting.parked, waiting.running) == (1, 2)


def test_a_lapsed_turn_is_handed_on_by_the_sweep(
        redis_server: redis.Redis[bytes], prefix: str) -> None:
    # (a short lease here; test_killed_worker_loses_no_parked_post runs the default one)
    turns = ChannelTurns(redis_server, Renewer(redis_server), prefix=prefix, queue="q",
                         limit=1, ttl_ms=150)
    sent: list[Any] = []
    dispatch = FairDispatch(turns, sent.append)
    assert turns.admit("big", "m1", _encoded("m1"))  # its worker dies: nobody renews it
    assert not turns.admit("big", "m2", _encoded("m2"))
    assert dispatch.sweep() == 0
    time.sleep(0.3)
    assert dispatch.sweep() == 1
    assert [m.message_id for m in sent] == ["m2"]
    assert sent[0].options[HANDED] is True and sent[0].options[CHANNEL] == "big"


def test_a_handed_message_lost_before_the_broker_had_it_is_sent_again(
        turns: ChannelTurns, redis_server: redis.Redis[bytes], prefix: str) -> None:
    turns.admit("big", "m1", _encoded("m1"))
    turns.admit("big", "m2", _encoded("m2"))
    turns.admit("big", "m3", _encoded("m3"))
    [lost] = turns.hand_on("big", "m1")  # its sender dies here: never sent, never confirmed
    assert lost.message_id == "m3"
    sent: list[Any] = []
    dispatch = FairDispatch(turns, sent.append)
    assert dispatch.sweep() == 0  # not yet: it may still be on its way
    out = f"{prefix}:turns:q:out:big"
    redis_server.zadd(out, {"m3": time.time() * 1000 - RESEND_AFTER_MS - 1_000})
    assert dispatch.sweep() == 1
    assert [m.message_id for m in sent] == ["m3"]
    assert dispatch.sweep() == 0  # confirmed now: sent once


def test_a_job_that_ends_without_using_its_handed_turn_gives_it_back(
        turns: ChannelTurns) -> None:
    turns.admit("big", "m1", _encoded("m1"))
    turns.admit("big", "m2", _encoded("m2"))
    turns.admit("big", "m3", _encoded("m3"))
    turns.admit("big", "m4", _encoded("m4"))
    sent: list[Any] = []
    dispatch = FairDispatch(turns, sent.append)
    dispatch.hand_on("big", "m1")
    [m3] = sent
    # m3 comes back and fails before asking for its turn (it was cancelled, say)
    with pytest.raises(RuntimeError), dispatch.job(m3):
        raise RuntimeError("cancelled")
    assert [m.message_id for m in sent] == ["m3", "m4"]
    assert sent[1].options[RANK]


def _encoded(message_id: str) -> bytes:
    import dramatiq

    return bytes(dramatiq.Message(queue_name="q", actor_name="publish_post", args=({},),
                                  kwargs={}, options={}, message_id=message_id).encode())


# --- real worker threads --------------------------------------------------------------------


def _connect(runtime: Runtime, sandbox: SandboxServer, channel_id: str) -> str:
    seeded = sandbox.state.seed_account(f"{channel_id}_owner")
    runtime.store.credentials.put(ChannelCredentials(
        channel_id=channel_id, access_token=SecretStr(seeded.access_token),
        refresh_token=SecretStr(seeded.refresh_token), expires_at=time.time() + 30 * 86400,
        scope="boards:read,boards:write,pins:read,pins:write,user_accounts:read",
        username=seeded.username, account_id=seeded.user_id, default_board_id=seeded.board_id))
    return str(seeded.board_id)


def _published_order(runtime: Runtime) -> list[str]:
    events = runtime.store.outcomes.events(count=1000)
    return [str(e["id"]) for e in events if e["type"] == "post.published"]


@both_brokers
def test_a_quiet_channel_is_not_held_behind_a_busy_channels_backlog(
    fresh_sandbox: SandboxServer, channel: Channel, runtime: Runtime,
    start_worker: Callable[..., RunningWorker],
) -> None:
    # Given Pinterest answers in 100 ms and channel shop has 40 posts queued before small's 3
    small_board = _connect(runtime, fresh_sandbox, "small")
    fresh_sandbox.state.latency_ms = 100
    running = start_worker(threads=8)  # Dramatiq's default
    parked_before = PARKED.labels(queue=runtime.settings.queue_publisher)._value.get()
    for index in range(40):  # 40 products (twins of one product are created one by one)
        enqueue_publish(running.broker, runtime.settings, post_payload(
            fresh_sandbox, f"big-{index}", title=f"Linen summer dress no. {index}"))
    for index in range(3):
        enqueue_publish(running.broker, runtime.settings, post_payload(
            fresh_sandbox, f"small-{index}", channel_id="small", board_id=small_board,
            title=f"Linen beach towel no. {index}"))
    # When the worker runs them (default settings: 5 turns per channel)
    wait_for(lambda: len(_published_order(runtime)) == 43, timeout_s=120)
    running.join()
    order = _published_order(runtime)
    # Then small's posts are done while most of the backlog still waits; first in, first out
    # would publish them after about 37 of big's
    last_small = max(order.index(f"small-{i}") for i in range(3))
    assert last_small < 20, order
    # And every post is published once, big's in about the order they came
    assert sorted(order) == sorted([f"big-{i}" for i in range(40)] +
                                   [f"small-{i}" for i in range(3)])
    assert len(fresh_sandbox.state.pins_on_board(channel.board_id)) == 40
    assert len(fresh_sandbox.state.pins_on_board(small_board)) == 3
    # (parked in the order they reach the gate: 8 threads race there, and 5 run at once)
    where = {post: index for index, post in enumerate(order)}
    assert all(where[f"big-{i}"] < where[f"big-{i + 16}"] for i in range(24)), order
    assert PARKED.labels(queue=runtime.settings.queue_publisher)._value.get() > parked_before
    assert runtime.redis_client.zcard(
        f"{runtime.settings.key_prefix}:turns:{runtime.settings.queue_publisher}:channels") == 0


def test_the_sweep_reports_each_channels_backlog(
        turns: ChannelTurns, redis_server: redis.Redis[bytes]) -> None:
    dispatch = FairDispatch(turns, lambda message: None)
    for index in range(5):
        turns.admit("gauge-big", f"g{index}", _encoded(f"g{index}"))
    dispatch.sweep()
    assert CHANNEL_WAITING.labels(queue="q", channel="gauge-big")._value.get() == 3
    for index in range(5):
        turns.hand_on("gauge-big", f"g{index}")
    dispatch.sweep()
    assert CHANNEL_WAITING.labels(queue="q", channel="gauge-big")._value.get() == 0


@pytest.mark.slow
@both_brokers
@pytest.mark.parametrize("identical", [False, True], ids=["products", "identical"])
def test_killed_worker_loses_no_parked_post(
    fresh_sandbox: SandboxServer, channel: Channel, runtime: Runtime,
    start_worker: Callable[..., RunningWorker], identical: bool,
) -> None:
    # Given a worker process (Dramatiq's default 8 threads, default settings) with 30 posts of
    # one channel: 5 run, the rest are parked. "identical": the 30 posts share their board, link
    # and title (what reconciling recognises a Pin by), so a post reconciled after the kill
    # could take another's Pin unless Pins are claimed and such twins are created one by one
    import os
    import signal
    import subprocess
    import sys

    from tests.test_worker_killed import _env

    settings = runtime.settings
    fresh_sandbox.state.latency_ms = 200
    process = subprocess.Popen(
        [sys.executable, "-m", "dramatiq", "pinterest_agent.queues.entry.worker",
         "--processes", "1", "--threads", "8", "--queues", settings.queue_publisher],
        env=_env(settings), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    try:
        from pinterest_agent.queues.jobs.actors import build_broker

        producer = build_broker(settings)
        for index in range(30):  # 30 products, each its own page and title, or 30 twins
            enqueue_publish(producer, settings, post_payload(
                fresh_sandbox, f"k-{index}", **({} if identical else dict(
                    title=f"Linen summer dress no. {index}",
                    link=f"{fresh_sandbox.https_base_url}/_sandbox/pages/dress-{index}"))))
        if settings.broker_url is not None:
            producer.close()
        parked = f"{settings.key_prefix}:turns:{settings.queue_publisher}:park:shop"
        # (twins are created one at a time: the others wait, mostly in the broker's delay
        # queue, for the twin holding the board, link and title, rather than parked)
        wait_for(lambda: len(fresh_sandbox.state.pins_on_board(channel.board_id)) >= 2
                 and (identical or runtime.redis_client.zcard(parked) > 10), timeout_s=60)
        # When it is killed with turns held and posts parked
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
    assert sorted(set(_published_order(runtime))) == sorted(f"k-{i}" for i in range(30))
    pins = {pin.id for pin in fresh_sandbox.state.pins_on_board(channel.board_id)}
    assert len(pins) == 30
    recorded = [runtime.store.ledger.get(f"k-{i}") for i in range(30)]
    assert {entry.pin_id for entry in recorded if entry is not None} == pins


@both_brokers
def test_the_sweep_reports_the_queue_depth(runtime: Runtime, fresh_sandbox: SandboxServer
                                           ) -> None:
    from pinterest_agent.observability.metrics import QUEUE_DEPTH
    from pinterest_agent.queues.jobs.actors import build_broker, declare_actors, fair_dispatch

    broker = build_broker(runtime.settings, runtime.redis_client)
    declare_actors(broker, runtime)
    for index in range(3):
        enqueue_publish(broker, runtime.settings, post_payload(fresh_sandbox, f"d-{index}"))
    dispatch = fair_dispatch(broker, runtime)
    assert dispatch is not None
    dispatch.sweep()
    queue = runtime.settings.queue_publisher
    assert QUEUE_DEPTH.labels(queue=queue)._value.get() == 3
    if runtime.settings.broker_url is not None:
        broker.close()


def test_the_messages_next_in_line_are_given_ahead_of_their_turn(turns: ChannelTurns) -> None:
    ahead: list[bytes] = []
    dispatch = FairDispatch(turns, lambda message: None, ahead=ahead.append)
    bodies = {index: _encoded(f"a{index}") for index in range(10)}
    for index, body in bodies.items():
        turns.admit("big", f"a{index}", body)  # a0, a1 run; a2..a9 parked
    dispatch.hand_on("big", "a0")  # a2 is handed the turn; a3.. are next in line
    assert ahead == [bodies[index] for index in range(3, 7)]  # 2 turns x 2 ahead


def test_ending_a_turn_and_looking_ahead_is_one_round_trip(
        turns: ChannelTurns, redis_server: redis.Redis[bytes],
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a channel whose two turns are taken and whose next posts are parked
    ahead: list[bytes] = []
    dispatch = FairDispatch(turns, lambda message: None, ahead=ahead.append)
    bodies = {index: _encoded(f"a{index}") for index in range(6)}
    for index, body in bodies.items():
        turns.admit("big", f"a{index}", body)  # a0, a1 run; a2..a5 parked
    commands: list[str] = []
    original = redis_server.execute_command

    def counted(*args: Any, **options: Any) -> Any:
        commands.append(str(args[0]))
        return original(*args, **options)

    monkeypatch.setattr(redis_server, "execute_command", counted)
    # When a job ends its turn
    dispatch.hand_on("big", "a0")
    # Then one script handed the turn on and said who is next in line (the other round trip
    # confirms the handed message was sent)
    assert commands == ["EVALSHA", "EVALSHA"]
    assert ahead == [bodies[index] for index in range(3, 6)]
    # and a job ending with nothing parked costs one round trip in all
    commands.clear()
    turns.admit("quiet", "q1", _encoded("q1"))
    commands.clear()
    dispatch.hand_on("quiet", "q1")
    assert commands == ["EVALSHA"]


def test_a_message_back_after_its_turn_lapsed_goes_to_the_front_of_the_line(
        turns: ChannelTurns) -> None:
    # Given a channel with parked posts, and a message redelivered after its worker died and
    # its turn lapsed (or a retry): its rank is its first enqueue time, older than theirs
    now_rank = int(time.time() * 1000) * 1000
    turns.admit("big", "m1", _encoded("m1"))
    turns.admit("big", "m2", _encoded("m2"))
    turns.admit("big", "m3", _encoded("m3"), rank=str(now_rank))
    turns.admit("big", "m4", _encoded("m4"), rank=str(now_rank + 1))
    assert not turns.admit("big", "old", _encoded("old"), rank=str(now_rank - 60_000_000))
    # Then it is handed the next turn, before the posts that came after it
    [first] = turns.hand_on("big", "m1")
    assert first.message_id == "old"


def test_a_job_ranks_by_its_first_enqueue_time(turns: ChannelTurns) -> None:
    import dramatiq

    from pinterest_agent.queues.jobs.turns import Turn

    turns.admit("big", "m1", _encoded("m1"))
    turns.admit("big", "m2", _encoded("m2"))
    turns.admit("big", "m3", _encoded("m3"))  # parked now
    old = dramatiq.Message(queue_name="q", actor_name="publish_post", args=({},), kwargs={},
                           options={}, message_id="old",
                           message_timestamp=int(time.time() * 1000) - 60_000)
    from contextlib import ExitStack

    with ExitStack() as stack:
        assert not Turn(turns, old, stack).take("big")
    assert turns.hand_on("big", "m1")[0].message_id == "old"


def test_a_post_due_now_names_its_channel_before_the_full_decode() -> None:
    import json

    from pinterest_agent.queues.jobs.publish import due_channel

    now = time.time()
    assert due_channel({"channel_id": "shop"}, now_s=now) == "shop"
    assert due_channel(json.dumps({"channel_id": "shop"}), now_s=now) == "shop"
    soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
    later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 3600))
    assert due_channel({"channel_id": "shop", "scheduled_at": soon}, now_s=now) == "shop"
    assert due_channel({"channel_id": "shop", "scheduled_at": later}, now_s=now) is None
    # malformed: no early turn; the decode then says what is wrong
    for bad in ({"channel_id": "a/b"}, {"channel_id": 7}, "not json", [1, 2], b"\xff"):
        assert due_channel(bad, now_s=now) is None
    assert due_channel({"channel_id": "shop", "scheduled_at": "tomorrow"}, now_s=now) == "shop"


def test_parked_posts_next_in_line_have_their_links_preflighted() -> None:
    import json

    import dramatiq

    from pinterest_agent.queues.jobs.preflight_ahead import parked_preflight

    links: list[str] = []
    hook = parked_preflight(links.append)

    def body(payload: object, actor: str = "publish_post") -> bytes:
        return bytes(dramatiq.Message(queue_name="q", actor_name=actor, args=(payload,),
                                      kwargs={}, options={}).encode())

    hook(body({"link": "https://shop.example/a", "channel_id": "shop"}))
    hook(body(json.dumps({"link": "https://shop.example/b"})))
    hook(body({"link": "https://shop.example/c"}, actor="update_pin"))  # not a post
    hook(body({"link": "https://shop.example/d", "scheduled_at": "2999-01-01T00:00:00Z"}))
    hook(b"\xff not json")
    hook(b"{" * 300_000)
    assert links == ["https://shop.example/a", "https://shop.example/b"]


def test_the_redis_broker_acknowledges_what_the_divert_hook_took_and_runs_the_rest(
        runtime: Runtime, fresh_sandbox: SandboxServer) -> None:
    from pinterest_agent.queues.jobs.actors import build_broker, declare_actors

    broker = build_broker(runtime.settings, runtime.redis_client)
    declare_actors(broker, runtime)
    queue = runtime.settings.queue_publisher
    for index in range(3):
        enqueue_publish(broker, runtime.settings, post_payload(fresh_sandbox, f"v-{index}"))
    taken: list[str] = []

    def divert(name: str, fetched: list[tuple[str, Any, bytes]]) -> set[str]:
        taken.append(fetched[0][0])  # the first one is stored elsewhere (parked)
        return {fetched[0][0]}

    broker.divert = divert
    bodies = broker.do_fetch(queue, 3)
    assert len(bodies) == 2
    ns = runtime.settings.broker_namespace
    acks = {m.decode() for m in runtime.redis_client.smembers(
        f"{ns}:__acks__.{broker.broker_id}.{queue}")}
    assert taken[0] not in acks and len(acks) == 2
    assert runtime.redis_client.hget(f"{ns}:{queue}.msgs", taken[0]) is None


def test_a_fetched_batch_of_a_backlogged_channel_parks_in_one_round_trip(
        turns: ChannelTurns) -> None:
    import json

    dispatch = FairDispatch(turns, lambda message: None)
    turns.admit("big", "r1", _encoded("r1"))
    turns.admit("big", "r2", _encoded("r2"))
    with ExitStack() as stack:  # the actor parks one: the channel is backlogged here now
        from pinterest_agent.queues.jobs.turns import Turn

        assert not Turn(turns, _message("r3", {"channel_id": "big"}), stack,
                        dispatch._parked).take("big")
    assert dispatch.parking("big") and not dispatch.parking("small")
    batch = [(f"redis-{i}", json.loads(_message(f"f{i}", payload).encode()),
              _message(f"f{i}", payload).encode())
             for i, payload in enumerate([{"channel_id": "big"}, {"channel_id": "small"},
                                          {"channel_id": "big"}, "not a post"])]
    assert dispatch.divert("q", batch) == {"redis-0", "redis-2"}
    [waiting] = turns.waiting(["big"])
    assert waiting.parked == 3
    assert dispatch.divert("other-queue", batch) == set()


def _message(message_id: str, payload: object) -> Any:
    import dramatiq

    return dramatiq.Message(queue_name="q", actor_name="publish_post", args=(payload,),
                            kwargs={}, options={}, message_id=message_id)
