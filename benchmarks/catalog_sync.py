"""A large catalog: parsing it, planning it, its first sync, and syncing it again.

1. **Unchanged re-sync**: ``parse_feed`` of a generated Google Merchant CSV (``--items``, 10,000
   by default; 3 images each, mapped to 40 boards by product type) against the sync of the same
   bytes when every item is already known and unchanged (parse + :class:`CatalogSync` on real
   Redis). Target: at most 2x the parse alone.
2. **Redis round trips** of that sync, counted on the client (each command outside a pipeline,
   each pipeline), against the number of batches (``--batch-size``, 500 by default). Target:
   at most one per batch plus a constant (the outbox, the calendar, the item count).
3. **Plan**: ``catalog plan`` (parse + a dry-run sync of a feed the channel never saw). Target:
   at most 2x the parse alone.
4. **First sync** of that feed (its briefs counted, not kept), reported beside the parse; with
   100,000 items about 74,000 do not fit in the 365-day horizon (40 boards, 10 a week each).
5. **Next day**: the unchanged feed synced a day later. Target: at most 2x the parse, and no
   item waiting beyond the horizon looked at again (none re-planned; each waits until its day).
6. **Peak memory** of parse + plan, and of parse + first sync, traced with ``tracemalloc`` (a
   separate run, so the timings are not slowed by it) against the parsed items' own size.
   Target: within 2x the parsed items.

Times are medians over ``--rounds`` (stages 3-5 once each with ``--rounds 1``) with the garbage
collector paused, side by side in one run; exits non-zero when a target is missed. Needs Redis
on ``--redis`` (keys under a fresh prefix, deleted afterwards).

    python benchmarks/catalog_sync.py [--items 10000] [--batch-size 500] [--rounds 5]
    python benchmarks/catalog_sync.py --items 100000 --rounds 1     # about 42 MB of CSV
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import redis

from pinterest_agent.agents.catalog import (
    CatalogMapping,
    CatalogSync,
    OutboxEntry,
    ParsedFeed,
    SyncOptions,
    SyncReport,
    parse_feed,
)
from pinterest_agent.agents.catalog.planner import CadenceLimits
from pinterest_agent.agents.catalog.state import CatalogStore
from pinterest_agent.queues.stores.catalogs import RedisCatalogStore

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
TIME_TARGET = 2.0
MEMORY_TARGET = 2.0
EXTRA_TRIPS = 5
BOARDS = 40


class CountingRedis(redis.Redis):  # type: ignore[type-arg]
    trips = 0

    def execute_command(self, *args: Any, **options: Any) -> Any:
        CountingRedis.trips += 1
        return super().execute_command(*args, **options)

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> Any:
        pipe = super().pipeline(transaction, shard_hint)
        run = pipe.execute

        def counted(raise_on_error: bool = True) -> Any:
            CountingRedis.trips += 1
            return run(raise_on_error)

        pipe.execute = counted
        return pipe


class Boards:
    def resolve(self, board: str | None, section: str | None) -> tuple[str | None, str | None]:
        return (str(1000 + abs(hash(board)) % 1000) if board else None, None)


class Sent:
    """Counts what a sync sends (keeping 20,000 briefs would be the benchmark's memory)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, entry: OutboxEntry) -> None:
        self.count += 1


def make_feed(items: int) -> bytes:
    lines = ["id,item_group_id,title,description,link,image_link,additional_image_link,price,"
             "availability,product_type,google_product_category,custom_label_0"]
    for n in range(items):
        lines.append(
            f"SKU-{n:06d},G{n // 4},Linen Throw Blanket No. {n} in Sage Green,"
            f"\"A stonewashed linen throw, number {n}, that gets softer with every wash.\","
            f"https://shop.example.com/products/throw-{n},"
            f"https://cdn.example.com/{n}/main.jpg,"
            f"\"https://cdn.example.com/{n}/detail.jpg,https://cdn.example.com/{n}/room.jpg\","
            f"{49 + n % 50}.00 USD,{'in stock' if n % 20 else 'out of stock'},"
            f"Home > Bedding > Type {n % BOARDS},Home & Garden > Linens & Bedding,linen")
    return ("\n".join(lines) + "\n").encode()


def mapping() -> CatalogMapping:
    return CatalogMapping.model_validate({"rules": [
        {"when": {"product_type": f"Home > Bedding > Type {k}"}, "board": f"Throws {k}"}
        for k in range(BOARDS)]})


def timed(fn: Callable[[], Any], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - start)
        finally:
            gc.enable()
    return statistics.median(samples)


def once(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        result = fn()
        return time.perf_counter() - start, result
    finally:
        gc.enable()


def peak_memory(data: bytes, run: Callable[[ParsedFeed], Any]) -> tuple[int, int, int]:
    """(the parsed items' size, the parse's peak, the peak while ``run`` syncs them, the parsed
    items included), in bytes traced."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        feed = parse_feed(data)
        items, parse_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        run(feed)
        return items - base, parse_peak - base, tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()

    data = make_feed(args.items)
    rules = mapping()
    client = CountingRedis.from_url(args.redis)
    prefix = f"bench-catalog-{uuid.uuid4().hex[:8]}"
    sent = Sent()

    def sync(store: CatalogStore, at: datetime, feed: ParsedFeed | None = None, *,
             dry_run: bool = False) -> SyncReport:
        options = SyncOptions(channel_id="bench", batch_size=args.batch_size, dry_run=dry_run,
                              limits=CadenceLimits(per_day=2, per_week=10))
        return CatalogSync(store, Boards(), options=options, send=sent,
                           announce=lambda *event: None, clock=lambda: at).run(
            feed if feed is not None else parse_feed(data), rules)

    def fresh_store(name: str) -> RedisCatalogStore:
        return RedisCatalogStore(client, f"{prefix}-{name}")

    results: list[tuple[str, bool]] = []
    try:
        parse_s = timed(lambda: parse_feed(data), args.rounds)
        parsed = parse_feed(data)
        print(f"feed: {args.items:,} items, {len(data) / 1e6:.1f} MB, {BOARDS} boards")
        print(f"parse alone           {parse_s * 1000:9.1f} ms")

        plan_s = timed(lambda: sync(fresh_store("plan"), NOW, dry_run=True), args.rounds)
        ratio = plan_s / parse_s
        results.append(("plan", ratio <= TIME_TARGET))
        print(f"plan (parse + dry run){plan_s * 1000:9.1f} ms  {ratio:6.2f}x parse; target "
              f"<= {TIME_TARGET:.1f}x: {'met' if ratio <= TIME_TARGET else 'MISSED'}")

        store = fresh_store("main")
        first_s, first = once(lambda: sync(store, NOW, parsed))
        summary = first.summary()
        print(f"first sync            {first_s * 1000:9.1f} ms  {first_s / parse_s:6.2f}x parse "
              f"(parse excluded); {sent.count:,} briefs sent; {summary}")

        sent.count = 0
        resync_s = timed(lambda: sync(store, NOW + timedelta(minutes=1)), args.rounds)
        CountingRedis.trips = 0
        report = sync(store, NOW + timedelta(minutes=2))
        trips = CountingRedis.trips
        batches = -(-args.items // args.batch_size)
        ratio = resync_s / parse_s
        trip_target = batches + EXTRA_TRIPS
        unchanged_ok = not sent.count and report.summary()["deferred"] == 0
        results += [("unchanged re-sync", ratio <= TIME_TARGET and unchanged_ok),
                    ("round trips", trips <= trip_target)]
        print(f"sync, nothing changed {resync_s * 1000:9.1f} ms  {ratio:6.2f}x parse (parse "
              f"included; {sent.count} sent, {report.summary()['deferred']} re-planned); "
              f"target <= {TIME_TARGET:.1f}x: "
              f"{'met' if ratio <= TIME_TARGET and unchanged_ok else 'MISSED'}")
        print(f"Redis round trips     {trips:9d}     {batches} batches of {args.batch_size}: "
              f"{trips / batches:.2f} per batch; target <= {trip_target} "
              f"(1 per batch + {EXTRA_TRIPS}): {'met' if trips <= trip_target else 'MISSED'}")

        next_day_s, next_day = once(lambda: sync(store, NOW + timedelta(days=1)))
        replanned = next_day.summary()["deferred"]
        ratio = next_day_s / parse_s
        ok = ratio <= TIME_TARGET and replanned == 0
        results.append(("next day", ok))
        print(f"next day, unchanged   {next_day_s * 1000:9.1f} ms  {ratio:6.2f}x parse (parse "
              f"included); {replanned:,} waiting items re-planned; target <= "
              f"{TIME_TARGET:.1f}x and none: {'met' if ok else 'MISSED'}")

        for name, run in (
                ("plan", lambda feed: sync(fresh_store("mem-plan"), NOW, feed, dry_run=True)),
                ("first sync", lambda feed: sync(fresh_store("mem-first"), NOW, feed))):
            items_b, parse_b, peak_b = peak_memory(data, run)
            ratio = peak_b / items_b
            ok = ratio <= MEMORY_TARGET
            results.append((f"memory of the {name}", ok))
            print(f"peak memory, {name:<10}{peak_b / 1e6:8.1f} MB  {ratio:6.2f}x the parsed "
                  f"items ({items_b / 1e6:.1f} MB; the parse's own peak {parse_b / 1e6:.1f} MB)"
                  f"; target <= {MEMORY_TARGET:.1f}x: {'met' if ok else 'MISSED'}")
    finally:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start:start + 1000])
    missed = [name for name, ok in results if not ok]
    print("all targets met" if not missed else f"MISSED: {'; '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
