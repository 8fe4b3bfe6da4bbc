"""Per-channel write slots, and the analytics request window.

Pinterest answers 429 when "multiple write operations are applied to an object within a short
time window", so each channel gets at most ``limit`` creates in flight across every worker
process (:class:`ChannelWriteSlots`: one slot per holder, each with a deadline, renewed while the
holder lives). A job that cannot get a slot within ``wait_s`` raises :class:`ChannelBusyError`,
which the actor turns into a delayed retry (control flow, not a failure). Analytics calls are
throttled per channel on Dramatiq's ``WindowRateLimiter`` (:class:`AnalyticsThrottle`).
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import redis
from dramatiq.rate_limits import RateLimiter, WindowRateLimiter
from dramatiq.rate_limits.backends import RedisBackend

from pinterest_agent.agents.ports import SlotHandle
from pinterest_agent.agents.publisher import ChannelBusyError
from pinterest_agent.queues.lua import load_script
from pinterest_agent.queues.stores.renewal import DEFAULT_CLAIM_TTL_MS, Claim, Renewer

__all__ = ["AnalyticsThrottle", "AtomicRedisBackend", "ChannelWriteSlots"]

DEFAULT_WAIT_S = 5.0
POLL_S = 0.002
MAX_POLL_S = 0.05

_LUA = "pinterest_agent.queues.stores"
_INCR = load_script(_LUA, "throttle_incr")
_DECR = load_script(_LUA, "throttle_decr")


class AtomicRedisBackend(RedisBackend):  # type: ignore[misc]
    """Dramatiq's Redis rate-limiter backend with ``incr``/``decr`` as one Lua call each.

    The stock backend implements them as WATCH/GET/MULTI/SET loops, which retry under
    contention; with several threads competing for one channel's slots that cost most of a
    publish's time (see ``benchmarks/publish_overhead.py``). Semantics are unchanged.
    """

    def __init__(self, *, client: object) -> None:
        super().__init__(client=client)
        self._incr = self.client.register_script(_INCR)
        self._decr = self.client.register_script(_DECR)

    def incr(self, key: str, amount: int, maximum: int, ttl: int) -> bool:
        return bool(self._incr(keys=[key], args=[amount, maximum, ttl]))

    def decr(self, key: str, amount: int, minimum: int, ttl: int) -> bool:
        return bool(self._decr(keys=[key], args=[amount, minimum, ttl]))


@contextmanager
def _hold(
    limiter: RateLimiter,
    deadline: float,
    busy: Callable[[], Exception],
    *,
    first_delay_s: float = POLL_S,
    max_delay_s: float = MAX_POLL_S,
) -> Iterator[None]:
    """Hold one unit of *limiter*, polling with jittered exponential backoff until *deadline*
    (``time.monotonic``), then raising ``busy()``."""
    delay_s = first_delay_s
    while True:
        with limiter.acquire(raise_on_failure=False) as acquired:
            if acquired:
                yield
                return
        if time.monotonic() >= deadline:
            raise busy()
        time.sleep(delay_s * (1 + random.random()))
        delay_s = min(delay_s * 2, max_delay_s)


_TAKE_SLOT = load_script(_LUA, "slots_take")

RELEASE_SLOT = load_script(_LUA, "slots_release")

WAKE_POLL_S = 0.5
"""A waiter re-checks the slots at least this often (a lapsed holder wakes nobody)."""


HAND_OVER_WINDOW_S = 0.5
"""A process passes a slot it holds straight to its own next waiting thread (no release, no new
take, no wake-up) for at most this long after taking it from Redis; then the slot is freed for
every process, so a busy process never keeps a channel's slots from the others."""


@dataclass
class _ChannelState:
    """One channel's slots as this process sees them (guarded by ``changed``)."""

    changed: threading.Condition = field(default_factory=threading.Condition)
    active: int = 0
    """Threads of this process holding a slot or taking one from Redis (at most the limit)."""
    waiting: int = 0
    """Threads of this process waiting for one of those places, or for a slot passed on."""
    spare: list[tuple[SlotHandle, float]] = field(default_factory=list)
    """Slots passed on and still held in Redis, for the next waiting thread: (handle, taken from
    Redis at)."""


