"""The bare side of ``publish_overhead.py``: a plain Dramatiq actor that makes the same
``POST /pins`` to the same sandbox and counts itself done. Run by Dramatiq's own CLI::

    python -m dramatiq bare_actor --path benchmarks --queues bench-bare

Configured by the benchmark through ``BENCH_*`` environment variables: Redis (the counter, and
the broker unless ``BENCH_BROKER_URL`` names a RabbitMQ), the queue, the sandbox and its token.
"""

from __future__ import annotations

import os
from typing import Any

import dramatiq
import httpx
import redis
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker

QUEUE = os.environ.get("BENCH_QUEUE", "bench-bare")

_client: redis.Redis[bytes] = redis.Redis.from_url(os.environ["BENCH_REDIS_URL"])
if os.environ.get("BENCH_BROKER_URL"):
    dramatiq.set_broker(RabbitmqBroker(url=os.environ["BENCH_BROKER_URL"]))
else:
    dramatiq.set_broker(RedisBroker(client=_client, namespace=os.environ["BENCH_NAMESPACE"]))
_http = httpx.Client(
    base_url=os.environ["BENCH_API_BASE"],
    timeout=30.0,
    limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
)
_headers = {"Authorization": f"Bearer {os.environ['BENCH_TOKEN']}"}
_counter = os.environ["BENCH_COUNTER"]


@dramatiq.actor(queue_name=QUEUE, max_retries=0)
def bare_publish(body: dict[str, Any]) -> None:
    _http.post("/pins", json=body, headers=_headers).raise_for_status()
    _client.incr(_counter)
