"""Syncing a 10,000-item catalog that has not changed, against parsing it alone.

1. **Time**: ``parse_feed`` of a generated Google Merchant CSV (10,000 items, 3 images each,
   mapped to 40 boards by product type) against the sync of the same bytes when every item is
   already known and unchanged (parse + :class:`agents.catalog.CatalogSync` on real Redis).
   Target: the sync takes at most 2x the parse alone.
2. **Redis round trips** of that sync, counted on the client (each command outside a pipeline,
   each pipeline), against the number of batches (``--batch-size``, 500 by default). Target:
   O(1) per batch, not per item: at most one per batch plus a constant (the outbox, the
   calendar, the item count).

The state is made by a first, real sync of the same feed (its briefs are counted, not sent).
Medians over ``--rounds`` with the garbage collector paused; exits non-zero when a target is
missed. Needs Redis on ``--redis`` (keys under a fresh prefix, deleted afterwards).

    python benchmarks/catalog_sync.py [--items 10000] [--batch-size 500] [--rounds 5]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import redis

from pinterest_agent.agents.catalog import (
    CatalogMapping,
    CatalogSync,
    OutboxEntry,
    SyncOptions,
    parse_feed,
)
from pinterest_agent.agents.catalog.planner import CadenceLimits
from pinterest_agent.queues.stores.catalogs import RedisCatalogStore

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
TIME_TARGET = 2.0
EXTRA_TRIPS = 5


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


def make_feed(items: int) -> bytes:
    lines = ["id,item_group_id,title,description,link,image_link,additional_image_link,price,"
             "availability,product_type,google_product_category,custom_label_0"]
    for n in range(items):
        lines.append(
            f"SKU-{n:05d},G{n // 4},Linen Throw Blanket No. {n} in Sage Green,"
            f"\"A stonewashed linen throw, number {n}, that gets softer with every wash.\","
            f"https://shop.example.com/products/throw-{n},"
            f"https://cdn.example.com/{n}/main.jpg,"
            f"\"https://cdn.example.com/{n}/detail.jpg,https://cdn.example.com/{n}/room.jpg\","
            f"{49 + n % 50}.00 USD,{'in stock' if n % 20 else 'out of stock'},"
            f"Home > Bedding > Type {n % 40},Home & Garden > Linens & Bedding,linen")
    return ("\n".join(lines) + "\n").encode()


def mapping() -> CatalogMapping:
    return CatalogMapping.model_validate({"rules": [
        {"when": {"product_type": f"Home > Bedding > Type {k}"}, "board": f"Throws {k}"}
        for k in range(40)]})


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
    store = RedisCatalogStore(client, prefix)
    sent: list[OutboxEntry] = []

    def sync(at: datetime) -> Any:
        options = SyncOptions(channel_id="bench", batch_size=args.batch_size,
                              limits=CadenceLimits(per_day=2, per_week=10))
        return CatalogSync(store, Boards(), options=options, send=sent.append,
                           announce=lambda *event: None, clock=lambda: at).run(
            parse_feed(data), rules)

    try:
        first = sync(NOW)
        print(f"setup: first sync of {args.items:,} items planned {len(first.planned):,} Pins "
              f"({first.summary()['deferred']:,} beyond the planning horizon)")
        sent.clear()
        parse_s = timed(lambda: parse_feed(data), args.rounds)
        sync_s = timed(lambda: sync(NOW + timedelta(minutes=1)), args.rounds)
        CountingRedis.trips = 0
        report = sync(NOW + timedelta(minutes=2))
        trips = CountingRedis.trips
    finally:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    batches = -(-args.items // args.batch_size)
    ratio = sync_s / parse_s
    trip_target = batches + EXTRA_TRIPS
    assert not sent and report.summary()["unchanged"] == args.items, report.summary()
    print(f"parse alone           {parse_s * 1000:8.1f} ms  ({args.items:,} items)")
    print(f"sync, nothing changed {sync_s * 1000:8.1f} ms  (parse included; nothing sent)")
    print(f"ratio                 {ratio:8.2f}x    target <= {TIME_TARGET:.1f}x: "
          f"{'met' if ratio <= TIME_TARGET else 'MISSED'}")
    print(f"Redis round trips     {trips:8d}     {batches} batches of {args.batch_size}: "
          f"{trips / batches:.2f} per batch; target <= {trip_target} "
          f"(1 per batch + {EXTRA_TRIPS}): {'met' if trips <= trip_target else 'MISSED'}")
    return 0 if ratio <= TIME_TARGET and trips <= trip_target else 1


if __name__ == "__main__":
    sys.exit(main())
