"""The port to a channel's cached Pin metadata, kept between insight runs.

:class:`PinCache` is what :mod:`agents.insights.pin_catalog` reads and writes;
``queues/stores/pin_cache.py`` implements it on Redis (one hash per channel, a record per Pin, and a
small meta document), :class:`InMemoryPinCache` in a process (tests, one-off runs, benchmarks).
Its contract:

* ``load(channel_id)`` returns every cached record and the meta (``None`` when the channel has no
  cache yet, or one written in an older :data:`CACHE_FORMAT`: that is a cold run);
* ``update(channel_id, upsert=..., remove=..., meta=...)`` writes the changed records, deletes
  the removed ones and replaces the meta, all or nothing. Running it twice is harmless, so a
  retried job may repeat it.

An implementation may forget a channel that has not been updated for a long time (Redis expires
it): the next run is then a cold one, which rebuilds the cache.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from pinterest_agent.agents.insights.pin_records import PinRecord

__all__ = ["CACHE_FORMAT", "CachedPins", "InMemoryPinCache", "PinCache", "PinCacheMeta"]

CACHE_FORMAT = 1
"""Bumped when :class:`PinRecord` changes shape; an older cache is ignored (a cold run)."""


class PinCacheMeta(BaseModel):
    """When a channel's Pins were listed, in part and in full, and each Pin's metric code."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    format: int = CACHE_FORMAT
    listed_at: datetime
    """The last listing of any kind (the newest pages at least)."""
    full_listed_at: datetime
    """The last listing that walked every page: edits and deletions seen up to then."""
    newest_first: bool = True
    """Whether that full listing came back newest first (the early stop relies on it)."""
    rules_version: str = ""
    """The keyword rules the codes of rule-categorised Pins were made with."""
    index: dict[str, int] = Field(default_factory=dict)
    """Pin id -> metric code (:mod:`agents.insights.pin_index`) of every categorised Pin."""


@dataclass(frozen=True)
class CachedPins:
    """A channel's cache as loaded: records by Pin id and the meta (None: nothing cached)."""

    records: dict[str, PinRecord] = field(default_factory=dict)
    meta: PinCacheMeta | None = None


class PinCache(Protocol):
    def load(self, channel_id: str) -> CachedPins:
        """Every cached record of the channel and its meta (empty, meta None, when none)."""
        ...

    def update(
        self,
        channel_id: str,
        *,
        upsert: Sequence[PinRecord],
        remove: Collection[str],
        meta: PinCacheMeta,
    ) -> None:
        """Write ``upsert``, delete ``remove`` and set ``meta``, all at once."""
        ...


class InMemoryPinCache:
    """A process-local :class:`PinCache` for tests, one-off runs and benchmarks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, dict[str, PinRecord]] = {}
        self._meta: dict[str, PinCacheMeta] = {}

    def load(self, channel_id: str) -> CachedPins:
        with self._lock:
            meta = self._meta.get(channel_id)
            if meta is None or meta.format != CACHE_FORMAT:
                return CachedPins()
            return CachedPins(dict(self._records.get(channel_id, {})), meta)

    def update(
        self,
        channel_id: str,
        *,
        upsert: Sequence[PinRecord],
        remove: Collection[str],
        meta: PinCacheMeta,
    ) -> None:
        with self._lock:
            records = self._records.setdefault(channel_id, {})
            for pin_id in remove:
                records.pop(pin_id, None)
            records.update((record.id, record) for record in upsert)
            self._meta[channel_id] = meta
