"""How the worker's error kinds map onto Dramatiq's ``Retries`` middleware.

- ``PermanentError`` / ``ConfigurationError``: the actor's ``throws`` option; failed at once, the
  message kept in the dead-letter queue.
- ``RateLimitedError``: ``Retry(delay=...)`` using the platform's hint when it gave one.
- Expected waits (another attempt in flight, all write slots busy): :class:`Busy`, a ``Retry``
  with a short jittered delay and a large budget of its own, logged at INFO, never as an error.
- Any other exception (``TransientError``, network, a bug): retried with exponential backoff
  up to ``max_retries``.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import dramatiq

from agents.publisher import ChannelBusyError, PublishInFlightError
from providers.errors import ConfigurationError, PermanentError, RateLimitedError

__all__ = [
    "BUSY_RETRY_BUDGET",
    "PERMANENT",
    "Busy",
    "as_retry",
    "is_control_flow",
    "retry_policy",
]

PERMANENT = (PermanentError, ConfigurationError)
BUSY_RETRY_BUDGET = 500
DEFAULT_RATE_LIMIT_DELAY_MS = 10_000


class Busy(dramatiq.Retry):  # type: ignore[misc]
    """An expected wait; retried soon without counting as a failure."""


def is_control_flow(exc: BaseException) -> bool:
    return isinstance(exc, Busy)


def as_retry(exc: BaseException) -> BaseException:
    """Translate expected waits and rate limits into Dramatiq ``Retry`` exceptions."""
    if isinstance(exc, PublishInFlightError | ChannelBusyError):
        return Busy(str(exc), delay=int(500 + random.random() * 1500))
    if isinstance(exc, RateLimitedError):
        hint = exc.retry_after_s
        delay = int(hint * 1000) if hint else DEFAULT_RATE_LIMIT_DELAY_MS
        jittered = int(delay * (1 + random.random() / 4))
        retry: BaseException = dramatiq.Retry(str(exc), delay=jittered)
        return retry
    return exc


def retry_policy(max_retries: int) -> Callable[[int, BaseException], bool]:
    """A ``retry_when`` predicate for actors: ``(retries_so_far, exception) -> retry?``."""

    def retry_when(retries: int, exc: BaseException) -> bool:
        if isinstance(exc, PERMANENT):
            return False
        if isinstance(exc, Busy):
            return retries < BUSY_RETRY_BUDGET
        return retries < max_retries

    return retry_when
