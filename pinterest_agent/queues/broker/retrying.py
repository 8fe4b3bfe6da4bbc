"""How the worker's error kinds map onto Dramatiq's ``Retries`` middleware.

- ``PermanentError`` / ``ConfigurationError``: the actor's ``throws`` option; failed at once, the
  message kept in the dead-letter queue.
- ``RateLimitedError``: a :class:`RateLimitWait` after its ``retry_after_s`` hint (or a backoff),
  within the rate-limit budget (time, an hour by default). A wait that would end after the
  budget's end is not scheduled: the post fails ``rate_limited`` at once (a hint that long says
  the platform will not take it within the budget); a backoff or jitter that would overrun it is
  cut to the budget's end.
- Any other ``TransientError`` carrying ``retry_after_s`` (a link or source answering 429/503
  with ``Retry-After``, capped by the fetcher): ``Retry(delay=...)`` using that hint, never longer
  than :data:`MAX_HINT_DELAY_MS`.
- Expected waits, :class:`Wait` (``Retry`` subclasses logged at INFO, never as errors):
  :class:`Busy` (another attempt in flight, all write slots busy) after a short jittered delay,
  :class:`Settling` (an earlier attempt's create may still be applied: list the board again once
  it is settled) after the time left until then,
  :class:`VideoPending` (Pinterest still processing a video) after the poll interval, and
  :class:`StoreUnreachable` (Redis or the RabbitMQ broker not answering mid-job) after a short
  jittered delay, with no ``post.retrying`` and no failure spent. Each
  kind has a budget of its own, counted by :class:`WaitCounter` apart from failures, so polling
  a video for minutes does not use up the retries a real failure gets.
- Any other exception (``TransientError``, network, a bug): retried with exponential backoff
  up to ``max_retries``.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import dramatiq
import dramatiq.errors
import pika.exceptions
import redis
from dramatiq.middleware import Middleware, Retries

from pinterest_agent.agents.ports import TwinCreatingError
from pinterest_agent.agents.publisher import (
    ChannelBusyError,
    PublishInFlightError,
    PublishSettlingError,
)
from pinterest_agent.agents.video import VideoProcessingError
from pinterest_agent.errors import (
    ConfigurationError,
    PermanentError,
    RateLimitedError,
    TransientError,
    WorkerError,
)
from pinterest_agent.observability.metrics import count_wait

__all__ = [
    "BUSY_RETRY_BUDGET",
    "DEFAULT_VIDEO_POLL_DELAY_MS",
    "MAX_HINT_DELAY_MS",
    "PERMANENT",
    "STORE_WAIT_BUDGET",
    "Busy",
    "DurableRetries",
    "RateLimitWait",
    "Settling",
    "StoreUnreachable",
    "VideoPending",
    "Wait",
    "WaitCounter",
    "as_retry",
    "failure_cause",
    "is_control_flow",
    "rate_limit_backoff_ms",
    "retry_policy",
    "store_or_wait",
    "video_poll_budget",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

PERMANENT = (PermanentError, ConfigurationError)
BUSY_RETRY_BUDGET = 500
SETTLE_WAIT_BUDGET = 20
"""Settling waits one message may take: each lasts until the earlier create is settled (one is
enough unless a later attempt is cut off again), so this is a backstop."""
STORE_WAIT_BUDGET = 720
"""Waits for an unreachable Redis or broker before a job fails: an hour at
:data:`STORE_WAIT_DELAY_MS` (scheduling each retry itself waits for the store, so an outage
rarely spends more than a few)."""
STORE_WAIT_DELAY_MS = 5_000
DEFAULT_RATE_LIMIT_DELAY_MS = 10_000
MAX_RATE_LIMIT_DELAY_MS = 5 * 60_000
DEFAULT_RATE_LIMIT_BUDGET_S = 3600.0
DEFAULT_VIDEO_POLL_DELAY_MS = 10_000
MAX_HINT_DELAY_MS = int(DEFAULT_RATE_LIMIT_BUDGET_S * 1000)
"""The longest delay a transient failure's ``Retry-After`` may ask for (an hour)."""


