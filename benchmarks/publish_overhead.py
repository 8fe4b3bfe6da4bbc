"""Publisher throughput vs a bare Dramatiq actor making the same HTTP request, same run.

Both sides run N jobs through real Redis and real Dramatiq worker threads against the same local
sandbox, started here in its own process on loopback (as Pinterest would be: its work is not in
the worker's process). The publisher's destination-link preflight goes to a second local server
standing in for the merchant's site, as it would in production. The bare actor only POSTs the
Pin; the publisher also validates, leases the business key, reads and decrypts the channel's
credentials, preflights the destination link, takes a write slot, records the ledger and the
outcome, and emits the event. Prints jobs/s of each and the ratio (target: >= 0.7x bare).

    python benchmarks/publish_overhead.py [--jobs 300] [--threads 8] [--rounds 3] [--latency-ms 0]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import dramatiq
import httpx
import redis
from pydantic import SecretStr

from agents.ports import ChannelCredentials
from providers.sandbox.server import SandboxServer
from queues.actors import build_broker, declare_actors
from queues.enqueue import enqueue_message
from queues.runtime import Runtime
from queues.settings import Settings
from queues.store import SecretBox

REDIS_URL = "redis://127.0.0.1:6379/0"


class RemoteSandbox:
    """A sandbox in a child process; only its URLs cross over."""

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        ready: Any = ctx.Queue()
        self._process = ctx.Process(target=_serve_sandbox, args=(ready,), daemon=True)
        self._process.start()
        info = ready.get(timeout=60)
        self.base_url: str = info["base_url"]
        self.api_base: str = info["api_base"]
        self.https_base_url: str = info["https_base_url"]
        self.ca_file: str = info["ca_file"]
        self.app_id: str = info["app_id"]
        self.app_secret: str = info["app_secret"]

    def seed(self, username: str) -> dict[str, Any]:
        response = httpx.post(f"{self.base_url}/_sandbox/seed", json={"username": username})
        response.raise_for_status()
        seeded: dict[str, Any] = response.json()
        return seeded

    def set_latency(self, latency_ms: int) -> None:
        httpx.post(f"{self.base_url}/_sandbox/latency",
                   json={"latency_ms": latency_ms}).raise_for_status()

    def stop(self) -> None:
        self._process.terminate()
        self._process.join(5)


def _serve_sandbox(ready: Any) -> None:
    server = SandboxServer(https=True)
    ready.put({
        "base_url": server.base_url, "api_base": server.api_base,
        "https_base_url": server.https_base_url, "ca_file": str(server.ca_file),
        "app_id": server.state.app_id, "app_secret": server.state.app_secret,
    })
    server.serve_forever()


def bench_settings(
    prefix: str, sandbox: RemoteSandbox, site: RemoteSandbox | None = None
) -> Settings:
    return Settings(
        redis_url=REDIS_URL, key_prefix=prefix, broker_namespace=f"{prefix}-ns",
        events_stream=f"{prefix}:events", pinterest_api_base=sandbox.api_base,
        pinterest_app_id=sandbox.app_id, pinterest_app_secret=SecretStr(sandbox.app_secret),
        secret_key=SecretStr(SecretBox.generate_key()), allow_loopback_urls=True,
        preflight_ca_file=Path((site or sandbox).ca_file),
    )


def post_payload(
    sandbox: RemoteSandbox, post_id: str, board_id: str, site: RemoteSandbox | None = None
) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "post_id": post_id,
        "platform": "pinterest",
        "channel_id": "bench",
        "board_id": board_id,
        "title": "Linen summer dress with pockets, breathable everyday style",
        "description": "A breathable linen summer dress with deep pockets for warm days.",
        "link": f"{(site or sandbox).https_base_url}/_sandbox/pages/dress-{post_id}",
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


def run_publisher(
    sandbox: RemoteSandbox, site: RemoteSandbox, jobs: int, threads: int
) -> float:
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    settings = bench_settings(prefix, sandbox, site)
    client: redis.Redis[bytes] = redis.Redis.from_url(REDIS_URL)
    runtime = Runtime.build(settings, redis_client=client)
    seeded = sandbox.seed("bench_user")
    runtime.store.credentials.put(ChannelCredentials(
        channel_id="bench", access_token=SecretStr(seeded["access_token"]),
        refresh_token=SecretStr(seeded["refresh_token"]), expires_at=time.time() + 30 * 86400,
        default_board_id=seeded["board_id"],
    ))
    broker = build_broker(settings, client)
    declare_actors(broker, runtime)
    broker.emit_after("process_boot")
    payloads = [post_payload(sandbox, f"p{i}-{prefix}", seeded["board_id"], site)
                for i in range(jobs)]
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=20)
    started = time.perf_counter()
    for payload in payloads:
        enqueue_message(broker, queue=settings.queue_publisher, actor="publish_post",
                        payload=payload)
    worker.start()
    # every published post appends exactly one event: count them, cheaply
    wait_until(lambda: client.xlen(settings.events_stream) >= jobs)
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


def run_bare(sandbox: RemoteSandbox, jobs: int, threads: int) -> float:
    prefix = f"bench-bare-{uuid.uuid4().hex[:8]}"
    client: redis.Redis[bytes] = redis.Redis.from_url(REDIS_URL)
    settings = bench_settings(prefix, sandbox)
    broker = build_broker(settings, client)
    seeded = sandbox.seed("bench_bare_user")
    http = httpx.Client(base_url=sandbox.api_base, timeout=30.0,
                        limits=httpx.Limits(max_connections=64, max_keepalive_connections=32))
    counter = f"{prefix}:done"

    def bare_publish(payload: dict[str, Any]) -> None:
        response = http.post("/pins", json=pin_body(payload),
                             headers={"Authorization": f"Bearer {seeded['access_token']}"})
        response.raise_for_status()
        client.incr(counter)

    dramatiq.actor(bare_publish, broker=broker, queue_name="bench-bare", max_retries=0)
    broker.emit_after("process_boot")
    payloads = [post_payload(sandbox, f"b{i}-{prefix}", seeded["board_id"]) for i in range(jobs)]
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
    parser.add_argument("--latency-ms", type=int, default=0,
                        help="Added to every sandbox and site answer (real APIs take 50-300 ms).")
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.WARNING)
    bare: list[float] = []
    publisher: list[float] = []
    sandbox = RemoteSandbox()
    site = RemoteSandbox()
    try:
        sandbox.set_latency(args.latency_ms)
        site.set_latency(args.latency_ms)
        run_bare(sandbox, 20, args.threads)  # warm up both paths
        run_publisher(sandbox, site, 20, args.threads)
        for round_no in range(args.rounds):  # alternate so drift hits both sides alike
            bare.append(run_bare(sandbox, args.jobs, args.threads))
            publisher.append(run_publisher(sandbox, site, args.jobs, args.threads))
            print(f"round {round_no + 1}: bare {bare[-1]:7.1f} jobs/s   "
                  f"publisher {publisher[-1]:7.1f} jobs/s   ratio {publisher[-1] / bare[-1]:.2f}",
                  flush=True)
    finally:
        sandbox.stop()
        site.stop()
    b, p = statistics.median(bare), statistics.median(publisher)
    print(f"\n{args.jobs} jobs x {args.rounds} rounds, {args.threads} worker threads, one channel, "
          f"sandbox latency {args.latency_ms} ms")
    print(f"bare Dramatiq actor (POST /pins only): {b:7.1f} jobs/s (median)")
    print(f"publisher (full exactly-once path):    {p:7.1f} jobs/s (median)")
    print(f"ratio publisher/bare: {p / b:.2f}  (target >= 0.70)")


if __name__ == "__main__":
    main()
