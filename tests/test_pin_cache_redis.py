"""The Pin cache on real Redis: records and meta written together, read back whole, expiring."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import redis

from pinterest_agent.agents.insights.pin_cache import PinCacheMeta
from pinterest_agent.agents.insights.pin_records import PinRecord, text_hash
from pinterest_agent.queues.stores.pin_cache import RedisPinCache

pytestmark = pytest.mark.redis

NOW = datetime(2024, 6, 11, 9, tzinfo=UTC)


def record(n: int, title: str = "Lemon Bars") -> PinRecord:
    return PinRecord(id=str(n), title=title, description=None, created_at=NOW,
                     text_hash=text_hash(title, None), category="recipe", category_by="llm",
                     rules_category="recipe")


def test_records_and_meta_round_trip_and_removals_apply(
    prefix: str, redis_server: redis.Redis[bytes]
) -> None:
    # Given a cache holding 2,500 records (written in chunks)
    cache = RedisPinCache(redis_server, prefix=prefix, ttl_s=600)
    meta = PinCacheMeta(listed_at=NOW, full_listed_at=NOW)
    cache.update("shop", upsert=[record(n) for n in range(2500)], remove=(), meta=meta)
    # When one record changes and another is removed
    cache.update("shop", upsert=[record(7, "DIY Wall Art")], remove=["8"], meta=meta)
    # Then a load returns exactly the current records and the meta
    loaded = cache.load("shop")
    assert len(loaded.records) == 2499 and "8" not in loaded.records
    assert loaded.records["7"].title == "DIY Wall Art"
    assert loaded.records["1"] == record(1)
    assert loaded.meta == meta
    # And both keys expire (a channel whose insights stop is forgotten)
    assert 0 < redis_server.ttl(f"{prefix}:pin-cache:shop") <= 600
    assert 0 < redis_server.ttl(f"{prefix}:pin-cache-meta:shop") <= 600
    # And other channels are apart
    assert cache.load("other").meta is None


def test_a_cache_of_another_format_reads_as_empty(
    prefix: str, redis_server: redis.Redis[bytes]
) -> None:
    cache = RedisPinCache(redis_server, prefix=prefix, ttl_s=600)
    old = PinCacheMeta(format=0, listed_at=NOW, full_listed_at=NOW)
    cache.update("shop", upsert=[record(1)], remove=(), meta=old)
    assert cache.load("shop").records == {} and cache.load("shop").meta is None
    redis_server.set(f"{prefix}:pin-cache-meta:shop", b"{not json")
    assert cache.load("shop").meta is None
