"""Publisher throughput vs a bare Dramatiq actor making the same HTTP request, same run.

Both sides are real Dramatiq worker processes (``python -m dramatiq``, the same ``--processes``
and ``--threads``) on the same broker (``--broker redis``, or ``rabbitmq`` on
``127.0.0.1:5672``, queues named for the run and deleted afterwards; Redis is the publisher's
store either way), publishing to the same local Pinterest sandbox, which runs in its own process
on loopback as Pinterest would. The publisher's destination-link preflight goes
to a second local server standing in for the merchant's site. The bare actor
(``benchmarks/bare_actor.py``) only POSTs the Pin and counts itself done; the publisher
(``pinterest-agent worker``'s ``queues.entry.worker``) validates, leases the business key, reads and
decrypts the channel's credentials, preflights the link over TLS, takes a write slot, creates,
records the ledger and the outcome, and emits the event. Each round warms both workers up, then
times N jobs from the first enqueue to the last done. Prints jobs/s of each and the ratio
(target: publisher >= 0.7x bare), and what each side cost in CPU per job over the timed jobs: its
worker processes (``/proc``, Linux), the Redis server (``INFO cpu``) and, on RabbitMQ, the
RabbitMQ server (``/proc``).

The defaults are what a catalog's Pins look like to the worker: every post links to its own
product page (``--links 0``: no preflight is ever reused) and every answer, the sandbox's and the
merchant site's, takes 50 ms (``--latency-ms 50``; real APIs take 50-300 ms). The posts are spread
over 8 channels (``--channels 8``): a channel has 3 write slots
(``PINTEREST_AGENT_PINTEREST_WRITE_CONCURRENCY``, Pinterest's limit on concurrent writes), so 8
channels give 24 slots for the 16 threads of 2 processes x 8, and the slots are not what caps the
publisher against a bare actor that has no such limit. ``--links 20 --latency-ms 0 --channels 1``
is the earlier benchmark (a shop's 20 product pages, on a machine that answers at once).

    python benchmarks/publish_overhead.py [--broker redis|rabbitmq] [--jobs 400] [--processes 2]
                                          [--threads 8] [--rounds 5] [--latency-ms 50]
                                          [--channels 8] [--links 0]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import redis
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from pydantic import SecretStr

from pinterest_agent.agents.ports import ChannelCredentials
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.jobs.actors import PUBLISH_ACTOR, build_broker
from pinterest_agent.queues.jobs.enqueue import enqueue_message
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings
from pinterest_agent.queues.stores.secrets import SecretBox

REDIS_URL = "redis://127.0.0.1:6379/0"
RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
HERE = Path(__file__).resolve().parent
WARMUP_JOBS = 10
TARGET_RATIO = 0.70


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

    @property
    def pid(self) -> int:
        assert self._process.pid is not None
        return self._process.pid

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


def bench_settings(prefix: str, sandbox: RemoteSandbox, site: RemoteSandbox,
                   broker: str = "redis") -> Settings:
    """The worker's default settings, pointed at the sandbox, the site and *broker* (on
    RabbitMQ, with queues of the run's own)."""
    on_rabbitmq: dict[str, Any] = {}
    if broker == "rabbitmq":
        on_rabbitmq = {"broker_url": RABBITMQ_URL, "queue_publisher": f"{prefix}.publisher",
                       "queue_writer": f"{prefix}.writer", "queue_insights": f"{prefix}.insights"}
    return Settings(
        redis_url=REDIS_URL, key_prefix=prefix, broker_namespace=f"{prefix}-ns",
        events_stream=f"{prefix}:events", pinterest_api_base=sandbox.api_base,
        pinterest_app_id=sandbox.app_id, pinterest_app_secret=SecretStr(sandbox.app_secret),
        secret_key=SecretStr(SecretBox.generate_key()), allow_loopback_urls=True,
        preflight_ca_file=Path(site.ca_file), **on_rabbitmq,
    )


def delete_queues(names: list[str]) -> None:
    """Delete the run's RabbitMQ queues, their delay and dead-letter queues included."""
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL))
    try:
        channel = connection.channel()
        for queue in names:
            for name in (queue, f"{queue}.DQ", f"{queue}.XQ"):
                channel.queue_delete(name)
    finally:
        connection.close()


def settings_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        if value is not None:
            text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
            env[f"PINTEREST_AGENT_{name.upper()}"] = text
    return env


