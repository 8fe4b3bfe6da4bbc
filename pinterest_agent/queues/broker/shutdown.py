"""At worker shutdown, in-flight reads of job-supplied URLs end at once.

On SIGTERM Dramatiq's worker process calls ``Worker.stop``, which emits ``before_worker_shutdown``
and then joins every worker thread (``--worker-shutdown-timeout``, 10 minutes by default). A
thread in a request is freed by that request's total deadline at the latest
(:mod:`providers.deadlines`); :class:`AbortReadsAtShutdown` does not wait for it where that is
safe: the link preflights, source and video fetches (reads, safe to repeat) are cut off and end
as their transient errors, so their messages are retried by the next worker. Pinterest and LLM
requests are left to finish within their deadlines: a write cut off mid-way would leave its
outcome unknown.

The abort is process-wide, as a Dramatiq worker process runs one worker.
"""

from __future__ import annotations

import logging
from typing import Any

import dramatiq
from dramatiq.middleware import Middleware

from pinterest_agent.providers.deadlines import abort_reads

__all__ = ["SHUTDOWN_REASON", "AbortReadsAtShutdown"]

log = logging.getLogger(__name__)

SHUTDOWN_REASON = "the worker is shutting down; the job is retried by another worker"


class AbortReadsAtShutdown(Middleware):  # type: ignore[misc]
    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: Any) -> None:
        aborted = abort_reads(SHUTDOWN_REASON)
        if aborted:
            log.info("shutdown: cut off %d in-flight fetch(es) of job-supplied URLs", aborted)
