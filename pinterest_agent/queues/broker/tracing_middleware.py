"""Dramatiq middleware that runs each job inside a consumer span continuing its producer's
trace (``traceparent`` in the message's options, W3C Trace Context), and puts the current
trace into the messages a job enqueues (the writer's hand-off to the publisher), so one
brief -> Pin is one trace. Spans cost nothing until a tracer provider is installed."""

from __future__ import annotations

import threading
from typing import Any

import dramatiq
from dramatiq.middleware import Middleware

from pinterest_agent.observability import tracing

__all__ = ["TracingMiddleware"]


class TracingMiddleware(Middleware):  # type: ignore[misc]
    def __init__(self, *, system: str) -> None:
        self._system = system
        self._local = threading.local()

    def before_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message,
                       delay: int | None) -> None:
        if "traceparent" not in message.options:  # a producer's own context is kept
            tracing.inject_into(message.options)

    def before_process_message(self, broker: dramatiq.Broker,
                               message: dramatiq.Message) -> None:
        self._local.job = tracing.begin_job(message.options, f"process {message.queue_name}", {
            "messaging.system": self._system,
            "messaging.operation.type": "process",
            "messaging.operation.name": "process",
            "messaging.destination.name": message.queue_name,
            "messaging.message.id": message.message_id,
            "dramatiq.actor": message.actor_name,
        })

    def after_process_message(self, broker: dramatiq.Broker, message: dramatiq.Message, *,
                              result: Any = None, exception: BaseException | None = None) -> None:
        job = getattr(self._local, "job", None)
        self._local.job = None
        if isinstance(exception, dramatiq.Retry):  # a wait, not a failure (STYLE.md 4)
            if job is not None:
                job.span.set_attribute("pinterest_agent.wait", type(exception).__name__)
            exception = None
        tracing.end_job(job, exception)

    after_skip_message = after_process_message