def post_payload(site: RemoteSandbox, post_id: str, channel: str, board_id: str,
                 image_base: str, page: str | None = None) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "post_id": post_id,
        "platform": "pinterest",
        "channel_id": channel,
        "board_id": board_id,
        # each post its own title: posts sharing a board, link and title are created one at a
        # time (docs/exactly-once.md), and --links N measures the preflight, not that
        "title": f"Linen summer dress with pockets, breathable everyday style ({post_id})",
        "description": "A breathable linen summer dress with deep pockets for warm days.",
        "link": f"{site.https_base_url}/_sandbox/pages/dress-{page or post_id}",
        "alt_text": "A light blue linen dress",
        "media": {"type": "image_url", "url": f"{image_base}/_sandbox/images/dress.jpg"},
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


def wait_until(probe: Callable[[], bool], timeout_s: float = 600.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not probe():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark jobs did not finish")
        time.sleep(0.005)


def start_worker(args: list[str], env: dict[str, str], processes: int,
                 threads: int) -> subprocess.Popen[bytes]:
    """A ``python -m dramatiq`` worker, returned once each of its *processes* is ready (its
    log says so): a process still importing while the others run the timed jobs would halve
    a side's figure."""
    # The worker keeps writing to its own descriptor of the file once this one is closed.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "dramatiq", *args, "--processes", str(processes),
             "--threads", str(threads)],
            env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True,
        )

        def ready() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"the worker exited with {process.returncode}")
            log.seek(0)
            return log.read().count(b"ready for action") >= processes

        try:
            wait_until(ready, 120)
        except BaseException:
            stop_worker(process)
            raise
    return process


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@dataclass(frozen=True)
class SideRun:
    jobs_per_s: float
    worker_cpu_ms: float | None
    """CPU of the side's worker processes per job (None where ``/proc`` is not there)."""
    redis_cpu_ms: float
    rabbitmq_cpu_ms: float | None
    """CPU of the RabbitMQ server per job (None on Redis, or where ``/proc`` is not there)."""
    sandbox_cpu_ms: float | None
    """CPU of the sandbox and the stand-in merchant site per job (the same servers for both
    sides; None where ``/proc`` is not there)."""


def tree_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a process and its descendants, from ``/proc``."""
    if not Path(f"/proc/{pid}/stat").exists():
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
        pending += [int(child) for child in children]
    return total


def redis_cpu_s(client: redis.Redis[bytes]) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def rabbitmq_pids() -> list[int]:
    """The RabbitMQ server's processes (its Erlang VM, ``beam.smp``), from ``/proc``."""
    found = []
    for entry in Path("/proc").glob("[0-9]*/comm"):
        try:
            if entry.read_text().strip() == "beam.smp":
                found.append(int(entry.parent.name))
        except OSError:
            continue
    return found


class CpuMeter:
    """CPU spent by one side between ``start`` and ``stop``, per job."""

    def __init__(self, client: redis.Redis[bytes], worker: subprocess.Popen[bytes],
                 servers: list[int], broker: str) -> None:
        self._client = client
        self._pid = worker.pid
        self._servers = servers
        self._rabbitmq = rabbitmq_pids() if broker == "rabbitmq" else []
        self._worker: float | None = None
        self._sandbox: float | None = None
        self._rabbitmq_s: float | None = None
        self._redis = 0.0

    @staticmethod
    def _sum_cpu_s(pids: list[int]) -> float | None:
        used = [tree_cpu_s(pid) for pid in pids]
        return None if not pids or None in used else sum(u for u in used if u is not None)

    def start(self) -> None:
        self._worker, self._redis = tree_cpu_s(self._pid), redis_cpu_s(self._client)
        self._sandbox = self._sum_cpu_s(self._servers)
        self._rabbitmq_s = self._sum_cpu_s(self._rabbitmq)

    def stop(self, jobs: int, jobs_per_s: float) -> SideRun:
        worker, redis_now = tree_cpu_s(self._pid), redis_cpu_s(self._client)
        sandbox, rabbitmq = self._sum_cpu_s(self._servers), self._sum_cpu_s(self._rabbitmq)
        return SideRun(jobs_per_s, _per_job_ms(self._worker, worker, jobs),
                       (redis_now - self._redis) * 1000 / jobs,
                       _per_job_ms(self._rabbitmq_s, rabbitmq, jobs),
                       _per_job_ms(self._sandbox, sandbox, jobs))


def _per_job_ms(before: float | None, after: float | None, jobs: int) -> float | None:
    return None if before is None or after is None else (after - before) * 1000 / jobs