class Wait(dramatiq.Retry):  # type: ignore[misc]
    """An expected wait; retried after ``delay`` without counting as a failure."""

    counter: ClassVar[str] = "waits"
    """The message option counting this kind of wait."""

    def __init__(self, message: str = "", *, delay: int) -> None:
        super().__init__(message, delay=delay)
        self.waits: int | None = None
        """Waits of this kind before this one (set by :class:`WaitCounter`)."""


class RateLimitWait(Wait):
    """The platform answered 429: wait (its ``Retry-After`` when it gave one, else an exponential
    backoff with jitter from the number of waits), within a budget counted in time, not tries."""

    counter = "rate_limit_waits"

    def __init__(self, message: str = "", *, delay: int | None, hint_ms: int | None = None
                 ) -> None:
        super().__init__(message, delay=delay if delay is not None else 0)
        self.hinted = delay is not None
        self.hint_ms = hint_ms if hint_ms is not None else delay
        """The platform's own hint, before jitter (``None`` without one)."""
        self.waited_ms: int | None = None
        """How long this message has been rate limited (set by :class:`WaitCounter`)."""
        self.exhausted: str | None = None
        """Why the budget refused this wait (set by :func:`retry_policy`), for the outcome."""

    def within(self, budget_ms: int) -> bool:
        """Whether this wait fits the budget: ``False`` (and :attr:`exhausted` says why) when it
        has been rate limited for the whole budget or its hint ends after the budget's end;
        otherwise its delay is cut to end by then."""
        waited = max(self.waited_ms or 0, 0)
        if waited >= budget_ms:
            self.exhausted = (f"rate limited for {waited / 1000:.0f} s, the whole rate-limit "
                              f"budget ({budget_ms / 1000:.0f} s)")
        elif self.hint_ms is not None and waited + self.hint_ms > budget_ms:
            self.exhausted = (f"the platform asked to wait {self.hint_ms / 1000:.0f} s, past the "
                              f"end of the rate-limit budget ({budget_ms / 1000:.0f} s, "
                              f"{waited / 1000:.0f} s used)")
        if self.exhausted is not None:
            return False
        delay: int = getattr(self, "delay", 0) or 0
        self.delay = max(0, min(delay, budget_ms - waited))
        return True


class Busy(Wait):
    """Another attempt of the post is in flight, the channel's write slots are taken, or a post
    of the same board, link and title has a create unsettled (``twin_creating``)."""

    counter = "busy_waits"


class Settling(Wait):
    """An earlier attempt's create of the post may still be applied: come back once it is
    settled, then list the board again before creating."""

    counter = "settle_waits"


class VideoPending(Wait):
    """Pinterest is still processing the post's video: poll again after the interval."""

    counter = "video_polls"


class StoreUnreachable(Wait):
    """Redis or the RabbitMQ broker did not answer during the job: an outage, not the job's
    failure. Tried again once the store answers, without spending a failure retry."""

    counter = "store_waits"


