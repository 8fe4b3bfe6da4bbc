"""The module Dramatiq's CLI imports (``pinterest-agent worker`` runs
``dramatiq pinterest_agent.queues.entry.worker``).

It builds the runtime from settings, makes the worker's broker the global one and declares the
actors on it.
"""

from __future__ import annotations

import logging

import dramatiq

from pinterest_agent.observability import tracing
from pinterest_agent.queues import logs
from pinterest_agent.queues.jobs.actors import build_broker, declare_actors
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import load_settings

settings = load_settings()
if settings.tracing_enabled and settings.tracing_exporter is not None:
    tracing.install(settings.tracing_exporter, settings.tracing_service_name)
runtime = Runtime.build(settings)
broker = build_broker(settings, runtime.redis_client)
dramatiq.set_broker(broker)
actors = declare_actors(broker, runtime)

logs.install()  # redact secrets (tracebacks included) and cap every record of this process
logs.quiet_http_clients()  # request lines carry full URLs (queries may hold tokens)
logging.getLogger("pika").setLevel(logging.WARNING)  # RabbitMQ: not every connection attempt