def clean(client: redis.Redis[bytes], prefix: str) -> None:
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        client.delete(key)


def run_publisher(sandbox: RemoteSandbox, site: RemoteSandbox,
                  args: argparse.Namespace) -> SideRun:
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    settings = bench_settings(prefix, sandbox, site, args.broker)
    client: redis.Redis[bytes] = redis.Redis.from_url(REDIS_URL)
    runtime = Runtime.build(settings, redis_client=client)
    boards = {}
    for index in range(args.channels):
        seeded = sandbox.seed(f"bench_user_{index}")
        channel = f"bench-{index}"
        boards[channel] = seeded["board_id"]
        runtime.store.credentials.put(ChannelCredentials(
            channel_id=channel, access_token=SecretStr(seeded["access_token"]),
            refresh_token=SecretStr(seeded["refresh_token"]), expires_at=time.time() + 30 * 86400,
            default_board_id=seeded["board_id"],
        ))
    broker = build_broker(settings, client)
    channels = list(boards)

    def enqueue(count: int, tag: str) -> None:
        for i in range(count):
            channel = channels[i % len(channels)]
            page = str(i % args.links) if args.links else None
            payload = post_payload(site, f"{tag}{i}-{prefix}", channel, boards[channel],
                                   sandbox.base_url, page)
            enqueue_message(broker, queue=settings.queue_publisher, actor=PUBLISH_ACTOR,
                            payload=payload)

    worker = start_worker(["pinterest_agent.queues.entry.worker", "--queues",
                           settings.queue_publisher],
                          settings_env(settings), args.processes, args.threads)
    meter = CpuMeter(client, worker, [sandbox.pid, site.pid], args.broker)
    try:
        enqueue(WARMUP_JOBS, "w")
        wait_until(lambda: client.xlen(settings.events_stream) >= WARMUP_JOBS, 120)
        meter.start()
        started = time.perf_counter()
        enqueue(args.jobs, "p")
        # every published post appends exactly one event: count them, cheaply
        wait_until(lambda: client.xlen(settings.events_stream) >= WARMUP_JOBS + args.jobs)
        elapsed = time.perf_counter() - started
        measured = meter.stop(args.jobs, args.jobs / elapsed)
    finally:
        stop_worker(worker)
        if args.broker == "rabbitmq":
            broker.close()
            delete_queues([settings.queue_publisher])
    events = runtime.store.outcomes.events(count=WARMUP_JOBS + args.jobs + 10)
    assert all(e["type"] == "post.published" for e in events), "a publish failed"
    clean(client, prefix)
    runtime.close()
    return measured


