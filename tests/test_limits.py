"""Per-channel write slots and the analytics throttle, on real Redis across threads."""

from __future__ import annotations

import threading
import time
from contextlib import ExitStack
from typing import Any

import pytest
import redis

from pinterest_agent.agents.publisher import ChannelBusyError
from pinterest_agent.queues.stores.limits import (
    AnalyticsThrottle,
    AtomicRedisBackend,
    ChannelWriteSlots,
)
from pinterest_agent.queues.stores.renewal import Renewer

pytestmark = pytest.mark.redis


def _slots(client: redis.Redis[bytes], prefix: str, **options: Any) -> ChannelWriteSlots:
    options = {"limit": 3, "ttl_ms": 10_000, "wait_s": 0.2, **options}
    return ChannelWriteSlots(client, Renewer(client), prefix=prefix, **options)


def test_a_channel_holds_at_most_limit_write_slots(
    redis_server: redis.Redis[bytes], prefix: str
) -> None:
    slots = _slots(redis_server, prefix)
    other_process = _slots(redis_server, prefix)
    with ExitStack() as held:
        for _ in range(2):
            held.enter_context(slots("shop"))
        held.enter_context(other_process("shop"))  # the limit is shared through Redis
        with pytest.raises(ChannelBusyError) as info:
            held.enter_context(slots("shop"))
        assert info.value.code == "channel_busy"
        with other_process("elsewhere"):  # other channels are not affected
            pass
    with slots("shop"):  # released on exit
        pass


def test_waiters_get_a_slot_when_one_frees(
    redis_server: redis.Redis[bytes], prefix: str
) -> None:
    slots = _slots(redis_server, prefix, limit=1, wait_s=10)
    inside = threading.Event()
    release = threading.Event()
    order: list[str] = []

    def first() -> None:
        with slots("shop"):
            inside.set()
            release.wait(5)
            order.append("first")

    thread = threading.Thread(target=first)
    thread.start()
    inside.wait(5)
    release.set()
    with slots("shop"):
        order.append("second")
    thread.join()
    assert order == ["first", "second"]


def test_a_dead_holders_slot_frees_within_its_ttl_under_steady_traffic(
    redis_server: redis.Redis[bytes], prefix: str
) -> None:
    # Given workers killed while holding two of the channel's 3 slots (never released)
    ttl_ms = 1_000
    slots = _slots(redis_server, prefix, ttl_ms=ttl_ms, wait_s=0.05)
    for killed in ("killed-1", "killed-2"):  # taken like any slot, then never renewed
        assert slots._take(keys=[slots.key("shop")], args=[killed, 3, ttl_ms])
    # When steady traffic takes and releases slots for longer than the TTL
    deadline = time.monotonic() + 3 * ttl_ms / 1000
    while time.monotonic() < deadline:
        with slots("shop"):
            pass
    # Then the dead holders' slots are gone: 3 creates can run at once again
    with ExitStack() as three:
        for _ in range(3):
            three.enter_context(slots("shop"))
        assert slots.holders("shop") == 3


def test_a_live_holder_keeps_its_slot_past_the_ttl(
    redis_server: redis.Redis[bytes], prefix: str
) -> None:
    slots = _slots(redis_server, prefix, limit=1, ttl_ms=300, wait_s=0.05)
    with slots("shop"):
        time.sleep(1.0)  # three TTLs: renewed meanwhile
        other = _slots(redis_server, prefix, limit=1, ttl_ms=300, wait_s=0.05)
        with pytest.raises(ChannelBusyError), other("shop"):
            pass
    assert slots.holders("shop") == 0


def test_analytics_throttle_counts_per_category(
    redis_server: redis.Redis[bytes], prefix: str
) -> None:
    throttle = AnalyticsThrottle(AtomicRedisBackend(client=redis_server), prefix=prefix,
                                 channel_id="shop", per_minute=2, wait_s=0.3)
    for _ in range(2):
        with throttle("org_analytics"):
            pass
    with pytest.raises(ChannelBusyError), throttle("org_analytics"):
        pass
    with throttle("org_read"):  # a separate budget
        pass


def test_a_slot_goes_straight_to_a_waiting_thread_of_the_same_process(
    redis_server: redis.Redis[bytes], prefix: str
) -> None:
    # Given one slot held by a thread while another thread of the same process waits for it
    slots = _slots(redis_server, prefix, limit=1, wait_s=5)
    inside, release = threading.Event(), threading.Event()
    holders: list[str] = []

    def first() -> None:
        with slots("shop") as slot:
            holders.append(slot.holder)
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=first)
    thread.start()
    inside.wait(5)
    waiter = threading.Thread(target=lambda: holders.append(_hold_once(slots)))
    waiter.start()
    while slots._state("shop").waiting == 0:  # the second thread queues in-process
        time.sleep(0.005)
    # When the first thread is done
    release.set()
    thread.join()
    waiter.join()
    # Then the second got the same Redis slot: no release, no wake-up, no second holder
    assert holders[0] == holders[1]
    assert redis_server.llen(slots.wake_key("shop")) == 1  # only the last one's release
    assert slots.holders("shop") == 0


