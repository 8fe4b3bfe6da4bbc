"""The weekly insights trigger on real Redis: once per period, however many schedulers run.

Clocks are fake and stepped by hand; nothing here waits on wall-clock time except the liveness
deadline of the ``run_forever`` test.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import redis

from pinterest_agent.queues.jobs.scheduler import WeeklyTrigger
from tests.helpers import wait_for

pytestmark = pytest.mark.redis

CHANNELS = ["shop", "bakery", "studio"]
MONDAY_6 = datetime(2024, 6, 10, 6, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Enqueued:
    """Thread-safe record of (instant the clock showed, channel) pairs."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lock = threading.Lock()
        self.items: list[tuple[datetime, str]] = []

    def __call__(self, channel_id: str) -> None:
        with self.lock:
            self.items.append((self.clock.now, channel_id))

    def channels(self) -> Counter[str]:
        with self.lock:
            return Counter(channel for _, channel in self.items)


def trigger(
    redis_server: redis.Redis[bytes], prefix: str, clock: Clock, enqueued: Enqueued,
    channels: list[str] = CHANNELS,
) -> WeeklyTrigger:
    return WeeklyTrigger(
        redis_server, cron="0 6 * * 1", key_prefix=prefix, enqueue=enqueued,
        list_channels=lambda: list(channels), clock=clock, poll_interval_s=0.01,
    )


def tick_together(*schedulers: WeeklyTrigger) -> list[int]:
    """Run every scheduler's ``tick`` in its own thread, released at the same moment."""
    barrier = threading.Barrier(len(schedulers))
    counts: list[int] = []

    def tick(scheduler: WeeklyTrigger) -> None:
        barrier.wait()
        counts.append(scheduler.tick())

    threads = [threading.Thread(target=tick, args=(s,)) for s in schedulers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return counts


def test_two_schedulers_trigger_each_channel_once_per_period(
    redis_server: redis.Redis[bytes], prefix: str
) -> None:
    # Given two schedulers sharing Redis (and a clock just after Monday 06:00)
    clock = Clock(MONDAY_6 + timedelta(seconds=5))
    enqueued = Enqueued(clock)
    first = trigger(redis_server, prefix, clock, enqueued)
    second = trigger(redis_server, prefix, clock, enqueued)
    for week in range(3):
        clock.now = MONDAY_6 + timedelta(weeks=week, seconds=5)
        before = len(enqueued.items)
        # When both tick at the same moment, and again later in the week
        counts = tick_together(first, second)
        clock.now += timedelta(days=3)
        assert first.tick() == 0 and second.tick() == 0
        # Then every channel was enqueued exactly once this period
        this_week = Counter(channel for _, channel in enqueued.items[before:])
        assert this_week == Counter(CHANNELS)
        assert sum(counts) == len(CHANNELS)


def test_before_the_first_instant_of_a_new_period_nothing_fires_again(
    redis_server: redis.Redis[bytes], prefix: str
) -> None:
    clock = Clock(MONDAY_6 + timedelta(minutes=1))
    enqueued = Enqueued(clock)
    scheduler = trigger(redis_server, prefix, clock, enqueued)
    assert scheduler.tick() == 3
    clock.now = MONDAY_6 + timedelta(days=6, hours=23, minutes=59)  # Monday 05:59 next week
    assert scheduler.tick() == 0
    clock.now = MONDAY_6 + timedelta(weeks=1)  # exactly the next instant
    assert scheduler.tick() == 3


def test_a_scheduler_restarted_after_a_missed_period_triggers_it_once(
    redis_server: redis.Redis[bytes], prefix: str
) -> None:
    # Given a scheduler that fired in week 0 and then was down for weeks 1 and 2
    clock = Clock(MONDAY_6 + timedelta(minutes=1))
    enqueued = Enqueued(clock)
    assert trigger(redis_server, prefix, clock, enqueued).tick() == 3
    # When a new scheduler process starts on Wednesday of week 2
    clock.now = MONDAY_6 + timedelta(weeks=2, days=2)
    restarted = trigger(redis_server, prefix, clock, enqueued)
    fired = restarted.tick()
    # Then the missed period (week 2's Monday) fires once, at once; week 1 is not replayed
    assert fired == 3
    assert restarted.tick() == 0
    assert enqueued.channels() == Counter({channel: 2 for channel in CHANNELS})
    assert redis_server.exists(restarted.period_key(MONDAY_6 + timedelta(weeks=2)) + ":done")
    assert not redis_server.exists(restarted.period_key(MONDAY_6 + timedelta(weeks=1)) + ":done")


def test_a_failed_enqueue_is_retried_by_the_next_tick_without_duplicates(
    redis_server: redis.Redis[bytes], prefix: str
) -> None:
    # Given a broker that fails on the second channel once
    clock = Clock(MONDAY_6 + timedelta(minutes=1))
    enqueued = Enqueued(clock)
    failures = {"bakery": 1}

    def flaky(channel_id: str) -> None:
        if failures.get(channel_id):
            failures[channel_id] -= 1
            raise ConnectionError("broker unreachable")
        enqueued(channel_id)

    scheduler = WeeklyTrigger(
        redis_server, key_prefix=prefix, enqueue=flaky, list_channels=lambda: list(CHANNELS),
        clock=clock,
    )
    # When a tick fails half-way and the next tick runs
    with pytest.raises(ConnectionError):
        scheduler.tick()
    assert scheduler.tick() == 2
    # Then each channel was enqueued once in all
    assert enqueued.channels() == Counter(CHANNELS)


def test_a_channel_connected_mid_period_is_picked_up_until_the_period_is_done(
    redis_server: redis.Redis[bytes], prefix: str
) -> None:
    clock = Clock(MONDAY_6 + timedelta(minutes=1))
    enqueued = Enqueued(clock)
    channels = ["shop"]
    scheduler = trigger(redis_server, prefix, clock, enqueued, channels)
    assert scheduler.tick() == 1
    channels.append("bakery")
    assert scheduler.tick() == 0  # the period is done: the new channel waits for next week
    clock.now += timedelta(weeks=1)
    assert scheduler.tick() == 2


def test_run_forever_ticks_until_stopped(redis_server: redis.Redis[bytes], prefix: str) -> None:
    clock = Clock(MONDAY_6 + timedelta(minutes=1))
    enqueued = Enqueued(clock)
    scheduler = trigger(redis_server, prefix, clock, enqueued)
    stop = threading.Event()
    thread = threading.Thread(target=scheduler.run_forever, args=(stop,), daemon=True)
    thread.start()
    wait_for(lambda: len(enqueued.items) == 3)
    clock.now += timedelta(weeks=1)
    wait_for(lambda: len(enqueued.items) == 6)
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert enqueued.channels() == Counter({channel: 2 for channel in CHANNELS})


def test_an_invalid_cron_expression_is_a_clear_error(redis_server: redis.Redis[bytes]) -> None:
    with pytest.raises(ValueError, match="insights_cron"):
        WeeklyTrigger(redis_server, cron="every monday", key_prefix="x", enqueue=print,
                      list_channels=list)
