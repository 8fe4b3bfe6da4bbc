"""Per-channel write slots and the analytics throttle, on real Redis across threads."""

from __future__ import annotations

import threading
from contextlib import ExitStack

import pytest
import redis

from agents.publisher import ChannelBusyError
from queues.limits import AnalyticsThrottle, AtomicRedisBackend, ChannelWriteSlots

pytestmark = pytest.mark.redis


def test_a_channel_holds_at_most_limit_write_slots(
    redis_server: redis.Redis[bytes], prefix: str
) -> None:
    backend = AtomicRedisBackend(client=redis_server)
    slots = ChannelWriteSlots(backend, prefix=prefix, limit=3, ttl_ms=10_000, wait_s=0.2)
    other_process = ChannelWriteSlots(backend, prefix=prefix, limit=3, ttl_ms=10_000, wait_s=0.2)
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
    slots = ChannelWriteSlots(AtomicRedisBackend(client=redis_server), prefix=prefix, limit=1,
                              ttl_ms=10_000, wait_s=10)
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