class ChannelWriteSlots:
    """At most ``limit`` creates in flight per channel, across every worker process.

    Each slot belongs to one holder and lapses ``ttl_ms`` after its last renewal (the live
    holder renews it through :class:`~queues.stores.renewal.Renewer`), so a killed worker's slot
    frees within ``ttl_ms`` however busy the channel is: taking a slot drops the lapsed ones. A
    holder that frees its slot pushes a token on the channel's wake-up list, where processes waiting
    for a slot block (``BLPOP``), so a freed slot is taken at once rather than at the next poll.

    At most ``limit`` threads of one process hold or try to take a slot in Redis; the others
    wait in-process. A holder whose write is done while another thread of its process waits
    passes the slot on (``SlotHandle.pass_on``, within :data:`HAND_OVER_WINDOW_S` of taking it
    from Redis): the waiting thread sends its create at once, with no Redis round trip, while the
    first one is still recording its Pin.
    """

    def __init__(
        self,
        client: redis.Redis[bytes],
        renewer: Renewer,
        *,
        prefix: str,
        limit: int,
        ttl_ms: int = DEFAULT_CLAIM_TTL_MS,
        wait_s: float = DEFAULT_WAIT_S,
        hand_over_window_s: float = HAND_OVER_WINDOW_S,
    ) -> None:
        self._client = client
        self._renewer = renewer
        self._prefix = prefix
        self._limit = limit
        self._ttl_ms = ttl_ms
        self._wait_s = wait_s
        self._hand_over_window_s = hand_over_window_s
        self._take = client.register_script(_TAKE_SLOT)
        self._release = client.register_script(RELEASE_SLOT)
        self._lock = threading.Lock()
        self._channels: dict[str, _ChannelState] = {}

    @property
    def limit(self) -> int:
        return self._limit

    def key(self, channel_id: str) -> str:
        return f"{self._prefix}:write-slots:{channel_id}"

    def wake_key(self, channel_id: str) -> str:
        return f"{self._prefix}:write-slots-freed:{channel_id}"

    def holders(self, channel_id: str) -> int:
        """Slots currently taken (lapsed ones included until the next take drops them)."""
        return int(self._client.zcard(self.key(channel_id)))

    def _state(self, channel_id: str) -> _ChannelState:
        with self._lock:
            state = self._channels.get(channel_id)
            if state is None:
                state = self._channels[channel_id] = _ChannelState()
            return state

    @contextmanager
    def __call__(
        self,
        channel_id: str,
        *,
        first: Callable[[SlotHandle | None], bool] | None = None,
        take: Callable[[SlotHandle], bool] | None = None,
    ) -> Iterator[SlotHandle]:
        state = self._state(channel_id)
        take = take or self._take_slot
        deadline = time.monotonic() + self._wait_s
        with state.changed:
            contend = not state.spare and state.active < self._limit
            if contend:
                state.active += 1
        if contend:
            handle, taken_at = self._new_handle(channel_id), None
            try:
                taken = (first or take)(handle)
            except BaseException:
                self._leave(state)
                raise
        else:  # no Redis traffic while this process's own threads hold every slot
            if first is not None:
                first(None)
            handle, taken_at = self._wait_in_process(state, channel_id, deadline)
            taken = taken_at is not None
        try:
            if not taken:
                self._take_or_wait(handle, deadline, channel_id, take)
        except BaseException:
            try:  # a take may have landed before its answer was lost
                self._free(handle)
            finally:
                self._leave(state)
            raise
        yield from self._hold(state, handle, taken_at)

    def _hold(self, state: _ChannelState, handle: SlotHandle,
              taken_at: float | None) -> Iterator[SlotHandle]:
        """Renew *handle* while the caller holds it; then pass it on, or free it."""
        handle.handed_over = taken_at is not None
        if taken_at is None:
            taken_at = time.monotonic()
        window_ends = taken_at + self._hand_over_window_s
        passed = False

        def pass_on() -> bool:
            nonlocal passed
            with state.changed:
                if (not passed and state.waiting > len(state.spare)
                        and time.monotonic() < window_ends):
                    state.spare.append((handle, taken_at))
                    state.active -= 1
                    state.changed.notify()
                    passed = True
            return passed

        handle.pass_on = pass_on
        try:
            with self._renewer.hold(Claim("slot", handle.key, handle.holder, self._ttl_ms)):
                yield handle
        finally:
            if not passed and (handle.released or not pass_on()):
                try:
                    if not handle.released:
                        self._free(handle)
                finally:  # Redis gone: the slot lapses there, and this process's place is back
                    self._leave(state)

    def _wait_in_process(self, state: _ChannelState, channel_id: str,
                         deadline: float) -> tuple[SlotHandle, float | None]:
        """A slot passed on by a thread of this process (and when it was taken from Redis), or
        a new holder once this process has a place to try Redis with."""
        unclaimed: list[tuple[SlotHandle, float]] = []
        try:
            with state.changed:
                state.waiting += 1
                try:
                    while True:
                        if state.spare:
                            state.active += 1
                            return state.spare.pop()
                        if state.active < self._limit:
                            state.active += 1
                            return self._new_handle(channel_id), None
                        left = deadline - time.monotonic()
                        if left <= 0:
                            raise self._busy(channel_id)
                        state.changed.wait(left)
                finally:
                    state.waiting -= 1
                    if not state.waiting:
                        unclaimed, state.spare = state.spare, []
        finally:  # passed on to a thread interrupted while waiting: free it for every process
            for handle, _ in unclaimed:
                self._free(handle)

    def _leave(self, state: _ChannelState) -> None:
        with state.changed:
            state.active -= 1
            state.changed.notify()

    def _new_handle(self, channel_id: str) -> SlotHandle:
        return SlotHandle(self.key(channel_id), uuid.uuid4().hex, limit=self._limit,
                          ttl_ms=self._ttl_ms, wake_key=self.wake_key(channel_id))

    def _free(self, handle: SlotHandle) -> None:
        self._release(keys=[handle.key, handle.wake_key], args=[handle.holder, self._limit])
        handle.released = True

    def _take_slot(self, handle: SlotHandle) -> bool:
        return bool(self._take(keys=[handle.key], args=[handle.holder, self._limit, self._ttl_ms]))

    def _take_or_wait(self, handle: SlotHandle, deadline: float, channel_id: str,
                      take: Callable[[SlotHandle], bool]) -> None:
        while not take(handle):
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._busy(channel_id)
            self._client.blpop([handle.wake_key], timeout=min(left, WAKE_POLL_S))

    def _busy(self, channel_id: str) -> ChannelBusyError:
        return ChannelBusyError(
            f"all {self._limit} write slots of channel {channel_id!r} are busy",
            channel_id=channel_id,
        )


