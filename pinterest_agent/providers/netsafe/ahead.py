"""Destination-link preflights started ahead of the jobs that need them.

A worker fetches its next messages before a thread is free to run them; the worker's broker
hands each publish message's link to :meth:`PreflightAhead.submit` as it is fetched
(``queues.jobs.preflight_ahead``), so the link's preflight, a round trip to the merchant's site,
runs on a small pool of threads of its own while the job waits for a thread, and the job's own
check finds the verdict ready::

    submit(url)           passed already, or queued or running: nothing; the backlog full:
                          dropped (an optimisation only); else queued for the pool
    check_reachable(url)  passed already: done; running: wait for it (at most ``wait_s``);
                          queued, not started: taken back; then, unless it passed: checked
                          now, by the job's own thread

The job's own check stays the final gate: a failure is never remembered, so a job whose early
check failed asks again itself and fails (or passes) on its own answer, with its own error.
:meth:`submit` never raises and never blocks; the pool holds at most ``concurrency`` running
and ``backlog`` queued checks.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from typing import Protocol

__all__ = ["DEFAULT_BACKLOG", "DEFAULT_CONCURRENCY", "PreflightAhead", "ReachableChecks"]

DEFAULT_CONCURRENCY = 16
DEFAULT_BACKLOG = 256

log = logging.getLogger(__name__)


class ReachableChecks(Protocol):
    """The preflight with its remembered verdicts (``verdicts.CachedChecks``)."""

    def check_reachable(self, url: str) -> None: ...

    def reachable_passed(self, url: str) -> bool: ...


_Item = tuple[str, "Future[None]"]


class PreflightAhead:
    """A bounded pool that preflights links before their jobs run (see the module)."""

    def __init__(self, checks: ReachableChecks, *, wait_s: float,
                 concurrency: int = DEFAULT_CONCURRENCY, backlog: int = DEFAULT_BACKLOG) -> None:
        if concurrency < 1 or backlog < 1 or wait_s <= 0:
            raise ValueError("concurrency, backlog and wait_s must be positive")
        self._checks = checks
        self._wait_s = wait_s
        self._concurrency = concurrency
        self._queue: queue.Queue[_Item | None] = queue.Queue(maxsize=backlog)
        self._pending: dict[str, Future[None]] = {}
        """Queued or running, by URL: at most ``backlog + concurrency`` entries."""
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._closed = False
        self.dropped = 0
        """Links not queued because the backlog was full."""

    def submit(self, url: str) -> bool:
        """Queue *url*'s preflight unless it passed already, is queued or running, or the
        backlog is full; returns whether it was queued. Never raises, never blocks."""
        try:
            return self._submit(url)
        except Exception:  # an optimisation must not break the consumer that calls it
            log.exception("could not start a link preflight ahead of its job")
            return False

    def _submit(self, url: str) -> bool:
        if self._closed or self._checks.reachable_passed(url):
            return False
        with self._lock:
            if url in self._pending:
                return False
            future: Future[None] = Future()
            try:
                self._queue.put_nowait((url, future))
            except queue.Full:
                self.dropped += 1
                log.debug("link preflight backlog full: left to the job")
                return False
            self._pending[url] = future
            if len(self._threads) < self._concurrency:
                self._start_thread()
        return True

    def check_reachable(self, url: str) -> None:
        """The job's preflight: the early verdict when it passed, else the job's own check."""
        if self._checks.reachable_passed(url):
            return
        with self._lock:
            future = self._pending.get(url)
        if future is not None:
            if future.cancel():  # still queued: not worth waiting for the pool
                self._forget(url, future)
            elif self._passed(future):
                return
        self._checks.check_reachable(url)

    def _passed(self, future: Future[None]) -> bool:
        try:
            future.result(timeout=self._wait_s)
        except Exception:  # failed, or not done in time: the job's own check decides
            return False
        return True

    def pending(self) -> int:
        """Checks queued or running now."""
        with self._lock:
            return len(self._pending)

    def close(self) -> None:
        """Stop the pool: queued checks are cancelled, running ones end on their own."""
        with self._lock:
            self._closed = True
            threads = list(self._threads)
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                item[1].cancel()
                self._forget(*item)
        for _ in threads:
            try:
                self._queue.put(None, timeout=1.0)
            except queue.Full:
                break

    def _start_thread(self) -> None:
        """One more pool thread (called under the lock, with work queued for it)."""
        thread = threading.Thread(target=self._run, name=f"preflight-ahead-{len(self._threads)}",
                                  daemon=True)
        self._threads.append(thread)
        thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            url, future = item
            if not future.set_running_or_notify_cancel():
                continue  # the job took it back
            try:
                self._checks.check_reachable(url)
            except BaseException as exc:  # the job will ask again itself
                log.debug("link preflight ahead of its job failed: %s", type(exc).__name__)
                future.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
            else:
                future.set_result(None)
            finally:
                self._forget(url, future)

    def _forget(self, url: str, future: Future[None]) -> None:
        with self._lock:
            if self._pending.get(url) is future:
                del self._pending[url]
