"""Per-channel write slots on Dramatiq's Redis-backed concurrent rate limiter.

Pinterest answers 429 when "multiple write operations are applied to an object within a short
time window", so each channel gets at most ``limit`` creates in flight across every worker
process. A job that cannot get a slot within ``wait_s`` raises :class:`ChannelBusyError`, which
the actor turns into a delayed retry (control flow, not a failure).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager

from dramatiq.rate_limits import ConcurrentRateLimiter
from dramatiq.rate_limits.backends import RedisBackend

from agents.publisher import ChannelBusyError

__all__ = ["ChannelWriteSlots"]

DEFAULT_WAIT_S = 5.0
POLL_S = 0.02


class ChannelWriteSlots:
    def __init__(
        self,
        backend: RedisBackend,
        *,
        prefix: str,
        limit: int,
        ttl_ms: int,
        wait_s: float = DEFAULT_WAIT_S,
    ) -> None:
        self._backend = backend
        self._prefix = prefix
        self._limit = limit
        self._ttl_ms = ttl_ms
        self._wait_s = wait_s

    def limiter(self, channel_id: str) -> ConcurrentRateLimiter:
        key = f"{self._prefix}:write-slots:{channel_id}"
        return ConcurrentRateLimiter(self._backend, key, limit=self._limit, ttl=self._ttl_ms)

    @contextmanager
    def __call__(self, channel_id: str) -> Iterator[None]:
        limiter = self.limiter(channel_id)
        deadline = time.monotonic() + self._wait_s
        while True:
            with limiter.acquire(raise_on_failure=False) as acquired:
                if acquired:
                    yield
                    return
            if time.monotonic() >= deadline:
                raise ChannelBusyError(
                    f"all {self._limit} write slots of channel {channel_id!r} are busy",
                    channel_id=channel_id,
                )
            time.sleep(POLL_S * (1 + random.random()))