def run_bare(sandbox: RemoteSandbox, site: RemoteSandbox, args: argparse.Namespace) -> SideRun:
    prefix = f"bench-bare-{uuid.uuid4().hex[:8]}"
    client: redis.Redis[bytes] = redis.Redis.from_url(REDIS_URL)
    seeded = sandbox.seed("bench_bare_user")
    counter = f"{prefix}:done"
    queue = f"{prefix}.bare"
    env = dict(os.environ, BENCH_REDIS_URL=REDIS_URL, BENCH_NAMESPACE=f"{prefix}-ns",
               BENCH_API_BASE=sandbox.api_base, BENCH_TOKEN=seeded["access_token"],
               BENCH_COUNTER=counter, BENCH_QUEUE=queue)
    if args.broker == "rabbitmq":
        env["BENCH_BROKER_URL"] = RABBITMQ_URL
    settings = bench_settings(prefix, sandbox, site, args.broker)
    # The bare worker's own broker class: a queue's dead-letter TTL must match its declarer's.
    broker = RabbitmqBroker(url=RABBITMQ_URL, confirm_delivery=True) \
        if args.broker == "rabbitmq" else build_broker(settings, client)

    def enqueue(count: int, tag: str) -> None:
        for i in range(count):
            payload = post_payload(site, f"{tag}{i}-{prefix}", "bare", seeded["board_id"],
                                   sandbox.base_url)
            enqueue_message(broker, queue=queue, actor="bare_publish",
                            payload=pin_body(payload))

    worker = start_worker(["bare_actor", "--path", str(HERE), "--queues", queue], env,
                          args.processes, args.threads)
    meter = CpuMeter(client, worker, [sandbox.pid, site.pid], args.broker)
    try:
        enqueue(WARMUP_JOBS, "w")
        wait_until(lambda: int(client.get(counter) or 0) >= WARMUP_JOBS, 120)
        meter.start()
        started = time.perf_counter()
        enqueue(args.jobs, "b")
        wait_until(lambda: int(client.get(counter) or 0) >= WARMUP_JOBS + args.jobs)
        elapsed = time.perf_counter() - started
        measured = meter.stop(args.jobs, args.jobs / elapsed)
    finally:
        stop_worker(worker)
        if args.broker == "rabbitmq":
            broker.close()
            delete_queues([queue])
    clean(client, prefix)
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--broker", choices=("redis", "rabbitmq"), default="redis",
                        help="The broker both sides consume from (Redis stays the store).")
    parser.add_argument("--jobs", type=int, default=400)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1,
                        help="Worker processes per side (Dramatiq's default: one per core).")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5,
                        help="Rounds per side; the medians are compared (this machine is noisy).")
    parser.add_argument("--channels", type=int, default=8,
                        help="Spread the publisher's jobs over this many channels (3 write "
                        "slots each: 8 channels, 24 slots, are more than 2 processes x 8 "
                        "threads can use).")
    parser.add_argument("--links", type=int, default=0,
                        help="Distinct destination pages the posts link to (a shop's product "
                        "pages; a page that passed is trusted for "
                        "PINTEREST_AGENT_PREFLIGHT_CACHE_S). 0: every post its own page.")
    parser.add_argument("--latency-ms", type=int, default=50,
                        help="Added to every sandbox and site answer (real APIs take 50-300 ms).")
    args = parser.parse_args()
    bare: list[SideRun] = []
    publisher: list[SideRun] = []
    sandbox = RemoteSandbox()
    site = RemoteSandbox()
    try:
        sandbox.set_latency(args.latency_ms)
        site.set_latency(args.latency_ms)
        for round_no in range(args.rounds):  # alternate so drift hits both sides alike
            if round_no % 2:
                publisher.append(run_publisher(sandbox, site, args))
                bare.append(run_bare(sandbox, site, args))
            else:
                bare.append(run_bare(sandbox, site, args))
                publisher.append(run_publisher(sandbox, site, args))
            b_run, p_run = bare[-1], publisher[-1]
            print(f"round {round_no + 1}: bare {b_run.jobs_per_s:7.1f} jobs/s   "
                  f"publisher {p_run.jobs_per_s:7.1f} jobs/s   "
                  f"ratio {p_run.jobs_per_s / b_run.jobs_per_s:.2f}", flush=True)
    finally:
        sandbox.stop()
        site.stop()
    b = statistics.median(r.jobs_per_s for r in bare)
    p = statistics.median(r.jobs_per_s for r in publisher)
    print(f"\n{args.broker}: {args.jobs} jobs x {args.rounds} rounds; each side "
          f"{args.processes} worker "
          f"process(es) x {args.threads} threads; {args.channels} channel(s); "
          f"sandbox latency {args.latency_ms} ms; "
          f"{args.links or 'one per post'} distinct link(s)")
    print(f"bare Dramatiq actor (POST /pins only):   {b:7.1f} jobs/s (median){_cpu(bare)}")
    print(f"publisher (full exactly-once path):      {p:7.1f} jobs/s (median){_cpu(publisher)}")
    ratio = p / b
    print(f"ratio publisher/bare: {ratio:.2f}  (target >= {TARGET_RATIO:.2f}: "
          f"{'met' if ratio >= TARGET_RATIO else 'MISSED'})")
    if ratio < TARGET_RATIO:
        sys.exit(1)


def _cpu(runs: list[SideRun]) -> str:
    """Median CPU per job of one side: its worker processes, Redis, RabbitMQ, the servers."""
    redis_ms = statistics.median(r.redis_cpu_ms for r in runs)
    workers = [r.worker_cpu_ms for r in runs if r.worker_cpu_ms is not None]
    rabbitmq = [r.rabbitmq_cpu_ms for r in runs if r.rabbitmq_cpu_ms is not None]
    servers = [r.sandbox_cpu_ms for r in runs if r.sandbox_cpu_ms is not None]
    worker = f"workers {statistics.median(workers):.2f} ms, " if workers else ""
    rabbit = f", RabbitMQ {statistics.median(rabbitmq):.2f} ms" if rabbitmq else ""
    served = f", sandbox+site {statistics.median(servers):.2f} ms" if servers else ""
    return f"; CPU per job: {worker}Redis {redis_ms:.2f} ms{rabbit}{served}"


if __name__ == "__main__":
    main()
