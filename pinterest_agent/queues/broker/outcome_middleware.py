"""Dramatiq middleware that records what happened to every job that did not succeed.

It is installed *before* ``Retries`` in the middleware list; Dramatiq runs ``after_*`` hooks in
reverse order, so by the time this runs, ``Retries`` has decided whether the message is retried
or failed (and so kept in the dead-letter queue). Each actor registers a recorder that knows how
to name the job's subject (post id, brief id, channel id) from its message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import dramatiq
from dramatiq.middleware import Middleware

from pinterest_agent.observability.metrics import count_dead_letter
from pinterest_agent.queues.broker.retrying import store_or_wait

__all__ = ["FailureRecorder", "OutcomeMiddleware"]

log = logging.getLogger(__name__)

FailureRecorder = Callable[[dramatiq.Message, BaseException, bool], None]
"""``(message, exception, final)``: final is True when the message was dead-lettered."""


class OutcomeMiddleware(Middleware):  # type: ignore[misc]
    def __init__(self) -> None:
        self._recorders: dict[str, FailureRecorder] = {}

    def register(self, actor_name: str, recorder: FailureRecorder) -> None:
        self._recorders[actor_name] = recorder

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: dramatiq.Message,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        if exception is None:
            return
        final = bool(getattr(message, "failed", False))
        if final:
            count_dead_letter(message.actor_name)
        # "in flight", "channel busy", "rate limited": expected states, not failures; recorders
        # see them (the ledger learns when the next attempt is due) but record no failure.
        recorder = self._recorders.get(message.actor_name)
        if recorder is None:
            return
        try:  # a Redis outage is waited out: the message is acked only once its fate is stored
            store_or_wait(lambda: recorder(message, exception, final),
                          what=f"the outcome of message {message.message_id}")
        except Exception:  # recording must never take the worker down
            log.exception("could not record the outcome of message %s", message.message_id)