def _unreachable(exc: BaseException) -> BaseException | None:
    """The store outage behind *exc* (itself or a cause), if there is one."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, _UNREACHABLE):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def is_control_flow(exc: BaseException) -> bool:
    return isinstance(exc, Wait)


def failure_cause(exc: BaseException) -> BaseException:
    """What a failed message's outcome records: the error behind a ``Retry``, and for a rate
    limit past its budget that error with why the budget ended it."""
    cause = exc.__cause__ if isinstance(exc, dramatiq.Retry) and exc.__cause__ else exc
    if isinstance(exc, RateLimitWait) and exc.exhausted and isinstance(cause, WorkerError):
        return type(cause)(f"{cause.message} Not retried: {exc.exhausted}.", code=cause.code,
                           **cause.details)
    return cause


def as_retry(
    exc: BaseException, *, video_poll_delay_ms: int = DEFAULT_VIDEO_POLL_DELAY_MS
) -> BaseException:
    """Translate expected waits and rate limits into Dramatiq ``Retry`` exceptions."""
    if isinstance(exc, PublishSettlingError):
        return Settling(str(exc), delay=max(1, int(exc.retry_in_s * 1000)))
    if isinstance(exc, PublishInFlightError | ChannelBusyError | TwinCreatingError):
        return Busy(str(exc), delay=int(500 + random.random() * 1500))
    if isinstance(exc, VideoProcessingError):
        return VideoPending(str(exc), delay=video_poll_delay_ms)
    outage = _unreachable(exc) if not isinstance(exc, PERMANENT) else None
    if outage is not None:
        return StoreUnreachable(f"the store does not answer ({type(outage).__name__}: {outage})",
                                delay=int(STORE_WAIT_DELAY_MS * (0.5 + random.random())))
    if isinstance(exc, RateLimitedError):
        hint = _hint_ms(exc.retry_after_s)
        # Honour the hint, plus a little jitter so a channel's jobs do not come back in step.
        delay = _jittered(hint) if hint else None
        return RateLimitWait(str(exc), delay=delay, hint_ms=hint or None)
    hint = _hint_ms(_retry_after_s(exc))
    if hint:  # a transient failure whose server said when to come back (a 503 destination)
        retry: BaseException = dramatiq.Retry(
            str(exc), delay=min(_jittered(hint), MAX_HINT_DELAY_MS))
        return retry
    return exc


def _jittered(delay_ms: int) -> int:
    return int(delay_ms * (1 + random.random() / 4))


def _hint_ms(seconds: float | None) -> int | None:
    """A hint in milliseconds; ``None`` for none or one that is not a finite, non-negative
    number (the parser never yields one, a hand-built error might)."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return None
    return int(min(seconds, 10.0**12) * 1000)


def _retry_after_s(exc: BaseException) -> float | None:
    """The server's ``Retry-After`` hint on a transient error (429, 503...), if it gave one."""
    if not isinstance(exc, TransientError):
        return None
    value = exc.details.get("retry_after_s")
    return float(value) if isinstance(value, int | float) else None


def rate_limit_backoff_ms(waits: int, *, base_ms: int = DEFAULT_RATE_LIMIT_DELAY_MS,
                          cap_ms: int = MAX_RATE_LIMIT_DELAY_MS) -> int:
    """Without a hint: ``base * 2**waits`` capped, with full jitter between half and 1.5x."""
    return int(min(cap_ms, base_ms * 2 ** min(waits, 16)) * (0.5 + random.random()))


def video_poll_budget(*, processing_timeout_s: float, poll_interval_s: float,
                      max_retries: int) -> int:
    """Enough polls for every upload the retries allow to run its whole processing timeout: a
    backstop, since the timeout ends each upload's polling first."""
    per_upload = math.ceil(processing_timeout_s / poll_interval_s) + 1
    return (max_retries + 1) * per_upload + 10


def retry_policy(
    max_retries: int, *, video_poll_budget: int,
    rate_limit_budget_s: float = DEFAULT_RATE_LIMIT_BUDGET_S,
) -> Callable[[int, BaseException], bool]:
    """A ``retry_when`` predicate for actors: ``(failures_so_far, exception) -> retry?``.

    A wait is judged by its own count (:attr:`Wait.waits`, or ``failures_so_far`` when no
    :class:`WaitCounter` is installed); a rate limit by how long the message has been waiting
    and how long it is asked to wait (:meth:`RateLimitWait.within`: never past the budget).
    """

    def retry_when(retries: int, exc: BaseException) -> bool:
        if isinstance(exc, PERMANENT):
            return False
        if isinstance(exc, RateLimitWait):
            return exc.within(int(rate_limit_budget_s * 1000))
        if isinstance(exc, Wait):
            waits = exc.waits if exc.waits is not None else retries
            budget = (video_poll_budget if isinstance(exc, VideoPending)
                      else SETTLE_WAIT_BUDGET if isinstance(exc, Settling)
                      else STORE_WAIT_BUDGET if isinstance(exc, StoreUnreachable)
                      else BUSY_RETRY_BUDGET)
            return waits < budget
        return retries < max_retries

    return retry_when


