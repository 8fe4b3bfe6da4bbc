"""Fair dispatch across channels: quiet channels behind one busy channel's backlog.

A real ``pinterest-agent worker`` process (Dramatiq running ``pinterest_agent.queues.entry.worker``
with the CLI's defaults, 1 process x 8 threads, and the default settings) publishes to a local
Pinterest sandbox in its own process, which answers every request after ``--latency-ms``. Three
phases per broker, in one run:

- **quiet alone**: 20 channels post 5 each (enqueued round-robin), nothing else queued; each
  channel's time from the first enqueue to its last Pin;
- **busy + quiet**: 10,000 posts queued for one channel, then the same 100 quiet posts; the same
  times, and the busy channel's Pins per second over ``--busy-window-s`` (30 s) from the quiet
  posts' enqueue, and while the quiet ones ran;
- **busy alone**: the same 10,000 posts with nothing else; its Pins per second over the same
  window.

Targets: every quiet channel within 2x its time alone, and the busy channel at >= 0.8x its rate
alone over the window (its own limits, the write slots, are what bound it; while the quiet burst
runs, handed turns queue up behind the quiet posts, round robin, so that part is printed apart).
Jain's fairness index is printed over each channel's speed relative to alone (quiet: time alone
/ time beside the backlog; busy: rate beside / rate alone): 1.0 when every channel keeps the
same share of its solo speed. ``--fifo``
adds the same busy + quiet phase with fair dispatch off (``PINTEREST_AGENT_CHANNEL_TURNS=0``,
first in, first out, as before), cut off after ``--fifo-timeout-s``. Exits 1 when a target is
missed.

``--tenants``: the same three phases across tenants. The busy side is one tenant owning
``--busy-channels`` (20) channels (``channels set --tenant``) with the ``--busy`` posts spread
over them, enqueued round-robin (500 each by default); the quiet side is ``--quiet`` (10)
single-channel tenants posting ``--per-quiet`` (5) each. Times and rates are per tenant, Jain's
index over each tenant's speed relative to alone; ``--fifo`` then runs busy + quiet with tenant
turns off (``PINTEREST_AGENT_TENANT_TURNS=0``, channel turns on).

    python benchmarks/fairness.py [--broker redis|rabbitmq] [--busy 10000] [--quiet 20]
                                  [--per-quiet 5] [--latency-ms 100] [--fifo] [--tenants]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from publish_overhead import RemoteSandbox, settings_env, start_worker, stop_worker, wait_until
from pydantic import SecretStr

from pinterest_agent.agents.ports import ChannelCredentials
from pinterest_agent.queues.jobs.actors import PUBLISH_ACTOR, build_broker
from pinterest_agent.queues.jobs.enqueue import enqueue_message
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings
from pinterest_agent.queues.stores.secrets import SecretBox

REDIS_URL = "redis://127.0.0.1:6379/0"
RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
QUIET_TARGET = 2.0
BUSY_TARGET = 0.8
BUSY = "busy"
TENANT = "agency"


@dataclass(frozen=True)
class Phase:
    quiet_s: dict[str, float]
    """Each quiet channel: seconds from the first quiet enqueue to its last Pin."""
    busy_per_s: float | None
    """Over the busy window."""
    busy_burst_per_s: float | None
    """While the quiet posts ran (busy + quiet only)."""
    quiet_window_s: float


def jain(values: Iterable[float]) -> float:
    xs = list(values)
    return sum(xs) ** 2 / (len(xs) * sum(x * x for x in xs)) if xs else 1.0


class Bench:
    def __init__(self, sandbox: RemoteSandbox, args: argparse.Namespace) -> None:
        self.sandbox = sandbox
        self.args = args
        self.client: redis.Redis[bytes] = redis.Redis.from_url(REDIS_URL)

    def settings(self, prefix: str) -> Settings:
        return Settings(
            redis_url=REDIS_URL, key_prefix=prefix, broker_namespace=f"{prefix}-ns",
            broker_url=RABBITMQ_URL if self.args.broker == "rabbitmq" else None,
            queue_publisher=f"{prefix}-publisher", queue_writer=f"{prefix}-writer",
            queue_insights=f"{prefix}-insights", events_stream=f"{prefix}:events",
            pinterest_api_base=self.sandbox.api_base, pinterest_app_id=self.sandbox.app_id,
            pinterest_app_secret=SecretStr(self.sandbox.app_secret),
            secret_key=SecretStr(SecretBox.generate_key()), allow_loopback_urls=True,
            preflight_ca_file=Path(self.sandbox.ca_file),
        )

    def run(self, *, busy: bool, quiet: bool, fifo: bool = False,
            timeout_s: float = 600.0) -> Phase:
        prefix = f"fair-{uuid.uuid4().hex[:8]}"
        settings = self.settings(prefix)
        runtime = Runtime.build(settings, redis_client=self.client)
        boards = {channel: self.connect(runtime, channel)
                  for channel in [*self.busy_channels(), *self.quiet_channels()]}
        if self.args.tenants:
            for channel in self.busy_channels():
                runtime.tenants.put(channel, TENANT)
        broker = build_broker(settings, self.client)
        env = settings_env(settings)
        if fifo:
            env["PINTEREST_AGENT_TENANT_TURNS" if self.args.tenants
                else "PINTEREST_AGENT_CHANNEL_TURNS"] = "0"
        worker = start_worker(["pinterest_agent.queues.entry.worker", "--queues",
                               settings.queue_publisher], env, 1, 8)
        try:
            # warm up: one post per channel (tokens read, connections open)
            for channel in boards:
                self.enqueue(broker, settings, boards, channel, "w0")
            wait_until(lambda: self.published(settings, "w") >= len(boards), 120)
            if busy:
                started = time.time()
                busy_channels = self.busy_channels()
                for index in range(self.args.busy):
                    self.enqueue(broker, settings, boards,
                                 busy_channels[index % len(busy_channels)], f"b{index}")
                print(f"  enqueued {self.args.busy} busy posts in {time.time() - started:.1f} s",
                      flush=True)
            t0 = time.time()
            if quiet:
                for index in range(self.args.per_quiet):
                    for channel in self.quiet_channels():
                        self.enqueue(broker, settings, boards, channel, f"q{index}")
                want = len(self.quiet_channels()) * self.args.per_quiet
                deadline = time.monotonic() + timeout_s
                while self.published(settings, "q") < want and time.monotonic() < deadline:
                    time.sleep(0.2)
            quiet_window = time.time() - t0
            window = self.args.busy_window_s
            if busy:
                time.sleep(max(0.0, t0 + window - time.time()))
            events = runtime.store.outcomes.events(count=1_000_000)
        finally:
            stop_worker(worker)
            self.clean(settings, broker)
            runtime.close()
        quiet_s: dict[str, float] = {}
        busy_done = busy_burst = 0
        for event in events:
            if event["type"] != "post.published":
                continue
            channel, tag = str(event["id"]).rsplit("-", 2)[:2]
            at = int(event["stream_id"].split("-")[0]) / 1000 - t0  # Redis clock, ms
            if tag.startswith("q"):
                quiet_s[channel] = max(quiet_s.get(channel, 0.0), at)
            elif tag.startswith("b") and 0 <= at <= window:
                busy_done += 1
                busy_burst += at <= quiet_window
        if quiet:
            for channel in self.quiet_channels():
                quiet_s.setdefault(channel, float("inf"))  # not done within the timeout
        return Phase(quiet_s, busy_done / window if busy else None,
                     busy_burst / quiet_window if busy and quiet else None, quiet_window)

    def busy_channels(self) -> list[str]:
        """The busy channel, or (``--tenants``) the busy tenant's channels."""
        if not self.args.tenants:
            return [BUSY]
        return [f"{BUSY}{index:02d}" for index in range(self.args.busy_channels)]

    def quiet_channels(self) -> list[str]:
        return [f"quiet{index:02d}" for index in range(self.args.quiet)]

    def connect(self, runtime: Runtime, channel: str) -> str:
        seeded = self.sandbox.seed(f"{channel}_{uuid.uuid4().hex[:6]}")
        runtime.store.credentials.put(ChannelCredentials(
            channel_id=channel, access_token=SecretStr(seeded["access_token"]),
            refresh_token=SecretStr(seeded["refresh_token"]), expires_at=time.time() + 86400,
            default_board_id=seeded["board_id"]))
        return str(seeded["board_id"])

    def enqueue(self, broker: Any, settings: Settings, boards: dict[str, str], channel: str,
                tag: str) -> None:
        post_id = f"{channel}-{tag}-{uuid.uuid4().hex[:6]}"
        enqueue_message(broker, queue=settings.queue_publisher, actor=PUBLISH_ACTOR, payload={
            "schema_version": 1, "post_id": post_id, "platform": "pinterest",
            "channel_id": channel, "board_id": boards[channel],
            "title": "Linen summer dress with pockets, breathable everyday style",
            "description": "A breathable linen summer dress with deep pockets for warm days.",
            "link": f"{self.sandbox.https_base_url}/_sandbox/pages/{post_id}",
            "alt_text": "A light blue linen dress",
            "media": {"type": "image_url",
                      "url": f"{self.sandbox.base_url}/_sandbox/images/dress.jpg"},
        })

    def published(self, settings: Settings, tag: str) -> int:
        # the stream holds only this phase's events: count its Pins with the tag
        return sum(1 for _, fields in self.client.xrange(settings.events_stream)
                   if fields.get(b"type") == b"post.published"
                   and f"-{tag}".encode() in fields.get(b"id", b""))

    def clean(self, settings: Settings, broker: Any) -> None:
        if settings.broker_url is not None:
            import pika

            connection = pika.BlockingConnection(pika.URLParameters(settings.broker_url))
            channel = connection.channel()
            for queue in (settings.queue_publisher, settings.queue_writer,
                          settings.queue_insights):
                for name in (queue, f"{queue}.DQ", f"{queue}.XQ"):
                    channel.queue_delete(name)
            connection.close()
            broker.close()
        for key in self.client.scan_iter(match=f"{settings.key_prefix}*", count=1000):
            self.client.delete(key)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--broker", choices=["redis", "rabbitmq"], default="redis")
    parser.add_argument("--busy", type=int, default=10_000)
    parser.add_argument("--quiet", type=int, default=None,
                        help="Quiet channels (20), or with --tenants quiet tenants (10).")
    parser.add_argument("--per-quiet", type=int, default=5)
    parser.add_argument("--latency-ms", type=int, default=100,
                        help="Added to every sandbox answer (real APIs take 50-300 ms).")
    parser.add_argument("--busy-window-s", type=float, default=30.0,
                        help="The busy channel's rate is measured over this long.")
    parser.add_argument("--fifo", action="store_true",
                        help="Also run busy + quiet with fair dispatch off (the old behaviour).")
    parser.add_argument("--fifo-timeout-s", type=float, default=120.0)
    parser.add_argument("--tenants", action="store_true",
                        help="One busy tenant of --busy-channels channels vs single-channel "
                             "quiet tenants (per-tenant figures).")
    parser.add_argument("--busy-channels", type=int, default=20)
    args = parser.parse_args()
    if args.quiet is None:
        args.quiet = 10 if args.tenants else 20
    sandbox = RemoteSandbox()
    try:
        sandbox.set_latency(args.latency_ms)
        bench = Bench(sandbox, args)
        print(f"[{args.broker}] quiet alone", flush=True)
        alone = bench.run(busy=False, quiet=True)
        print(f"[{args.broker}] busy + quiet", flush=True)
        mixed = bench.run(busy=True, quiet=True)
        print(f"[{args.broker}] busy alone", flush=True)
        busy_alone = bench.run(busy=True, quiet=False)
        fifo = None
        if args.fifo:
            print(f"[{args.broker}] busy + quiet, "
                  f"{'tenant turns off' if args.tenants else 'first in first out'}", flush=True)
            fifo = bench.run(busy=True, quiet=True, fifo=True, timeout_s=args.fifo_timeout_s)
    finally:
        sandbox.stop()
    report(args, alone, mixed, busy_alone, fifo)


