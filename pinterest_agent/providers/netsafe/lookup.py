"""Host lookups that cannot outlive the caller's deadline.

``getaddrinfo`` takes no timeout: a resolver that does not answer holds the calling thread for
as long as the system's resolver configuration says (``timeout:`` times ``attempts:`` per name
server, and longer when it is broken). :class:`BoundedLookup` runs each lookup in a daemon
thread and waits at most what is left of the deadline in force
(:func:`providers.deadlines.current_deadline`), or *default_timeout_s* without one; a lookup
still running then is left to finish on its own and the caller gets ``TimeoutError``. At most
*max_pending* lookups run at once, so a resolver that hangs cannot pile up threads.
"""

from __future__ import annotations

import queue
import threading

from pinterest_agent.providers.deadlines import current_deadline
from pinterest_agent.providers.netsafe.guard import Resolver, system_resolver

__all__ = ["DEFAULT_LOOKUP_TIMEOUT_S", "DEFAULT_MAX_PENDING_LOOKUPS", "BoundedLookup"]

DEFAULT_LOOKUP_TIMEOUT_S = 10.0
"""How long a lookup may take when no deadline is in force."""
DEFAULT_MAX_PENDING_LOOKUPS = 16


class BoundedLookup:
    """A :data:`~providers.netsafe.guard.Resolver` that gives up at the deadline with
    ``TimeoutError`` (the guard reports it as ``HostLookupError``)."""

    def __init__(
        self,
        resolver: Resolver = system_resolver,
        *,
        default_timeout_s: float = DEFAULT_LOOKUP_TIMEOUT_S,
        max_pending: int = DEFAULT_MAX_PENDING_LOOKUPS,
    ) -> None:
        self._resolve = resolver
        self._default_timeout_s = default_timeout_s
        self._slots = threading.BoundedSemaphore(max_pending)

    def __call__(self, host: str, port: int) -> list[str]:
        bound = current_deadline()
        timeout = bound.left_s() if bound is not None else self._default_timeout_s
        described = (f"the lookup {bound.describe()}" if bound is not None
                     else f"the lookup did not finish within {timeout:g} s")
        if not self._slots.acquire(timeout=timeout):
            raise TimeoutError(f"{described} (too many lookups pending)")
        answer: queue.SimpleQueue[list[str] | BaseException] = queue.SimpleQueue()

        def run() -> None:
            try:
                answer.put(self._resolve(host, port))
            except BaseException as exc:  # handed to the caller below
                answer.put(exc)
            finally:
                self._slots.release()

        threading.Thread(target=run, name="host-lookup", daemon=True).start()
        left = bound.left_s() if bound is not None else timeout
        try:
            result = answer.get(timeout=left)
        except queue.Empty:
            raise TimeoutError(described) from None
        if isinstance(result, BaseException):
            raise result
        return result
