"""How the worker's error kinds map onto Dramatiq's ``Retries`` middleware.

- ``PermanentError`` / ``ConfigurationError``: the actor's ``throws`` option; failed at once, the
  message kept in the dead-letter queue.
- ``RateLimitedError``, and any ``TransientError`` carrying ``retry_after_s`` (a link or source
  answering 429/503 with ``Retry-After``): ``Retry(delay=...)`` using that hint.
- Expected waits, :class:`Wait` (``Retry`` subclasses logged at INFO, never as errors):
  :class:`Busy` (another attempt in flight, all write slots busy) after a short jittered delay,
  and :class:`VideoPending` (Pinterest still processing a video) after the poll interval. Each
  kind has a budget of its own, counted by :class:`WaitCounter` apart from failures, so polling
  a video for minutes does not use up the retries a real failure gets.
- Any other exception (``TransientError``, network, a bug): retried with exponential backoff
  up to ``max_retries``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any, ClassVar

import dramatiq
from dramatiq.middleware import Middleware

from agents.publisher import ChannelBusyError, PublishInFlightError
from agents.video import VideoProcessingError
from providers.errors import ConfigurationError, PermanentError, RateLimitedError, TransientError

__all__ = [
    "BUSY_RETRY_BUDGET",
    "DEFAULT_VIDEO_POLL_DELAY_MS",
    "PERMANENT",
    "Busy",
    "VideoPending",
    "Wait",
    "WaitCounter",
    "as_retry",
    "is_control_flow",
    "retry_policy",
    "video_poll_budget",
]

PERMANENT = (PermanentError, ConfigurationError)
BUSY_RETRY_BUDGET = 500
DEFAULT_RATE_LIMIT_DELAY_MS = 10_000
DEFAULT_VIDEO_POLL_DELAY_MS = 10_000


class Wait(dramatiq.Retry):  # type: ignore[misc]
    """An expected wait; retried after ``delay`` without counting as a failure."""

    counter: ClassVar[str] = "waits"
    """The message option counting this kind of wait."""

    def __init__(self, message: str = "", *, delay: int) -> None:
        super().__init__(message, delay=delay)
        self.waits: int | None = None
        """Waits of this kind before this one (set by :class:`WaitCounter`)."""


class Busy(Wait):
    """Another attempt of the post is in flight, or the channel's write slots are taken."""

    counter = "busy_waits"


class VideoPending(Wait):
    """Pinterest is still processing the post's video: poll again after the interval."""

    counter = "video_polls"


def is_control_flow(exc: BaseException) -> bool:
    return isinstance(exc, Wait)


def as_retry(
    exc: BaseException, *, video_poll_delay_ms: int = DEFAULT_VIDEO_POLL_DELAY_MS
) -> BaseException:
    """Translate expected waits and rate limits into Dramatiq ``Retry`` exceptions."""
    if isinstance(exc, PublishInFlightError | ChannelBusyError):
        return Busy(str(exc), delay=int(500 + random.random() * 1500))
    if isinstance(exc, VideoProcessingError):
        return VideoPending(str(exc), delay=video_poll_delay_ms)
    hint = _retry_after_s(exc)
    if isinstance(exc, RateLimitedError) or hint:
        delay = int(hint * 1000) if hint else DEFAULT_RATE_LIMIT_DELAY_MS
        jittered = int(delay * (1 + random.random() / 4))
        retry: BaseException = dramatiq.Retry(str(exc), delay=jittered)
        return retry
    return exc


def _retry_after_s(exc: BaseException) -> float | None:
    """The server's ``Retry-After`` hint on a transient error (429, 503...), if it gave one."""
    if not isinstance(exc, TransientError):
        return None
    value = exc.details.get("retry_after_s")
    return float(value) if isinstance(value, int | float) else None


def video_poll_budget(*, processing_timeout_s: float, poll_interval_s: float,
                      max_retries: int) -> int:
    """Enough polls for every upload the retries allow to run its whole processing timeout: a
    backstop, since the timeout ends each upload's polling first."""
    per_upload = math.ceil(processing_timeout_s / poll_interval_s) + 1
    return (max_retries + 1) * per_upload + 10


def retry_policy(
    max_retries: int, *, video_poll_budget: int
) -> Callable[[int, BaseException], bool]:
    """A ``retry_when`` predicate for actors: ``(failures_so_far, exception) -> retry?``.

    A wait is judged by its own count (:attr:`Wait.waits`, or ``failures_so_far`` when no
    :class:`WaitCounter` is installed).
    """

    def retry_when(retries: int, exc: BaseException) -> bool:
        if isinstance(exc, PERMANENT):
            return False
        if isinstance(exc, Wait):
            waits = exc.waits if exc.waits is not None else retries
            budget = video_poll_budget if isinstance(exc, VideoPending) else BUSY_RETRY_BUDGET
            return waits < budget
        return retries < max_retries

    return retry_when


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
