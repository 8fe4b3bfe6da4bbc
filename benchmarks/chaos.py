"""Chaos run: real worker processes publish posts while workers are killed, Redis restarts and
Pinterest misbehaves; then check that every post ended exactly once.

    python benchmarks/chaos.py [--broker redis|rabbitmq] [--scenario kills|slow-creates]
                               [--posts 20] [--minutes 5] [--workers 3] [--threads 8] [--seed N]

What runs, with the DEFAULT settings except what pointing at the sandbox needs (as
``queues.entry.demo.sandbox_settings`` and ``tests/test_worker_killed.py`` do):

- ``--workers`` real worker processes (``python -m dramatiq queues.entry.worker``, as
  ``pinterest-agent worker`` runs them), on Redis or on RabbitMQ (the shared server on
  127.0.0.1:5672, queues named for this run and deleted afterwards);
- the store (and the Redis broker) on a private ``redis-server`` on a free port, AOF with
  ``appendfsync always`` (never the machine's shared Redis on 6379);
- the local sandbox (``SandboxServer(https=True)``) in this process, two connected channels:
  every create takes 2.5 s; 15 % of creates are applied, then answered 500 after 2.5 s (the Pin
  exists but the worker sees an error); a burst of 429s without ``Retry-After``, a burst of
  503s, and a burst of 429s with ``Retry-After: 2``;
- every 8-20 s a random worker process is killed (SIGKILL, at a moment some post is being
  created) and a replacement started (as is one that exits by itself, as a supervisor would);
  the posts are enqueued in bursts just before the kills of the first 80 % of the run; once,
  half way, Redis is killed and restarted 2.5 s later from its append-only file.

``--scenario slow-creates`` is the same run where Pinterest is slow instead: every create takes
2 to 40 s (drawn per request) before it is applied and answered, so some are cut off at the
worker's 30 s deadline and applied later, and the board listing lags 2 s behind creates; the
kills land during those creates. No post may get a second Pin from a create applied late.

Then it clears the faults, waits for quiet (every post finished, no event for 10 s, nothing
left on the queues) and prints, each with its target: Pins per post, duplicates, lost posts
(no Pin, no terminal outcome, no dead letter), posts without a terminal outcome, dead letters,
leases that lapsed under a live holder (the workers' warnings), and the redelivery latency: from
the kill to the completion of each post whose attempt was running on the killed worker (the
attempt id names its process). It exits 1 when a figure misses its target (0 duplicates, 0 lost,
0 without outcome; kill -> done p95 <= 30 s on Redis, <= 10 s on RabbitMQ in the kills
scenario; in the slow-creates one, within the settle window of the killed create (65 s) plus
the redelivery).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pika
import redis
from pydantic import SecretStr

from pinterest_agent.agents.ports import ChannelCredentials
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.broker.deadletters import open_dead_letters
from pinterest_agent.queues.entry.demo import sandbox_settings
from pinterest_agent.queues.jobs.actors import build_broker
from pinterest_agent.queues.jobs.enqueue import enqueue_post
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings

RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
TARGET_P95_S = {"redis": 30.0, "rabbitmq": 10.0}
SLOW_TARGET_P95_S = {"redis": 65.0 + 30.0, "rabbitmq": 65.0 + 10.0}
"""A killed slow create is settled 65 s after its mark by default (send window, the 30 s
deadline, the 30 s margin); its post is done then, plus the redelivery."""
CREATE_LATENCY_MS = 2500
SLOW_CREATE_MS = (2000, 40_000)
SLOW_LISTING_LAG_MS = 2000
LAPSE_WARNING = "lapsed before it was renewed"
CREATE_THEN_FAIL = 0.15
KILL_EVERY_S = (8.0, 20.0)
REDIS_DOWN_S = 2.5
QUIET_S = 10.0
POSTING_SHARE = 0.8  # posts come in bursts over this share of the run
QUIET_TIMEOUT_S = 900.0
TERMINAL = ("published", "failed")


# -- the pieces -----------------------------------------------------------------------------------
class PrivateRedis:
    """A redis-server of this run's own: AOF, fsync always, on a free port."""

    def __init__(self, workdir: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.workdir = workdir
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client: redis.Redis[bytes] = redis.Redis.from_url(self.url)
        _until(lambda: _pings(client), timeout_s=15, what="the private Redis to answer")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


class Workers:
    """Worker processes (each ``dramatiq queues.entry.worker`` in a process group of its own)."""

    def __init__(self, settings: Settings, threads: int, logdir: Path) -> None:
        self._env = settings_env(settings)
        self._threads = threads
        self._logdir = logdir
        self.processes: list[subprocess.Popen[bytes]] = []
        self.started = 0

    def start(self) -> subprocess.Popen[bytes]:
        self.started += 1
        log = (self._logdir / f"worker-{self.started}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "dramatiq", "pinterest_agent.queues.entry.worker",
             "--processes", "1",
             "--threads", str(self._threads)],
            env=self._env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        self.processes.remove(process)

    def supervise(self) -> list[int]:
        """Start a replacement for each worker that exited on its own (as a supervisor would:
        a worker that lost a thread exits with status 70); returns their exit codes."""
        codes: list[int] = []
        for process in list(self.processes):
            code = process.poll()
            if code is not None:
                self.processes.remove(process)
                codes.append(code)
                self.start()
        return codes

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()


@dataclass
class Kill:
    at: float
    held: dict[str, str]  # post id -> the attempt holding its lease when the worker was killed
    on_killed: list[str] = field(default_factory=list)
    """Posts whose lease the killed worker's process held (attempt ids start with the pid)."""


@dataclass
class Run:
    broker: str
    scenario: str
    settings: Settings
    runtime: Runtime
    sandbox: SandboxServer
    boards: dict[str, str]
    post_ids: list[str]
    done_at: dict[str, float] = field(default_factory=dict)
    kills: list[Kill] = field(default_factory=list)
    exits: list[int] = field(default_factory=list)

    def poll(self) -> None:
        """Note when each post first has a terminal outcome."""
        now = time.monotonic()
        try:
            for post_id in self.post_ids:
                if post_id not in self.done_at:
                    outcome = self.runtime.store.outcomes.get("post", post_id) or {}
                    if outcome.get("status") in TERMINAL:
                        self.done_at[post_id] = now
        except redis.RedisError:
            pass  # Redis is being restarted: look again next time

    def held_leases(self) -> dict[str, str]:
        held: dict[str, str] = {}
        for post_id in self.post_ids:
            if post_id in self.done_at:
                continue
            holder = self.runtime.store.ledger.lease_holder(post_id)
            if holder is not None:
                held[post_id] = holder
        return held


# -- helpers --------------------------------------------------------------------------------------
def _pings(client: redis.Redis[bytes]) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


def _until(probe: Callable[[], bool], *, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not probe():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting for {what} after {timeout_s:.0f} s")
        time.sleep(0.1)


def settings_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        if value is not None:
            text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
            env[f"PINTEREST_AGENT_{name.upper()}"] = text
    return env


def chaos_settings(broker: str, sandbox: SandboxServer, redis_url: str, prefix: str) -> Settings:
    """Defaults, pointed at the sandbox and this run's Redis (and queues, on RabbitMQ)."""
    defaults = Settings(redis_url=redis_url, openai_api_key=None, openai_base_url=None)
    settings = sandbox_settings(defaults, sandbox, prefix).model_copy(
        update={"min_backoff_ms": defaults.min_backoff_ms})  # the demo's quick retries: undone
    if broker == "rabbitmq":
        settings = settings.model_copy(update={
            "broker_url": RABBITMQ_URL, "queue_writer": f"{prefix}.writer",
            "queue_publisher": f"{prefix}.publisher", "queue_insights": f"{prefix}.insights"})
    return settings


def delete_rabbitmq_queues(settings: Settings) -> None:
    if settings.broker_url is None:
        return
    connection = pika.BlockingConnection(pika.URLParameters(settings.broker_url))
    try:
        channel = connection.channel()
        for queue in (settings.queue_writer, settings.queue_publisher, settings.queue_insights):
            for name in (queue, f"{queue}.DQ", f"{queue}.XQ"):
                channel.queue_delete(name)
    finally:
        connection.close()


def connect_channels(runtime: Runtime, sandbox: SandboxServer, count: int) -> dict[str, str]:
    boards: dict[str, str] = {}
    for n in range(count):
        seeded = sandbox.state.seed_account(f"chaos_shop_{n}")
        channel_id = f"shop-{n}"
        runtime.store.credentials.put(ChannelCredentials(
            channel_id=channel_id, access_token=SecretStr(seeded.access_token),
            refresh_token=SecretStr(seeded.refresh_token), expires_at=time.time() + 30 * 86400,
            refresh_token_expires_at=time.time() + 60 * 86400,
            scope="boards:read,boards:write,pins:read,pins:write,user_accounts:read",
            username=seeded.username, account_id=seeded.user_id,
            default_board_id=seeded.board_id))
        boards[channel_id] = seeded.board_id
    return boards


def post(sandbox: SandboxServer, post_id: str, channel_id: str) -> dict[str, Any]:
    return {
        "schema_version": 1, "post_id": post_id, "platform": "pinterest",
        "channel_id": channel_id,
        "title": "Linen summer dress with pockets, breathable everyday style",
        "description": "A breathable linen summer dress with deep pockets for warm days.",
        "link": f"{sandbox.https_base_url}/_sandbox/pages/{post_id}",
        "alt_text": "Woman in a light blue linen dress walking on a beach",
        "media": {"type": "image_url", "url": f"{sandbox.base_url}/_sandbox/images/dress.jpg"},
    }


def base_faults(sandbox: SandboxServer, scenario: str, *bursts: dict[str, Any]) -> None:
    """Bursts first (the first matching fault that applies wins), then create-then-fail on a
    share of creates, then the latency every create has (2.5 s; 2-40 s when slow, applied at
    the end of it)."""
    faults = sandbox.state.faults
    faults.clear()
    for burst in bursts:
        faults.add("POST", "/v5/pins", **burst)
    if scenario == "slow-creates":
        sandbox.state.listing_lag_ms = SLOW_LISTING_LAG_MS
        faults.add("POST", "/v5/pins", latency_ms=SLOW_CREATE_MS[0],
                   latency_max_ms=SLOW_CREATE_MS[1])
        return
    faults.add("POST", "/v5/pins", status=500, after=True, latency_ms=CREATE_LATENCY_MS,
               probability=CREATE_THEN_FAIL)
    faults.add("POST", "/v5/pins", latency_ms=CREATE_LATENCY_MS)


def queues_empty(settings: Settings, client: redis.Redis[bytes]) -> bool:
    """Nothing waiting or fetched on the broker (RabbitMQ: nothing ready; messages a worker holds
    are covered by the quiet period and the outcomes)."""
    queues = [settings.queue_publisher, settings.queue_writer]
    if settings.broker_url is None:
        ns = settings.broker_namespace
        if any(client.llen(f"{ns}:{q}") or client.llen(f"{ns}:{q}.DQ") for q in queues):
            return False
        return not any(client.scard(key) for key in client.scan_iter(f"{ns}:__acks__.*"))
    connection = pika.BlockingConnection(pika.URLParameters(settings.broker_url))
    try:
        channel = connection.channel()
        for queue in queues:
            for name in (queue, f"{queue}.DQ"):
                try:
                    if channel.queue_declare(name, passive=True).method.message_count:
                        return False
                except pika.exceptions.ChannelClosedByBroker:
                    channel = connection.channel()  # never declared: empty
        return True
    finally:
        connection.close()


def last_event_id(runtime: Runtime) -> str:
    events = runtime.redis_client.xrevrange(runtime.settings.events_stream, count=1)
    return events[0][0].decode() if events else ""


@contextmanager
def sandbox_server() -> Iterator[SandboxServer]:
    with SandboxServer(https=True) as server:
        yield server


# -- the run --------------------------------------------------------------------------------------
def chaos(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    workdir = Path(tempfile.mkdtemp(prefix="chaos-"))
    store = PrivateRedis(workdir)
    store.start()
    prefix = f"chaos-{uuid.uuid4().hex[:8]}"
    with sandbox_server() as sandbox:
        settings = chaos_settings(args.broker, sandbox, store.url, prefix)
        client: redis.Redis[bytes] = redis.Redis.from_url(
            store.url, socket_timeout=2, socket_connect_timeout=2)
        runtime = Runtime.build(settings, redis_client=client)
        boards = connect_channels(runtime, sandbox, 2)
        producer = build_broker(settings, client)
        post_ids = [f"chaos-post-{n:03d}" for n in range(args.posts)]
        run = Run(args.broker, args.scenario, settings, runtime, sandbox, boards, post_ids)
        workers = Workers(settings, args.threads, workdir)
        print(f"chaos ({args.scenario}) on {args.broker}: {args.posts} posts, "
              f"{args.minutes:g} min, "
              f"{args.workers} workers x {args.threads} threads, seed {args.seed}; "
              f"logs in {workdir}", flush=True)
        try:
            for _ in range(args.workers):
                workers.start()
            _storm(args, rng, run, workers, store, producer)
            quiet = _wait_for_quiet(run, workers)
            workers.stop()
            return _report(run, quiet, _lapse_warnings(workdir))
        finally:
            workers.stop()
            if settings.broker_url is not None:
                producer.close()
                delete_rabbitmq_queues(settings)
            runtime.close()
            store.kill()
            if not args.keep_logs:
                shutil.rmtree(workdir, ignore_errors=True)


def _storm(args: argparse.Namespace, rng: random.Random, run: Run, workers: Workers,
           store: PrivateRedis, producer: Any) -> None:
    window = args.minutes * 60
    start = time.monotonic()
    channels = sorted(run.boards)
    # Posts come in bursts over the first 80 % of the run, each just before a kill, so that
    # some are being created when a worker dies.
    cycles = max(1, int(window * POSTING_SHARE / (sum(KILL_EVERY_S) / 2 + 3)))
    per_burst = -(-len(run.post_ids) // cycles)
    pending = list(run.post_ids)
    redis_restart_at = window * 0.5
    bursts: list[tuple[float, dict[str, Any]]] = sorted([
        (window * 0.25, {"status": 429, "times": 8}),
        (window * 0.40, {"status": 503, "times": 6}),
        (window * 0.70, {"status": 429, "times": 8, "headers": {"Retry-After": "2"}}),
    ], key=lambda b: b[0])
    next_kill = rng.uniform(*KILL_EVERY_S)
    restarted = False
    base_faults(run.sandbox, run.scenario)

    def send(post_ids: list[str]) -> None:
        for post_id in post_ids:
            channel_id = channels[int(post_id[-3:]) % len(channels)]
            _retrying(lambda post_id=post_id, channel_id=channel_id: enqueue_post(
                run.settings, post(run.sandbox, post_id, channel_id), broker=producer))

    def send_burst() -> None:
        late = time.monotonic() - start >= window * POSTING_SHARE
        burst = pending if late else pending[:per_burst]
        send(burst)
        del pending[:len(burst)]

    while (elapsed := time.monotonic() - start) < window:
        while bursts and bursts[0][0] <= elapsed:
            _, burst = bursts.pop(0)
            base_faults(run.sandbox, run.scenario, burst)
            print(f"  {elapsed:6.1f}s burst: {json.dumps(burst)}", flush=True)
        if not restarted and elapsed >= redis_restart_at:
            store.kill()
            print(f"  {elapsed:6.1f}s Redis killed; restarting in {REDIS_DOWN_S} s", flush=True)
            time.sleep(REDIS_DOWN_S)
            store.start()
            restarted = True
            next_kill = max(next_kill, elapsed + REDIS_DOWN_S + 8)
        if elapsed >= next_kill and abs(elapsed - redis_restart_at) > 8:
            _kill_one(rng, run, workers, start, send_burst if pending else None)
            next_kill = time.monotonic() - start + rng.uniform(*KILL_EVERY_S)
        for code in workers.supervise():
            run.exits.append(code)
            print(f"  {elapsed:6.1f}s a worker exited by itself (status {code}); "
                  "started a replacement", flush=True)
        run.poll()
        time.sleep(0.1)
    send(pending)  # a very short run: the rest now


def _retrying(send: Callable[[], Any]) -> None:
    for _ in range(100):
        try:
            send()
            return
        except redis.RedisError:
            time.sleep(0.2)
    send()


def _kill_one(rng: random.Random, run: Run, workers: Workers, start: float,
              send_burst: Callable[[], None] | None) -> None:
    """Kill a random worker, preferably while some post is being created: when none is, send
    the next burst of posts (if any) and wait for one to start (up to 10 s), then kill at a
    random moment of the next 2 s."""
    if send_burst is not None and not _held(run):
        send_burst()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not _held(run):
        run.poll()
        time.sleep(0.1)
    time.sleep(rng.uniform(0, 2))
    held = _held(run)
    victim = rng.choice(workers.processes)
    on_victim = [post_id for post_id, attempt in held.items()
                 if _process_group(attempt) == victim.pid]
    workers.kill(victim)
    now = time.monotonic()
    run.kills.append(Kill(at=now, held=held, on_killed=on_victim))
    workers.start()
    print(f"  {now - start:6.1f}s killed worker pid {victim.pid} ({len(held)} post(s) being "
          f"created somewhere, {len(on_victim)} on it); started a replacement", flush=True)


def _process_group(attempt: str) -> int | None:
    """The process group of the worker process whose attempt this is (attempt ids start with
    the process id), while that process lives."""
    pid = attempt.split("-", 1)[0]
    try:
        return os.getpgid(int(pid))
    except (ValueError, ProcessLookupError):
        return None


def _lapse_warnings(logdir: Path) -> int:
    """Leases that lapsed while their holder lived (each worker logs it once per claim)."""
    return sum(path.read_text(errors="replace").count(LAPSE_WARNING)
               for path in logdir.glob("worker-*.log"))


def _held(run: Run) -> dict[str, str]:
    try:
        return run.held_leases()
    except redis.RedisError:
        return {}


def _wait_for_quiet(run: Run, workers: Workers) -> bool:
    """Faults cleared, no kills: wait until every post is finished, no event has come for
    ``QUIET_S`` and the queues are empty."""
    run.sandbox.state.faults.clear()
    run.sandbox.state.listing_lag_ms = 0
    started = time.monotonic()
    deadline = started + QUIET_TIMEOUT_S
    last_event, since = "", time.monotonic()
    print("  waiting for quiet", flush=True)
    while time.monotonic() < deadline:
        run.exits.extend(workers.supervise())
        run.poll()
        try:
            event = last_event_id(run.runtime)
            if event != last_event:
                last_event, since = event, time.monotonic()
            finished = all(post_id in run.done_at for post_id in run.post_ids)
            if (finished and time.monotonic() - since >= QUIET_S
                    and queues_empty(run.settings, run.runtime.redis_client)):
                return True
        except redis.RedisError:
            pass
        time.sleep(0.2)
    return False


# -- the report -----------------------------------------------------------------------------------
def _report(run: Run, quiet: bool, lapses: int) -> int:
    pins: dict[str, int] = dict.fromkeys(run.post_ids, 0)
    for board_id in run.boards.values():
        for pin in run.sandbox.state.pins_on_board(board_id):
            post_id = str(pin.fields.get("link", "")).rsplit("/", 1)[-1]
            if post_id in pins:
                pins[post_id] += 1
    outcomes = {post_id: run.runtime.store.outcomes.get("post", post_id) or {}
                for post_id in run.post_ids}
    statuses = {post_id: outcomes[post_id].get("status") for post_id in run.post_ids}
    dead = open_dead_letters(run.settings, run.runtime.redis_client).list()
    dead_posts = {str(job.args[0].get("post_id")) for job in dead
                  if job.args and isinstance(job.args[0], dict)}
    duplicates = sum(max(0, count - 1) for count in pins.values())
    lost = [p for p in run.post_ids
            if pins[p] == 0 and statuses[p] not in TERMINAL and p not in dead_posts]
    without_outcome = [p for p in run.post_ids if statuses[p] not in TERMINAL]
    failed = [p for p in run.post_ids if statuses[p] == "failed"]
    published_without_pin = [p for p in run.post_ids
                             if statuses[p] == "published" and pins[p] != 1]
    latencies = sorted(run.done_at[p] - kill.at for kill in run.kills for p in kill.on_killed
                       if p in run.done_at)
    stranded = [p for kill in run.kills for p in kill.on_killed if p not in run.done_at]
    target_p95 = (SLOW_TARGET_P95_S if run.scenario == "slow-creates" else TARGET_P95_S)[
        run.broker]
    p95 = _percentile(latencies, 95) if latencies else None
    one_pin = sum(1 for count in pins.values() if count == 1)

    misses: list[str] = []

    def line(name: str, figure: str, target: str, ok: bool) -> None:
        print(f"{name:<36} {figure:<40} target: {target:<24} {'ok' if ok else 'MISSED'}")
        if not ok:
            misses.append(name)

    exits = f", {len(run.exits)} worker(s) exited by themselves {run.exits}" if run.exits else ""
    print(f"\nchaos results ({run.scenario}, {run.broker}): {len(run.post_ids)} posts, "
          f"{len(run.kills)} kills, "
          f"1 Redis restart{exits}{'' if quiet else '; NOT QUIET by the deadline'}")
    line("Pins per post", f"exactly 1 for {one_pin}/{len(pins)} "
         f"(0: {sum(1 for c in pins.values() if c == 0)}, "
         f">1: {sum(1 for c in pins.values() if c > 1)})",
         "exactly 1 per published post", not published_without_pin)
    line("duplicates (extra Pins)", str(duplicates), "0", duplicates == 0)
    line("lost posts", f"{len(lost)} {lost[:5] if lost else ''}".strip(), "0", not lost)
    line("posts without a terminal outcome",
         f"{len(without_outcome)} {without_outcome[:5] if without_outcome else ''}".strip(),
         "0", not without_outcome)
    print(f"{'dead letters':<36} {f'{len(dead)} ({len(failed)} posts failed for good)':<40} "
          "target: none expected (each has a failed outcome)")
    reconciled = sum(1 for p in run.post_ids if outcomes[p].get("reconciled"))
    print(f"{'Pins adopted by a later attempt':<36} {reconciled:<40} "
          "(a create whose answer was lost, found on the board)")
    print(f"{'leases lapsed under a live holder':<36} {lapses:<40} "
          "target: none expected (settled anyway)")
    if latencies:
        figure = (f"n={len(latencies)} min {latencies[0]:.1f} s, median "
                  f"{statistics.median(latencies):.1f} s, p95 {p95:.1f} s, max "
                  f"{latencies[-1]:.1f} s")
    else:
        figure = "no post was in flight on a killed worker"
    line("redelivery latency (kill -> done)", figure, f"p95 <= {target_p95:g} s",
         p95 is not None and p95 <= target_p95 and not stranded)
    if stranded:
        print(f"  in flight on a killed worker and never finished: {stranded}")
    print(f"\n{'all targets met' if not misses else 'MISSED: ' + ', '.join(misses)}")
    return 1 if misses or not quiet else 0


def _percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of sorted *values*."""
    rank = max(1, -(-len(values) * pct // 100))
    return values[int(rank) - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--broker", choices=sorted(TARGET_P95_S), default="redis")
    parser.add_argument("--scenario", choices=("kills", "slow-creates"), default="kills",
                        help="kills: 2.5 s creates, 15%% answered 500 after being applied; "
                        "slow-creates: creates of 2-40 s (some cut off at the deadline and "
                        "applied later), listings lagging 2 s")
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep-logs", action="store_true",
                        help="keep the workers' logs and the AOF (the path is printed)")
    args = parser.parse_args()
    if args.seed is None:
        args.seed = random.randrange(1_000_000)
    if shutil.which("redis-server") is None:
        raise SystemExit("needs the redis-server binary (a private Redis is started and restarted)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up workers and Redis too
    return chaos(args)


if __name__ == "__main__":
    sys.exit(main())