def report(args: argparse.Namespace, alone: Phase, mixed: Phase, busy_alone: Phase,
           fifo: Phase | None) -> None:
    ratios = {channel: mixed.quiet_s[channel] / alone.quiet_s[channel]
              for channel in alone.quiet_s}
    busy_ratio = (mixed.busy_per_s or 0.0) / (busy_alone.busy_per_s or 1.0)
    worst = max(ratios.values())
    speeds = [1 / ratio for ratio in ratios.values()] + [busy_ratio]
    unit = "tenant" if args.tenants else "channel"
    busy_side = (f"{args.busy} busy posts over one tenant's {args.busy_channels} channels, "
                 f"{args.quiet} quiet single-channel tenants" if args.tenants
                 else f"{args.busy} busy posts, {args.quiet} quiet channels")
    print(f"\n{args.broker}: 1 worker process x 8 threads, default settings; sandbox latency "
          f"{args.latency_ms} ms; {busy_side} x {args.per_quiet}")
    print(f"| | quiet {unit} done (median / worst) | busy {unit} Pins/s over "
          f"{args.busy_window_s:.0f} s (while the quiet ran) |")
    print("|---|---|---|")
    print(f"| quiet alone | {statistics.median(alone.quiet_s.values()):.2f} s / "
          f"{max(alone.quiet_s.values()):.2f} s | - |")
    print(f"| busy alone | - | {busy_alone.busy_per_s or 0:.1f} |")
    print(f"| busy + quiet, fair | {statistics.median(mixed.quiet_s.values()):.2f} s / "
          f"{max(mixed.quiet_s.values()):.2f} s | {mixed.busy_per_s or 0:.1f} "
          f"({mixed.busy_burst_per_s or 0:.1f}) |")
    if fifo is not None:
        done = [s for s in fifo.quiet_s.values() if s != float("inf")]
        shown = (f"{statistics.median(fifo.quiet_s.values()):.2f} s / "
                 f"{max(fifo.quiet_s.values()):.2f} s" if len(done) == len(fifo.quiet_s)
                 else f"{len(done)} of {len(fifo.quiet_s)} {unit}s done in "
                      f"{args.fifo_timeout_s:.0f} s")
        label = "tenant turns off" if args.tenants else "first in first out"
        print(f"| busy + quiet, {label} | {shown} | {fifo.busy_per_s or 0:.1f} "
              f"({fifo.busy_burst_per_s or 0:.1f}) |")
    print(f"\nquiet beside the backlog vs alone: median {statistics.median(ratios.values()):.2f}x,"
          f" worst {worst:.2f}x (target <= {QUIET_TARGET:.1f}x: "
          f"{'met' if worst <= QUIET_TARGET else 'MISSED'})")
    print(f"busy {unit} beside the quiet ones vs alone: {busy_ratio:.2f}x (target >= "
          f"{BUSY_TARGET:.1f}x: {'met' if busy_ratio >= BUSY_TARGET else 'MISSED'})")
    print(f"Jain's fairness index over each {unit}'s speed relative to alone: "
          f"{jain(speeds):.3f}")
    if worst > QUIET_TARGET or busy_ratio < BUSY_TARGET:
        sys.exit(1)


if __name__ == "__main__":
    main()
