"""``agents.insights.pin_cache.PinCache`` on Redis: each channel's Pin records between insight runs.

Keys (under the store's prefix)::

    {prefix}:pin-cache:{channel}        hash: Pin id -> PinRecord JSON
    {prefix}:pin-cache-meta:{channel}   string: PinCacheMeta JSON

``update`` writes the changed records, deletes the removed ones and replaces the meta in one
``MULTI``/``EXEC`` (all or nothing), and sets both keys to expire ``ttl_s`` later: a channel whose
insights stop running is forgotten after a while (the default is twice the full-listing period,
so a weekly schedule never gets near it), and the run after that is a cold one. ``load`` reads
both in one round trip and parses every record in one pydantic call (10,000 Pins: a few MB, tens
of milliseconds). A cache in an older :data:`~agents.insights.pin_cache.CACHE_FORMAT` reads as
empty.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import redis
from pydantic import TypeAdapter, ValidationError

from pinterest_agent.agents.insights.pin_cache import CACHE_FORMAT, CachedPins, PinCacheMeta
from pinterest_agent.agents.insights.pin_records import PinRecord

__all__ = ["RedisPinCache"]

WRITE_CHUNK = 1_000
"""Records per ``HSET`` inside the transaction (keeps each command a reasonable size)."""

_RECORDS: TypeAdapter[list[PinRecord]] = TypeAdapter(list[PinRecord])


class RedisPinCache:
    """The Pin cache of every channel, on Redis (see the module docstring)."""

    def __init__(self, client: redis.Redis[bytes], *, prefix: str, ttl_s: int) -> None:
        if ttl_s < 1:
            raise ValueError("ttl_s must be at least 1")
        self._client = client
        self._prefix = prefix
        self._ttl_s = ttl_s

    def _keys(self, channel_id: str) -> tuple[str, str]:
        return (f"{self._prefix}:pin-cache:{channel_id}",
                f"{self._prefix}:pin-cache-meta:{channel_id}")

    def load(self, channel_id: str) -> CachedPins:
        records_key, meta_key = self._keys(channel_id)
        with self._client.pipeline(transaction=False) as pipe:
            pipe.get(meta_key)
            pipe.hvals(records_key)
            raw_meta, raw_records = pipe.execute()
        if raw_meta is None:
            return CachedPins()
        try:
            meta = PinCacheMeta.model_validate_json(raw_meta)
            if meta.format != CACHE_FORMAT:
                return CachedPins()
            records = _RECORDS.validate_json(b"[" + b",".join(raw_records) + b"]")
        except ValidationError:
            return CachedPins()  # written by another version: rebuilt by a cold run
        return CachedPins({record.id: record for record in records}, meta)

    def update(
        self,
        channel_id: str,
        *,
        upsert: Sequence[PinRecord],
        remove: Collection[str],
        meta: PinCacheMeta,
    ) -> None:
        records_key, meta_key = self._keys(channel_id)
        with self._client.pipeline(transaction=True) as pipe:
            if remove:
                pipe.hdel(records_key, *remove)
            for start in range(0, len(upsert), WRITE_CHUNK):
                chunk = upsert[start : start + WRITE_CHUNK]
                pipe.hset(records_key, mapping={r.id: r.model_dump_json() for r in chunk})
            pipe.set(meta_key, meta.model_dump_json(), ex=self._ttl_s)
            pipe.expire(records_key, self._ttl_s)
            pipe.execute()
