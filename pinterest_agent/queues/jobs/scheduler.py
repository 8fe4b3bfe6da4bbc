"""The weekly insights trigger: one ``InsightsRequest`` per channel per scheduled instant.

``pinterest-agent scheduler`` runs :meth:`WeeklyTrigger.run_forever`; any number of schedulers may
run against the same Redis, on any machines. Each tick:

1. takes the most recent scheduled instant at or before now (cron, UTC, default Monday 06:00);
2. returns at once if that instant's ``done`` key exists (the period has fired);
3. for every connected channel, claims ``{prefix}:scheduler:{name}:{instant}:{channel}`` with
   ``SET NX`` and enqueues the channel only when the claim is its own;
4. marks the instant ``done``.

So each channel is enqueued once per period however many schedulers tick at once, and a
scheduler that died half-way leaves its unclaimed channels to the next tick of any scheduler
(a claim whose enqueue raised is released for the same reason). Because the instant is
"the most recent one", a scheduler started after a missed instant (restart, outage) fires that
period once, as soon as it starts; periods missed before it are not replayed, since only the
latest insight matters. A first start on a fresh Redis therefore fires the current period at
once, which is what an operator installing the worker expects.

Keys expire after two periods (at least a day). The cron expression is a setting
(``insights_cron``); the clock must return aware datetimes (UTC is used for the schedule).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from croniter import croniter

__all__ = [
    "DEFAULT_CRON", "DEFAULT_POLL_INTERVAL_S", "RedisLike", "WeeklyTrigger", "utc_now",
]

log = logging.getLogger(__name__)

DEFAULT_CRON = "0 6 * * 1"
"""Monday 06:00 UTC."""
DEFAULT_POLL_INTERVAL_S = 30.0
"""``run_forever`` looks at the clock at least this often (and wakes at each instant)."""
MIN_KEY_TTL = timedelta(days=1)
_EPSILON = timedelta(microseconds=1)


class RedisLike(Protocol):
    """The three commands the trigger uses (``redis.Redis`` has them)."""

    def exists(self, *names: str) -> Any: ...

    def set(self, name: str, value: str, *, nx: bool = ..., px: int | None = ...) -> Any: ...

    def delete(self, *names: str) -> Any: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


class WeeklyTrigger:
    """Enqueue every channel once per cron period, safe with many schedulers running."""

    def __init__(
        self,
        redis: RedisLike,
        *,
        cron: str = DEFAULT_CRON,
        key_prefix: str,
        enqueue: Callable[[str], None],
        list_channels: Callable[[], list[str]],
        clock: Callable[[], datetime] = utc_now,
        name: str = "insights",
        poll_interval_s: float = DEFAULT_POLL_INTERVAL_S,
    ) -> None:
        if not croniter.is_valid(cron):
            raise ValueError(
                f"invalid cron expression {cron!r} (insights_cron); expected five fields such as "
                f"{DEFAULT_CRON!r}"
            )
        if poll_interval_s <= 0:
            raise ValueError("poll_interval_s must be positive")
        self._redis = redis
        self.cron = cron
        self._base = f"{key_prefix}:scheduler:{name}"
        self._enqueue = enqueue
        self._list_channels = list_channels
        self._clock = clock
        self._poll_interval_s = poll_interval_s
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"

    # -- the schedule --------------------------------------------------------------------------

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("clock() must return an aware datetime")
        return now.astimezone(UTC)

    def scheduled_instant(self, now: datetime | None = None) -> datetime:
        """The most recent scheduled instant at or before ``now``."""
        moment = now.astimezone(UTC) if now is not None else self._now()
        previous: datetime = croniter(self.cron, moment + _EPSILON).get_prev(datetime)
        return previous

    def next_instant(self, now: datetime | None = None) -> datetime:
        """The first scheduled instant after ``now``."""
        moment = now.astimezone(UTC) if now is not None else self._now()
        following: datetime = croniter(self.cron, moment).get_next(datetime)
        return following

    def period_key(self, instant: datetime) -> str:
        """The key naming one scheduled instant (``...:2024-06-10T06:00Z``)."""
        return f"{self._base}:{instant.astimezone(UTC):%Y-%m-%dT%H:%MZ}"

    # -- firing --------------------------------------------------------------------------------

    def tick(self) -> int:
        """Fire the most recent instant if it has not fired; returns channels enqueued here."""
        instant = self.scheduled_instant()
        period = self.period_key(instant)
        done = f"{period}:done"
        if self._redis.exists(done):
            return 0
        ttl_ms = self._ttl_ms(instant)
        enqueued = 0
        for channel_id in dict.fromkeys(self._list_channels()):
            claim = f"{period}:{channel_id}"
            if not self._redis.set(claim, self.owner, nx=True, px=ttl_ms):
                continue
            try:
                self._enqueue(channel_id)
            except BaseException:
                self._redis.delete(claim)  # let the next tick (here or elsewhere) retry it
                raise
            enqueued += 1
        self._redis.set(done, self.owner, nx=True, px=ttl_ms)
        if enqueued:
            log.info("insights trigger fired for %s: %d channel(s) enqueued by %s",
                     instant.isoformat(), enqueued, self.owner)
        return enqueued

    def _ttl_ms(self, instant: datetime) -> int:
        period = self.next_instant(instant) - instant
        return int(max(2 * period, MIN_KEY_TTL).total_seconds() * 1000)

    def run_forever(self, stop_event: threading.Event) -> None:
        """Tick until ``stop_event`` is set, waking at each instant and every poll interval.

        A failing tick (Redis or the broker unreachable) is logged and tried again at the next
        wake-up; the scheduler itself never dies of it.
        """
        log.info("insights scheduler %s running, cron %r (UTC)", self.owner, self.cron)
        while not stop_event.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("insights trigger tick failed; retrying in %.0fs",
                              self._poll_interval_s)
            now = self._now()
            until_next = (self.next_instant(now) - now).total_seconds()
            stop_event.wait(max(min(self._poll_interval_s, until_next), 0.0) or 0.001)
        log.info("insights scheduler %s stopped", self.owner)
