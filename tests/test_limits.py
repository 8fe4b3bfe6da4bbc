"""Per-channel write slots and the analytics throttle, on real Redis across threads."""

from __future__ import annotations

import threading
import time
from contextlib import ExitStack
from typing import Any

import pytest
import redis

from agents.publisher import ChannelBusyError
from queues.limits import AnalyticsThrottle, AtomicRedisBackend, ChannelWriteSlots
from queues.renewal import Renewer

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
