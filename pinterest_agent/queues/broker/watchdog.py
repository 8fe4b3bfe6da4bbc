"""A worker whose threads died must not look alive.

Dramatiq's consumer threads keep sending heartbeats while the process lives, so a process whose
worker threads all died (a bug, a poison message that slipped past the envelope check) would hold
its fetched messages forever while serving nothing: Redis never hands them to another worker.
:class:`ThreadWatchdog` checks the worker's threads every ``interval_s`` while it runs; when one
has died it logs one clear CRITICAL line and calls ``on_dead``, which by default ends the process
with :data:`EXIT_THREAD_DIED`. The Dramatiq CLI then stops the other processes and exits with that
code, a supervisor restarts the worker, and the dead process's messages are redelivered.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

import dramatiq
from dramatiq.middleware import Middleware

from pinterest_agent.queues.broker.brokers import worker_threads

__all__ = ["DEFAULT_INTERVAL_S", "EXIT_THREAD_DIED", "ThreadWatchdog"]

log = logging.getLogger(__name__)

EXIT_THREAD_DIED = 70
"""Exit status of a worker process that lost a thread (EX_SOFTWARE)."""
DEFAULT_INTERVAL_S = 2.0


def _exit(code: int) -> None:  # pragma: no cover - exercised in a subprocess test
    logging.shutdown()
    os._exit(code)


class ThreadWatchdog(Middleware):  # type: ignore[misc]
    def __init__(
        self, *, interval_s: float = DEFAULT_INTERVAL_S,
        on_dead: Callable[[int], None] = _exit,
    ) -> None:
        self.interval_s = interval_s
        self.on_dead = on_dead
        self._stop = threading.Event()

    def after_worker_boot(self, broker: dramatiq.Broker, worker: Any) -> None:
        self._stop.clear()
        threading.Thread(target=self._watch, args=(worker,), name="thread-watchdog",
                         daemon=True).start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: Any) -> None:
        self._stop.set()

    def _watch(self, worker: Any) -> None:
        while not self._stop.wait(self.interval_s):
            dead = [thread for thread in worker_threads(worker) if not thread.is_alive()]
            if dead and not self._stop.is_set():
                log.critical(
                    "%d of this worker's threads died (%s); exiting with status %d so that a "
                    "supervisor restarts it and its unfinished messages are redelivered",
                    len(dead), ", ".join(sorted({type(t).__name__ for t in dead})),
                    EXIT_THREAD_DIED,
                )
                self.on_dead(EXIT_THREAD_DIED)
                return
