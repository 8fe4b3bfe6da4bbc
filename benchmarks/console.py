"""The console's channel page for a 10,000-Pin channel against loading its stored figures.

A channel of ``--pins`` Pins over 90 days is measured the way the insights job does it: its
figures snapshot is built by the job's own function (``build_figures``) from 10,000 Pins with
their period analytics, 89 account days and five boards, and stored in Redis with a year of
weekly follower snapshots and an insight. Then, side by side in one run:

* **load**: reading the stored figures from Redis (``GET`` + validating the JSON into
  ``ChannelFigures``), what any page of the channel starts with;
* **page**: the channel page (the Overview tab: stats, three daily charts and the follower
  history, boards) rendered by the console's own handler code (``tab_context`` + the
  template), starting from the same load. Charts are pygal SVG drawn by the first console view
  of a new snapshot and stored in Redis (``queues/console/chart_store.py``, timed here too: the
  worker never draws); another console process reads each from Redis the first time it shows it
  (printed as "first view") and keeps it after.

Medians over ``--rounds`` with the garbage collector paused. Target: page <= 3x load.

Then **served**: the console as ``pinterest-agent console`` serves it (uvicorn, in its own
process), with ``--events`` events in the stream written through the store's own script, among
them a post with a handful of events early on, while a writer appends a published post's event
every 10 ms through the same script (what publishing workers do to the stream). Side by side:

* the Overview's latency (median, p95 of ``--samples`` loads) alone, and while another client
  loads that post's page in a loop: the ratio is how much one user's page holds up another's;
* ``--concurrent`` loads of the post's page at once: p95 and errors (any answer but 200).

Exits 1 when the page target is missed or a concurrent load failed.

    python benchmarks/console.py [--pins 10000] [--rounds 50] [--events 10000] [--concurrent 200]
        [--samples 60] [--redis redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import redis
from pydantic import SecretStr

import pinterest_agent
from pinterest_agent.agents.insights.followers import FollowerSnapshot
from pinterest_agent.agents.insights.snapshot import build_figures
from pinterest_agent.providers.pinterest.analytics_models import (
    AccountAnalytics,
    DailyMetrics,
    DateWindow,
    PinAnalytics,
)
from pinterest_agent.providers.pinterest.models import Board, Pin
from pinterest_agent.queues.console.channels import tab_context
from pinterest_agent.queues.console.chart_store import ChartStore
from pinterest_agent.queues.console.charts import render_chart
from pinterest_agent.queues.console.context import make_environment
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings
from pinterest_agent.queues.stores.figures import ChannelFiguresStore
from pinterest_agent.queues.stores.secrets import SecretBox

TARGET = 3.0
CHANNEL = "bench"
POST = "bench-post"
PASSWORD = secrets.token_urlsafe(18)  # the console password of this run
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _channel(pins: int, today: date) -> tuple[list[Pin], dict[str, PinAnalytics],
                                              AccountAnalytics, list[Board]]:
    rng = random.Random(7)
    start = today - timedelta(days=89)
    window = DateWindow(start=start, end=today - timedelta(days=1))
    period = DateWindow(start=today - timedelta(days=30), end=today - timedelta(days=1))
    boards = [Board(id=str(900 + i), name=f"Board {i}", pin_count=pins // 5,
                    follower_count=rng.randint(50, 5000)) for i in range(5)]
    listed, stats = [], {}
    for i in range(pins):
        pin_id = str(10**12 + i)
        listed.append(Pin(
            id=pin_id, title=f"Pin number {i} with a title of usual length",
            link=f"https://shop.example.com/p/{i}", board_id=boards[i % 5].id,
            created_at=datetime.combine(start, datetime.min.time(), UTC)
            + timedelta(hours=rng.randint(0, 89 * 24)),
            media={"images": {size: {"url": f"https://i.pinimg.example/{size}/{i}.jpg",
                                     "width": int(size.split("x")[0])}
                              for size in ("150x150", "400x300", "600x", "1200x")}},
        ))
        impressions = rng.randint(0, 4000)
        stats[pin_id] = PinAnalytics(pin_id=pin_id, window=period, summary={
            "IMPRESSION": impressions, "SAVE": rng.randint(0, impressions // 20 + 1),
            "PIN_CLICK": rng.randint(0, 90), "OUTBOUND_CLICK": rng.randint(0, 40)})
    days = [DailyMetrics(date=window.start + timedelta(days=d),
                         data_status="READY" if d < 86 else "ESTIMATE" if d == 86
                         else "PROCESSING",
                         metrics={"IMPRESSION": rng.randint(40_000, 90_000),
                                  "SAVE": rng.randint(500, 2_000),
                                  "PIN_CLICK": rng.randint(800, 3_000),
                                  "OUTBOUND_CLICK": rng.randint(200, 900)})
            for d in range(window.days)]
    return listed, stats, AccountAnalytics(window=window, daily=days), boards


def _median_ms(fn: Callable[[], object], rounds: int) -> float:
    times = []
    gc.disable()
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            fn()
            times.append((time.perf_counter() - started) * 1000)
    finally:
        gc.enable()
    return statistics.median(times)


def _write_events(runtime: Runtime, count: int) -> None:
    """The post's events early, then ``count`` published posts' events, through the store's
    own script (pipelined: as fast as Redis takes them)."""
    outcomes = runtime.store.outcomes
    outcomes.record("brief", POST, {"status": "drafted", "channel_id": CHANNEL,
                                    "title": "A post with a history"}, event="post.drafted")
    outcomes.record("post", POST, {"status": "retrying", "channel_id": CHANNEL,
                                   "error": {"code": "network", "message": "timed out"}},
                    event="post.retrying")
    with runtime.redis_client.pipeline(transaction=False) as pipe:
        for i in range(count):
            _, keys, args = outcomes.prepare("post", f"bench-{i}", {
                "status": "published", "channel_id": CHANNEL,
                "pin_url": f"https://www.pinterest.com/pin/{i}/"}, event="post.published")
            outcomes._record(keys=keys, args=args, client=pipe)
            if i % 1000 == 999:
                pipe.execute()
        pipe.execute()


def _publishing(runtime: Runtime, stop: threading.Event) -> threading.Thread:
    """A published post's event every 10 ms until *stop*, as publishing workers append them."""
    def run() -> None:
        n = 0
        while not stop.wait(0.01):
            runtime.store.outcomes.record("post", f"live-{n}", {
                "status": "published", "channel_id": CHANNEL}, event="post.published")
            n += 1
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _serve(settings: Settings) -> tuple[subprocess.Popen[bytes], str]:
    """``pinterest-agent console`` of the imported package, in its own process."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert settings.secret_key is not None
    root = Path(pinterest_agent.__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root),
           "PINTEREST_AGENT_REDIS_URL": settings.redis_url,
           "PINTEREST_AGENT_KEY_PREFIX": settings.key_prefix,
           "PINTEREST_AGENT_EVENTS_STREAM": settings.events_stream,
           "PINTEREST_AGENT_SECRET_KEY": settings.secret_key.get_secret_value(),
           "PINTEREST_AGENT_CONSOLE_PASSWORD": PASSWORD}
    process = subprocess.Popen(
        [sys.executable, "-m", "pinterest_agent.queues.entry.cli", "console", "--port",
         str(port)], cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/login", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the console did not start")


def _log_in(url: str) -> httpx.Cookies:
    with httpx.Client(base_url=url, timeout=30) as client:
        token = CSRF.search(client.get("/login").text)
        assert token is not None
        answer = client.post("/login", data={"csrf_token": token.group(1),
                                             "password": PASSWORD, "next": "/"},
                             headers={"Origin": url})
        assert answer.status_code == 303, answer.status_code
        return client.cookies


def _p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]


async def _loads(url: str, cookies: httpx.Cookies, args: argparse.Namespace
                 ) -> tuple[list[float], list[float], list[float], int, float, float]:
    overview, post = f"/channels/{CHANNEL}", f"/posts/{POST}"
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    async with httpx.AsyncClient(base_url=url, cookies=cookies, timeout=120,
                                 limits=limits) as client:
        async def timed(path: str) -> tuple[float, bool]:
            started = time.perf_counter()
            try:
                ok = (await client.get(path)).status_code == 200
            except httpx.HTTPError:
                ok = False
            return (time.perf_counter() - started) * 1000, ok

        async def sample() -> list[float]:
            return [(await timed(overview))[0] for _ in range(args.samples)]

        await timed(overview)  # the charts are drawn once, before anything is timed
        post_ms, _ = await timed(post)
        alone = await sample()
        stop = asyncio.Event()

        async def hammer() -> None:
            while not stop.is_set():
                await timed(post)

        other = asyncio.create_task(hammer())
        await asyncio.sleep(0.2)
        hammered = await sample()
        stop.set()
        await other
        started = time.perf_counter()
        results = await asyncio.gather(*(timed(post) for _ in range(args.concurrent)))
        wall_ms = (time.perf_counter() - started) * 1000
    return (alone, hammered, [ms for ms, _ in results], sum(not ok for _, ok in results),
            wall_ms, post_ms)


def served(settings: Settings, runtime: Runtime, args: argparse.Namespace) -> int:
    _write_events(runtime, args.events)
    process, url = _serve(settings)
    stop = threading.Event()
    writer = _publishing(runtime, stop)
    try:
        cookies = _log_in(url)
        alone, hammered, concurrent, errors, wall_ms, post_ms = asyncio.run(
            _loads(url, cookies, args))
    finally:
        stop.set()
        writer.join()
        process.terminate()
        process.wait(timeout=10)
    base, loaded = statistics.median(alone), statistics.median(hammered)
    print(f"served ({args.events:,} events in the stream; a writer appending one every 10 ms): "
          f"the post's page alone {post_ms:.1f} ms")
    mean, loaded_mean = statistics.fmean(alone), statistics.fmean(hammered)
    print(f"  Overview alone                              median {base:8.2f} ms   "
          f"mean {mean:8.2f} ms   p95 {_p95(alone):8.2f} ms")
    print(f"  Overview while a client loads the post page  median {loaded:8.2f} ms   "
          f"mean {loaded_mean:8.2f} ms   p95 {_p95(hammered):8.2f} ms   "
          f"{loaded_mean / mean:.1f}x alone (means), {_p95(hammered) / _p95(alone):.1f}x (p95)")
    print(f"  {args.concurrent} concurrent loads of the post page: p95 "
          f"{_p95(concurrent):.1f} ms, slowest {max(concurrent):.1f} ms, all answered in "
          f"{wall_ms:.0f} ms, errors {errors}")
    return errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pins", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--concurrent", type=int, default=200)
    parser.add_argument("--samples", type=int, default=60)
    args = parser.parse_args()

    prefix = f"bench-console-{uuid.uuid4().hex[:8]}"
    settings = Settings(redis_url=args.redis, key_prefix=prefix, events_stream=f"{prefix}:events",
                        secret_key=SecretStr(SecretBox.generate_key()))
    client: redis.Redis[bytes] = redis.Redis.from_url(args.redis)
    runtime = Runtime.build(settings, redis_client=client)
    store = ChannelFiguresStore(client, prefix)
    try:
        today = datetime.now(UTC).date()
        pins, stats, account, boards = _channel(args.pins, today)
        figures = build_figures(CHANNEL, datetime.now(UTC), status="ok", username="bench_shop",
                                account=account, boards=boards, pins=pins, pin_analytics=stats,
                                pin_period=(today - timedelta(days=30), today))
        store.save(figures)
        for week in range(52):
            runtime.store.follower_snapshots.save(CHANNEL, FollowerSnapshot(
                taken_at=datetime.now(UTC) - timedelta(weeks=52 - week),
                boards={b.id: (b.follower_count or 0) + week * 3 for b in boards}))
        env = make_environment(ChartStore(client, prefix))
        template = env.get_template("channel.html")

        def load() -> object:
            return store.load(CHANNEL)

        session_token = secrets.token_urlsafe(32)  # what a logged-in page carries

        def page() -> str:
            context = tab_context(runtime, store, CHANNEL, "overview")
            return template.render(**context, request=None, csrf_token=session_token,
                                   logged_in=True, report=False)

        # The first console view of a new snapshot: it draws the Overview's charts, stores them
        render_chart.cache_clear()
        started = time.perf_counter()
        page()
        draw_ms = (time.perf_counter() - started) * 1000
        # Another console process that never drew them: it reads them from Redis
        render_chart.cache_clear()
        env = make_environment(ChartStore(client, prefix))
        template = env.get_template("channel.html")
        started = time.perf_counter()
        first_html = page()
        first_ms = (time.perf_counter() - started) * 1000
        load_ms = _median_ms(load, args.rounds)
        page_ms = _median_ms(page, args.rounds)
        raw = store.load_raw(CHANNEL) or b""
        ratio = page_ms / load_ms
        print(f"channel of {args.pins:,} Pins: snapshot {len(raw):,} bytes, "
              f"{len(figures.top_pins)} top Pins kept, {len(figures.days)} days; "
              f"page {len(first_html):,} bytes with {first_html.count('<svg')} charts")
        print(f"  load stored figures (Redis GET + validate)  {load_ms:8.2f} ms")
        print(f"  channel page (Overview), charts as served before  {page_ms:8.2f} ms   "
              f"{ratio:.2f}x load   target <= {TARGET:g}x: "
              f"{'met' if ratio <= TARGET else 'MISSED'}")
        print(f"  its first view in another console process (the charts drawn before, "
              f"read from Redis)  {first_ms:8.2f} ms   {first_ms / load_ms:.2f}x load")
        print(f"  the very first view, drawing the 4 charts (once per new snapshot)  "
              f"{draw_ms:8.2f} ms")
        errors = served(settings, runtime, args)
        return 0 if ratio <= TARGET and not errors else 1
    finally:
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            client.delete(key)
        runtime.close()


if __name__ == "__main__":
    sys.exit(main())
