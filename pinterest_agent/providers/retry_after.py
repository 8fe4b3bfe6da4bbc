"""The one reader of ``Retry-After`` (RFC 9110 section 10.2.3), for Pinterest and for links and
sources alike.

``Retry-After`` is either *delta-seconds* (``1*DIGIT``, ASCII digits only) or an *HTTP-date*.
Anything else (a sign, an exponent, ``nan``, ``inf``, superscript or other Unicode digits,
garbage) is ignored: the header is treated as absent. One tolerance beyond the RFC: an ASCII
decimal fraction (``0.5``), which some servers and the local sandbox send.

The result is always a finite number of seconds within ``[0, cap_s]``: a date in the past is 0,
a huge number (even 400 digits) is ``cap_s``. Whether a wait that long is worth waiting is the
caller's decision (the worker's rate-limit budget, ``queues.broker.retrying``).
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime

__all__ = ["MAX_RETRY_AFTER_S", "delta_seconds", "parse_retry_after"]

MAX_RETRY_AFTER_S = 7 * 24 * 3600.0
"""The default cap: a week, far past any budget, so callers see "too long" rather than a
number of seconds that overflows."""

_DELTA = re.compile(r"[0-9]+(?:\.[0-9]+)?", re.ASCII)
_MAX_DIGITS = 15
"""More integer digits than this is beyond any cap (10^15 s is 30 million years)."""


def delta_seconds(text: str, *, cap_s: float = MAX_RETRY_AFTER_S) -> float | None:
    """*text* read as ASCII delta-seconds (optionally with a fraction) within ``[0, cap_s]``;
    ``None`` for anything else."""
    text = text.strip()
    if _DELTA.fullmatch(text) is None:
        return None
    whole = text.split(".", 1)[0].lstrip("0")
    if len(whole) > _MAX_DIGITS:
        return cap_s
    return min(float(text), cap_s)


def parse_retry_after(
    value: str | None, *, now: datetime, cap_s: float = MAX_RETRY_AFTER_S
) -> float | None:
    """``Retry-After`` as seconds from *now* (delta-seconds or an HTTP-date), within
    ``[0, cap_s]``; ``None`` when absent or unreadable."""
    if value is None or not value.strip():
        return None
    seconds = delta_seconds(value, cap_s=cap_s)
    if seconds is not None:
        return seconds
    if not value.isascii():
        return None
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        wait = (when - now).total_seconds()
    except OverflowError:
        return None
    return min(max(wait, 0.0), cap_s)
