"""The module Dramatiq's CLI imports (``pinterest-agent worker`` runs ``dramatiq queues.entry``).

It builds the runtime from settings, makes the worker's broker the global one and declares the
actors on it.
"""

from __future__ import annotations

import logging

import dramatiq

from queues.actors import build_broker, declare_actors
from queues.logs import RedactSecrets
from queues.runtime import Runtime
from queues.settings import load_settings

settings = load_settings()
runtime = Runtime.build(settings)
broker = build_broker(settings, runtime.redis_client)
dramatiq.set_broker(broker)
actors = declare_actors(broker, runtime)

for _handler in logging.getLogger().handlers:
    _handler.addFilter(RedactSecrets())
for _noisy in ("httpx", "httpcore"):  # request lines carry full URLs (queries may hold tokens)
    logging.getLogger(_noisy).setLevel(logging.WARNING)