def _hold_once(slots: ChannelWriteSlots) -> str:
    with slots("shop") as slot:
        assert slots.holders("shop") == 1
        return slot.holder


def test_a_busy_process_lets_another_process_have_a_slot(
    redis_server: redis.Redis[bytes], prefix: str
) -> None:
    # Given a process whose two threads keep the channel's only slot busy, handing it over
    busy = _slots(redis_server, prefix, limit=1, wait_s=5)
    other_process = _slots(redis_server, prefix, limit=1, wait_s=5)
    stop = threading.Event()

    def keep_busy() -> None:
        while not stop.is_set():
            with busy("shop"):
                time.sleep(0.005)

    workers = [threading.Thread(target=keep_busy) for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        # When another process asks for a slot (the default hand-over window)
        with other_process("shop") as slot:
            got = slot.holder
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    # Then it gets one within its wait, not ChannelBusyError
    assert got


def test_hand_overs_never_exceed_the_limit_across_processes(
    redis_server: redis.Redis[bytes], prefix: str
) -> None:
    processes = [_slots(redis_server, prefix, limit=2, wait_s=10) for _ in range(2)]
    lock = threading.Lock()
    inside = {"now": 0, "most": 0, "done": 0}

    def work(slots: ChannelWriteSlots) -> None:
        for _ in range(25):
            with slots("shop"):
                with lock:
                    inside["now"] += 1
                    inside["most"] = max(inside["most"], inside["now"])
                assert slots.holders("shop") <= 2
                time.sleep(0.001)
                with lock:
                    inside["now"] -= 1
                    inside["done"] += 1

    threads = [threading.Thread(target=work, args=(slots,)) for slots in processes
               for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert inside["done"] == 250
    assert inside["most"] <= 2
    assert processes[0].holders("shop") == 0


def test_a_slot_passed_on_after_the_write_reaches_the_waiting_thread_at_once(
    redis_server: redis.Redis[bytes], prefix: str
) -> None:
    # Given one slot held by a thread while another thread of the same process waits for it
    slots = _slots(redis_server, prefix, limit=1, wait_s=5)
    inside, second_inside = threading.Event(), threading.Event()
    firsts: list[object] = []
    seen: dict[str, Any] = {}

    def holder() -> None:
        with slots("shop") as slot:
            seen["holder"] = slot.holder
            assert not slot.handed_over  # taken from Redis
            inside.set()
            while slots._state("shop").waiting == 0:
                time.sleep(0.005)
            # When its write is done it passes the slot on, before recording anything
            seen["passed"] = slot.pass_on()
            seen["second ran while the first was inside"] = second_inside.wait(5)

    def waiter() -> None:
        def first(slot: object) -> bool:
            firsts.append(slot)  # its own claim, made before it waits in-process
            return False

        with slots("shop", first=first) as slot:
            seen["waiter"], seen["handed_over"] = slot.holder, slot.handed_over
            second_inside.set()

    thread = threading.Thread(target=holder)
    thread.start()
    inside.wait(5)
    other = threading.Thread(target=waiter)
    other.start()
    thread.join()
    other.join()
    # Then the waiter ran with the same Redis slot while the first was still in its block
    assert seen["passed"] and seen["second ran while the first was inside"]
    assert seen["waiter"] == seen["holder"] and seen["handed_over"]
    assert firsts == [None]  # told it would wait in-process: no slot to take with its claim
    assert redis_server.llen(slots.wake_key("shop")) == 1  # only the last holder's release
    assert slots.holders("shop") == 0


def test_a_slot_is_not_passed_on_when_nobody_waits(
    redis_server: redis.Redis[bytes], prefix: str
) -> None:
    slots = _slots(redis_server, prefix, limit=2)
    with slots("shop") as slot:
        assert not slot.pass_on()
    assert slots.holders("shop") == 0
    assert slots._state("shop").active == 0


def test_a_free_slot_is_taken_by_the_first_call(
    redis_server: redis.Redis[bytes], prefix: str
) -> None:
    slots = _slots(redis_server, prefix, limit=1)
    given: list[object] = []

    def first(slot: Any) -> bool:
        given.append(slot)
        return bool(slots._take_slot(slot))  # as the ledger's claim script does, with its mark

    with slots("shop", first=first) as slot:
        assert given == [slot] and slots.holders("shop") == 1
    assert slots.holders("shop") == 0


def test_redis_gone_when_a_slot_is_freed_gives_the_place_back(
    redis_server: redis.Redis[bytes], prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a process whose release fails (Redis gone for a moment)
    slots = _slots(redis_server, prefix, limit=1)

    def gone(*args: Any, **kwargs: Any) -> None:
        raise redis.ConnectionError("Redis is restarting")

    with pytest.raises(redis.ConnectionError), slots("shop"):
        monkeypatch.setattr(slots, "_release", gone)
    monkeypatch.undo()
    # Then its in-process place is back (the Redis slot lapses there on its own)
    assert slots._state("shop").active == 0
    redis_server.delete(slots.key("shop"))
    with slots("shop"):
        pass
