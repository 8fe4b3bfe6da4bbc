"""Remembered verdicts of the fetcher's checks, so a link or a media host that passed a moment ago
is not looked up and requested again for every Pin that uses it.

:class:`CachedChecks` wraps a :class:`~providers.netsafe.fetcher.SafeFetcher`:

- ``check_reachable(url)``: a destination link that answered < 400 is trusted for ``ttl_s``
  (shops publish many Pins, and variations, to the same product page). Failures are never
  remembered: the next post asks again. With ``shared`` (:class:`SharedVerdicts`, the fleet's
  store), a link that passed in another process or on another machine less than ``ttl_s`` ago
  is trusted for what is left of its ``ttl_s``, and a link that passes here is told to it.
- ``check_link(url)`` / ``check_url(url, field)``: the URL's syntax is checked every time (it is
  cheap); the *addresses* its host resolves to are remembered per (scheme, host, port) for
  ``ttl_s`` once they passed the block policy. A host that failed is asked again every time.

Each process keeps its own bounded cache (``max_entries``, oldest dropped first), in front of
the shared one; ``ttl_s = 0`` turns caching off (both).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

from pinterest_agent.providers.netsafe.errors import UnsafeURLError
from pinterest_agent.providers.netsafe.fetcher import CheckedURL, SafeFetcher
from pinterest_agent.providers.netsafe.urls import parse_url

__all__ = ["DEFAULT_MAX_ENTRIES", "CachedChecks", "SharedVerdicts", "VerdictCache"]

DEFAULT_MAX_ENTRIES = 10_000


class VerdictCache:
    """Keys that passed a check, each until its expiry (thread-safe, bounded)."""

    def __init__(self, ttl_s: float, *, max_entries: int = DEFAULT_MAX_ENTRIES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_s = ttl_s
        self._max = max_entries
        self._clock = clock
        self._until: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def passed(self, key: str) -> bool:
        if self._ttl_s <= 0:
            return False
        with self._lock:
            until = self._until.get(key)
            if until is None:
                return False
            if until < self._clock():
                del self._until[key]
                return False
            return True

    def remember(self, key: str, *, for_s: float | None = None) -> None:
        """Trust *key* for ``ttl_s``, or for *for_s* when that is shorter (a verdict that
        passed elsewhere, some time ago)."""
        if self._ttl_s <= 0:
            return
        left_s = self._ttl_s if for_s is None else min(for_s, self._ttl_s)
        if left_s <= 0:
            return
        with self._lock:
            self._until[key] = self._clock() + left_s
            self._until.move_to_end(key)
            while len(self._until) > self._max:
                self._until.popitem(last=False)


class SharedVerdicts(Protocol):
    """Links that passed the preflight, shared by every worker (``queues.stores.verdicts`` keeps
    them in Redis). An optimisation only: an implementation answers ``None`` and forgets
    quietly when its store is unreachable."""

    def passed_for(self, url: str) -> float | None:
        """Seconds *url*'s passed verdict is still good for, or ``None``."""
        ...

    def remember(self, url: str, ttl_s: float) -> None:
        """*url* passed just now: trust it for *ttl_s*."""
        ...


class CachedChecks:
    def __init__(self, fetcher: SafeFetcher, *, ttl_s: float,
                 max_entries: int = DEFAULT_MAX_ENTRIES,
                 shared: SharedVerdicts | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._fetcher = fetcher
        self._ttl_s = ttl_s
        self._shared = shared if ttl_s > 0 else None
        self._reachable = VerdictCache(ttl_s, max_entries=max_entries, clock=clock)
        self._hosts = VerdictCache(ttl_s, max_entries=max_entries, clock=clock)

    def reachable_passed(self, url: str) -> bool:
        """Whether *url* passed the preflight here, within ``ttl_s`` (no request, no round
        trip)."""
        return self._reachable.passed(url)

    def check_reachable(self, url: str) -> None:
        if self._reachable.passed(url):
            return
        if self._shared is not None:
            left_s = self._shared.passed_for(url)
            if left_s is not None and left_s > 0:
                self._reachable.remember(url, for_s=left_s)
                return
        self._fetcher.check_reachable(url)
        self._reachable.remember(url)
        if self._shared is not None:
            self._shared.remember(url, self._ttl_s)

    def check_link(self, url: str) -> None:
        self._checked(url, lambda: self._fetcher.check_link(url))

    def check_url(self, url: str, field: str | None = None) -> None:
        self._checked(url, lambda: self._fetcher.check_url(url, field))

    def _checked(self, url: str, check: Callable[[], CheckedURL]) -> None:
        try:
            target = parse_url(url)
        except UnsafeURLError:  # the fetcher's own check raises it again, with its field
            check()
            raise
        key = f"{target.scheme}://{target.host}:{target.port}"
        if self._hosts.passed(key):
            return
        check()
        self._hosts.remember(key)