class AnalyticsThrottle:
    """Per channel and rate-limit category (``org_analytics``, ``org_read``): at most
    ``per_minute`` requests in any 60-second window, on Dramatiq's Redis ``WindowRateLimiter``.

    Kept apart from the write slots, so a weekly insights run never delays publishing. A caller
    over the limit waits (up to ``wait_s``) rather than failing.
    """

    def __init__(
        self,
        backend: RedisBackend,
        *,
        prefix: str,
        channel_id: str,
        per_minute: int,
        wait_s: float = 90.0,
    ) -> None:
        self._backend = backend
        self._prefix = prefix
        self._channel_id = channel_id
        self._per_minute = per_minute
        self._wait_s = wait_s

    @contextmanager
    def __call__(self, category: str) -> Iterator[None]:
        key = f"{self._prefix}:api-window:{category}:{self._channel_id}"
        limiter = WindowRateLimiter(self._backend, key, limit=self._per_minute, window=60)
        deadline = time.monotonic() + self._wait_s
        with _hold(limiter, deadline, lambda: self._busy(category), first_delay_s=0.05,
                   max_delay_s=2.0):
            yield

    def _busy(self, category: str) -> ChannelBusyError:
        return ChannelBusyError(
            f"channel {self._channel_id!r} used its {self._per_minute} {category} "
            "requests per minute",
            channel_id=self._channel_id,
        )