class _StoreOrWait:
    """The broker, with an ``enqueue`` that keeps trying until the broker stores the message (a
    retry must never be lost to a Redis or RabbitMQ outage: the message it replaces is acked
    right after)."""

    def __init__(self, broker: Any, *, first_delay_s: float = 0.2, max_delay_s: float = 5.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._broker = broker
        self._first_delay_s = first_delay_s
        self._max_delay_s = max_delay_s
        self._sleep = sleep
        self.delay_ms: int | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._broker, name)

    def enqueue(self, message: Any, *, delay: int | None = None) -> Any:
        self.delay_ms = delay
        return store_or_wait(lambda: self._broker.enqueue(message, delay=delay),
                             what=f"the retry of message {message.message_id}",
                             first_delay_s=self._first_delay_s, max_delay_s=self._max_delay_s,
                             sleep=self._sleep)


_UNREACHABLE = (redis.ConnectionError, redis.TimeoutError, dramatiq.errors.BrokerConnectionError,
                pika.exceptions.AMQPConnectionError, pika.exceptions.AMQPChannelError)
"""Redis or RabbitMQ not answering (or RabbitMQ refusing to confirm a publish): wait it out."""


def store_or_wait(write: Callable[[], T], *, what: str, first_delay_s: float = 0.2,
                  max_delay_s: float = 5.0,
                  sleep: Callable[[float], None] = time.sleep) -> T:
    """Run *write* until Redis (or the RabbitMQ broker) accepts it, backing off while it is
    unreachable (logged once when it starts failing, once when it works again)."""
    delay_s = first_delay_s
    failures = 0
    while True:
        try:
            result = write()
        except _UNREACHABLE as exc:
            if failures == 0:
                log.warning("could not store %s (%s: %s); retrying until it is stored", what,
                            type(exc).__name__, exc)
            failures += 1
            sleep(delay_s)
            delay_s = min(delay_s * 2, max_delay_s)
            continue
        if failures:
            log.info("stored %s after %d failed tries", what, failures)
        return result


class DurableRetries(Retries):  # type: ignore[misc]
    """Dramatiq's ``Retries``, except that scheduling the retry waits out a broker outage (Redis
    or RabbitMQ) instead of failing: stock ``Retries`` logs the failed enqueue and the message
    is then acked, so the job is lost. When it schedules a retry it notes when
    (``options["retry_in_ms"]``) for the outcome recorder."""

    def after_process_message(self, broker: Any, message: Any, *, result: Any = None,
                              exception: BaseException | None = None) -> None:
        patient = _StoreOrWait(broker)
        super().after_process_message(patient, message, result=result, exception=exception)
        if patient.delay_ms is not None:
            message.options["retry_in_ms"] = patient.delay_ms


class WaitCounter(Middleware):  # type: ignore[misc]
    """Counts expected waits apart from failures, per kind, in the message's options.

    Add it *after* ``Retries`` (``after_*`` hooks run in reverse order, so it runs just before
    ``Retries`` decides). On a :class:`Wait` it bumps the message's counter for that kind, tells
    the exception how many came before, and takes one off ``retries``, which ``Retries`` then
    adds back: the failure count (``retries``) is what it was.
    """

    def after_process_message(
        self, broker: dramatiq.Broker, message: dramatiq.Message, *, result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        if not isinstance(exception, Wait):
            return
        options = message.options
        exception.waits = int(options.get(exception.counter, 0))
        options[exception.counter] = exception.waits + 1
        options["retries"] = int(options.get("retries", 0)) - 1
        if isinstance(exception, RateLimitWait):
            now_ms = int(time.time() * 1000)
            since = options.setdefault("rate_limited_since", now_ms)
            exception.waited_ms = now_ms - int(since)
            if not exception.hinted:
                exception.delay = rate_limit_backoff_ms(exception.waits)
        count_wait(exception.counter, int(getattr(exception, "delay", 0) or 0))
