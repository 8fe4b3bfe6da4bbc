"""Publisher throughput vs a bare Dramatiq actor making the same HTTP request, same run.

Both sides run N jobs through real Redis and real Dramatiq worker threads against the same local
sandbox (started here, on loopback). The bare actor only POSTs the Pin; the publisher also
validates, leases the business key, preflights the destination link, takes a write slot,
reconciles state, records the ledger and the outcome, and emits the event. Prints jobs/s of
each and the ratio (target: publisher >= 0.7x bare).

    python benchmarks/publish_overhead.py [--jobs 300] [--threads 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import dramatiq
import httpx
import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from providers.sandbox.server import SandboxServer
from queues.actors import build_broker, declare_actors
from queues.enqueue import enqueue_message
from queues.runtime import Runtime
from tests.conftest import make_settings

REDIS_URL = "redis://127.0.0.1:6379/0"


def post_payload(sandbox: SandboxServer, post_id: str, board_id: str) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "post_id": post_id,
        "platform": "pinterest",
        "channel_id": "bench",
        "board_id": board_id,
        "title": "Linen summer dress with pockets, breathable everyday style",
        "description": "A breathable linen summer dress with deep pockets for warm days.",
        "link": f"{sandbox.https_base_url}/_sandbox/pages/dress-{post_id}",
        "alt_text": "A light blue linen dress",
        "media": {"type": "image_url", "url": f"{sandbox.base_url}/_sandbox/images/dress.jpg"},
    }


def pin_body(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "board_id": payload["board_id"],
        "title": payload["title"],
        "description": payload["description"],
        "link": payload["link"],
        "alt_text": payload["alt_text"],
        "media_source": {"source_type": "image_url", "url": payload["media"]["url"]},
    }


def wait_until(probe: Any, timeout_s: float = 600.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not probe():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark jobs did not finish")
        time.sleep(0.005)


def run_publisher(sandbox: SandboxServer, jobs: int, threads: int) -> float:
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    settings = make_settings(prefix, sandbox, preflight_ca_file=sandbox.ca_file)
    client: redis.Redis[bytes] = redis.Redis.from_url(REDIS_URL)
    runtime = Runtime.build(settings, redis_client=client)
    seeded = sandbox.state.seed_account("bench_user")
    from pydantic import SecretStr

    from agents.ports import ChannelCredentials

    runtime.store.credentials.put(ChannelCredentials(
        channel_id="bench", access_token=SecretStr(seeded.access_token),
        refresh_token=SecretStr(seeded.refresh_token), expires_at=time.time() + 30 * 86400,
        default_board_id=seeded.board_id,
    ))
    broker = build_broker(settings, client)
    declare_actors(broker, runtime)
    broker.emit_after("process_boot")
    payloads = [post_payload(sandbox, f"p{i}-{prefix}", seeded.board_id) for i in range(jobs)]
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=20)
    started = time.perf_counter()
    for payload in payloads:
        enqueue_message(broker, queue=settings.queue_publisher, actor="publish_post",
                        payload=payload)
    worker.start()
    last = payloads[-1]["post_id"]

    def done() -> bool:
        outcome = runtime.store.outcomes.get("post", last)
        if outcome is None:
            return False
        return all(
            (runtime.store.outcomes.get("post", p["post_id"]) or {}).get("status") == "published"
            for p in payloads
        )

    wait_until(done)
    elapsed = time.perf_counter() - started
    worker.stop()
    failures = [p["post_id"] for p in payloads
                if (runtime.store.outcomes.get("post", p["post_id"]) or {}).get("status")
                != "published"]
    assert not failures, failures
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        client.delete(key)
    runtime.close()
    return jobs / elapsed


def run_bare(sandbox: SandboxServer, jobs: int, threads: int) -> float:
    prefix = f"bench-bare-{uuid.uuid4().hex[:8]}"
    client: redis.Redis[bytes] = redis.Redis.from_url(REDIS_URL)
    settings = make_settings(prefix, sandbox)
    broker = build_broker(settings, client)
    seeded = sandbox.state.seed_account("bench_bare_user")
    http = httpx.Client(base_url=sandbox.api_base, timeout=30.0,
                        limits=httpx.Limits(max_connections=64, max_keepalive_connections=32))
    counter = f"{prefix}:done"

    def bare_publish(payload: dict[str, Any]) -> None:
        response = http.post("/pins", json=pin_body(payload),
                             headers={"Authorization": f"Bearer {seeded.access_token}"})
        response.raise_for_status()
        client.incr(counter)

    dramatiq.actor(bare_publish, broker=broker, queue_name="bench-bare", max_retries=0)
    broker.emit_after("process_boot")
    payloads = [post_payload(sandbox, f"b{i}-{prefix}", seeded.board_id) for i in range(jobs)]
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=20)
    started = time.perf_counter()
    for payload in payloads:
        enqueue_message(broker, queue="bench-bare", actor="bare_publish", payload=payload)
    worker.start()
    wait_until(lambda: int(client.get(counter) or 0) >= jobs)
    elapsed = time.perf_counter() - started
    worker.stop()
    http.close()
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        client.delete(key)
    return jobs / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.WARNING)
    bare: list[float] = []
    publisher: list[float] = []
    with SandboxServer(https=True) as sandbox:
        run_bare(sandbox, 20, args.threads)  # warm up both paths
        run_publisher(sandbox, 20, args.threads)
        for round_no in range(args.rounds):  # alternate so drift hits both sides alike
            bare.append(run_bare(sandbox, args.jobs, args.threads))
            publisher.append(run_publisher(sandbox, args.jobs, args.threads))
            print(f"round {round_no + 1}: bare {bare[-1]:7.1f} jobs/s   "
                  f"publisher {publisher[-1]:7.1f} jobs/s   ratio {publisher[-1] / bare[-1]:.2f}")
    b, p = statistics.median(bare), statistics.median(publisher)
    print(f"\n{args.jobs} jobs x {args.rounds} rounds, {args.threads} worker threads, one sandbox")
    print(f"bare Dramatiq actor (POST /pins only): {b:7.1f} jobs/s (median)")
    print(f"publisher (full exactly-once path):    {p:7.1f} jobs/s (median)")
    print(f"ratio publisher/bare: {p / b:.2f}  (target >= 0.70)")


if __name__ == "__main__":
    main()
