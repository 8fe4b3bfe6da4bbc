"""The reconciler: no post is left unfinished by a broker or Redis hiccup.

Every post that began publishing has a ledger entry (its message kept) and sits in the ledger's
open set, due ``reconcile_after_s`` after its last attempt began or after its scheduled retry.
Once per ``reconcile_interval_s`` across all workers (a Redis claim per period), the reconciler
takes the overdue posts and, for each one no attempt holds (no live lease) and not yet
published, sends its stored message to the publisher queue again. The normal exactly-once path
does the rest: an earlier create that did go through is found on the board and adopted, never
made twice. Each re-drive is logged and announced as ``post.redriven``.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

import dramatiq
import redis
from dramatiq.middleware import Middleware

from pinterest_agent.agents.ids import is_id
from pinterest_agent.queues.runtime import Runtime

__all__ = ["Reconciler", "ReconcilerMiddleware"]

log = logging.getLogger(__name__)

Redrive = Callable[[dict[str, Any]], None]
"""Sends a post (its message as a dict) to the publisher queue."""


class Reconciler:
    def __init__(self, runtime: Runtime, redrive: Redrive, *, batch: int = 100) -> None:
        self._runtime = runtime
        self._redrive = redrive
        self._batch = batch
        self._interval_ms = int(runtime.settings.reconcile_interval_s * 1000)

    def _claim_period(self) -> bool:
        """One run per period across every worker."""
        key = f"{self._runtime.settings.key_prefix}:reconciler-claim"
        return bool(self._runtime.redis_client.set(key, "1", nx=True,
                                                   px=max(self._interval_ms - 50, 1)))

    def run_once(self, *, claim: bool = True) -> list[str]:
        """Re-drive the overdue posts no attempt holds; returns their ids."""
        if claim and not self._claim_period():
            return []
        ledger = self._runtime.store.ledger
        redriven: list[str] = []
        for post_id in ledger.overdue(limit=self._batch):
            if not is_id(post_id):  # never from a validated post; not made into more keys
                log.error("post id %r in the ledger is not a valid id; dropped", post_id[:80])
                ledger.close(post_id)
                continue
            entry = ledger.get(post_id)
            if entry is None or entry.state == "published":
                ledger.close(post_id)
                continue
            if ledger.lease_holder(post_id) is not None:  # an attempt is working on it
                ledger.reschedule(post_id, 0)
                continue
            message = ledger.message(post_id)
            if message is None:
                log.error("post %s is unfinished but its message was not kept; it cannot be "
                          "driven again (send it again)", post_id)
                ledger.close(post_id)
                continue
            self._redrive(json.loads(message))
            ledger.reschedule(post_id, 0)
            self._runtime.store.outcomes.announce(
                "post.redriven", post_id, {"state": entry.state,
                                           "note": "unfinished and not in progress: sent again"})
            log.warning("post %s was left %s with no attempt in progress; sent it again",
                        post_id, entry.state)
            redriven.append(post_id)
        return redriven


class ReconcilerMiddleware(Middleware):  # type: ignore[misc]
    """Runs :meth:`Reconciler.run_once` every ``reconcile_interval_s`` in each worker process
    (the claim makes it once per period overall)."""

    def __init__(self, reconciler: Reconciler, *, interval_s: float) -> None:
        self._reconciler = reconciler
        self._interval_s = interval_s
        self._stop = threading.Event()

    def after_worker_boot(self, broker: dramatiq.Broker, worker: Any) -> None:
        self._stop.clear()
        threading.Thread(target=self._run, name="reconciler", daemon=True).start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: Any) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self._reconciler.run_once()
            except redis.RedisError as exc:
                log.warning("reconciler run skipped: %s", exc)
            except Exception:
                log.exception("reconciler run failed")
