"""A channel's Pins for one insight run: the cached records brought up to date, cheaply.

Listing every Pin is most of a cold run's requests (40 pages of 250 for 10,000 Pins), and almost
nothing changes from one week to the next. :meth:`PinCatalog.refresh` therefore lists only until
it reaches Pins it already knows, and walks the whole listing on a slow rotation:

* **Cold** (no cache yet, or one in an older format): every page; the cache is written.
* **Warm**: pages newest first until a page whose Pins are all known, then stop. Pinterest's
  spec promises no order for ``GET /pins`` (it declares no sort); Pinterest and the local sandbox
  list newest first. So the early stop also needs the walk to have come back newest first so far
  (by ``created_at``) and the last full listing to have been newest first too; a whole known page
  is asked for, not one known Pin, so an older Pin moved up (were the order ever by edit time)
  does not end the walk. Out of order, the walk reads to the end (a full listing), and the next
  runs do the same until a full listing comes back in order.
* **Rotation**: when the last full listing is ``refresh_after`` old
  (``PINTEREST_AGENT_PIN_CACHE_REFRESH_DAYS``, default 28), the walk reads every page: edits
  deep in the listing (an older Pin's new title) and deletions are caught then. A full walk
  replaces the cache with exactly what it listed.
* **Deletions** seen earlier: a Pin whose analytics answer 404 (deleted since it was cached) is
  dropped with :meth:`PinCatalog.drop`.

Pins listed in this run keep their cached category when their title and description are
unchanged (``text_hash``); new and edited ones are categorised by :meth:`PinCatalog.categorize`,
the most-seen first. Each categorised Pin's metric code (category x publish hour, who decided;
:mod:`agents.insights.pin_index`) is cached with the meta, so the metric pass reads one small
integer per Pin instead of a record. ``lifetime`` holds comments and reactions of the Pins listed
in this run (the pages are asked with ``pin_metrics=true``); those are current, cached values
would not be.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pinterest_agent.agents.insights.categories import RULES_VERSION
from pinterest_agent.agents.insights.categorizer import PinCategorizer
from pinterest_agent.agents.insights.pin_cache import CachedPins, PinCache, PinCacheMeta
from pinterest_agent.agents.insights.pin_index import MODEL_BIT, metric_code
from pinterest_agent.agents.insights.pin_records import LLM_SOURCE, PinRecord
from pinterest_agent.providers.pinterest.analytics_models import PinLifetimeMetrics
from pinterest_agent.providers.pinterest.models import Pin

__all__ = ["DEFAULT_REFRESH_DAYS", "ListingReport", "PinCatalog"]

DEFAULT_REFRESH_DAYS = 28
"""Walk every page of the listing at least this often (edits and deletions are caught then)."""

log = logging.getLogger(__name__)
_OLDEST = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ListingReport:
    """What one refresh did."""

    pages: int
    full: bool
    reason: str
    """``cold``, ``rotation``, ``unordered`` (the last full listing was out of order), ``end``
    (the early stop never came) or ``known`` (stopped at a page of known Pins)."""
    added: int
    changed: int
    removed: int


class PinCatalog:
    """One channel's Pins during one insight run, kept in step with its :class:`PinCache`."""

    def __init__(
        self,
        cache: PinCache,
        channel_id: str,
        *,
        refresh_after: timedelta = timedelta(days=DEFAULT_REFRESH_DAYS),
    ) -> None:
        self._cache = cache
        self._channel_id = channel_id
        self._refresh_after = refresh_after
        self._records: dict[str, PinRecord] = {}
        self._index: dict[str, int] = {}
        self._newest_first: list[PinRecord] | None = None
        self._meta: PinCacheMeta | None = None
        self.lifetime: dict[str, PinLifetimeMetrics] = {}
        """Comments and reactions of the Pins listed in this run (``pin_metrics``)."""

    @property
    def records(self) -> list[PinRecord]:
        """Every Pin of the channel, newest first (then by id, so runs agree on the order)."""
        if self._newest_first is None:
            self._newest_first = sorted(self._records.values(),
                                        key=lambda r: (r.created_at or _OLDEST, r.id),
                                        reverse=True)
        return self._newest_first

    @property
    def by_id(self) -> Mapping[str, PinRecord]:
        """Every Pin of the channel by id (not to be changed: a ``Mapping``)."""
        return self._records

    @property
    def index(self) -> Mapping[str, int]:
        """The metric code of every categorised Pin by id (not to be changed; a plain dict
        behind the ``Mapping`` type, for the metric pass's lookups)."""
        return self._index

    def get(self, pin_id: str) -> PinRecord | None:
        return self._records.get(pin_id)

    # -- listing ------------------------------------------------------------------------------

    def refresh(self, pages: Iterable[Sequence[Pin]], now: datetime) -> ListingReport:
        """Bring the records up to date from ``pages`` (a lazy walk of ``GET /pins``, newest
        first as Pinterest lists them; only the pages iterated are requested) and write the
        cache. See the module docstring for when the walk stops."""
        cached = self._cache.load(self._channel_id)
        meta = cached.meta
        if meta is None:
            reason = "cold"
        elif now - meta.full_listed_at >= self._refresh_after:
            reason = "rotation"
        elif not meta.newest_first:
            reason = "unordered"
        else:
            reason = ""
        fresh, lifetime, read, stopped, in_order = self._walk(pages, cached, stop=not reason)
        full = not stopped
        records = dict(cached.records) if stopped else {}
        added = changed = 0
        upsert = []
        for pin_id, record in fresh.items():
            earlier = cached.records.get(pin_id)
            if earlier is None:
                added += 1
            else:
                record = record.carrying(earlier)
                if not record.same_metadata(earlier):
                    changed += 1
            records[pin_id] = record
            if record != earlier:
                upsert.append(record)
        removed = set(cached.records) - set(records)
        index = dict(meta.index) if meta and meta.rules_version == RULES_VERSION else {}
        for pin_id in (*(r.id for r in upsert), *removed):
            index.pop(pin_id, None)  # new or changed: (re)coded by categorize()
        self._records = records
        self._index = index
        self._newest_first = None
        self.lifetime = lifetime
        self._meta = PinCacheMeta(
            listed_at=now,
            full_listed_at=now if full else (meta.full_listed_at if meta else now),
            newest_first=in_order if full else (meta.newest_first if meta else True),
            rules_version=RULES_VERSION, index=index,
        )
        self._cache.update(self._channel_id, upsert=upsert, remove=removed, meta=self._meta)
        report = ListingReport(read, full, reason or ("known" if stopped else "end"), added,
                               changed, len(removed))
        log.info("pins channel=%s: %d pages (%s), %d Pins: %d new, %d changed, %d gone",
                 self._channel_id, read, report.reason, len(records), added, changed,
                 len(removed))
        return report

    @staticmethod
    def _walk(
        pages: Iterable[Sequence[Pin]], cached: CachedPins, *, stop: bool
    ) -> tuple[dict[str, PinRecord], dict[str, PinLifetimeMetrics], int, bool, bool]:
        """Read pages until a whole page is known (when ``stop``) and the order held; returns
        the records listed, their lifetime figures, pages read, whether it stopped early and
        whether the listing was newest first."""
        fresh: dict[str, PinRecord] = {}
        lifetime: dict[str, PinLifetimeMetrics] = {}
        in_order = True
        previous: datetime | None = None
        read = 0
        walk: Iterator[Sequence[Pin]] = iter(pages)
        try:
            for page in walk:
                read += 1
                for pin in page:
                    record = PinRecord.from_pin(pin)
                    created = record.created_at
                    if created is not None:
                        if previous is not None and created > previous:
                            in_order = False
                        previous = created
                    fresh[record.id] = record
                    if pin.pin_metrics is not None:
                        lifetime[pin.id] = PinLifetimeMetrics.from_pin_metrics(
                            pin.id, pin.pin_metrics)
                if stop and in_order and page and all(p.id in cached.records for p in page):
                    return fresh, lifetime, read, True, in_order
        finally:
            close = getattr(walk, "close", None)
            if close is not None:
                close()  # a generator left at a page sends nothing more
        return fresh, lifetime, read, False, in_order

    # -- after the analytics ------------------------------------------------------------------

    def drop(self, pin_ids: Iterable[str]) -> int:
        """Forget Pins Pinterest no longer has (404 in analytics); returns how many."""
        gone = [pin_id for pin_id in pin_ids if pin_id in self._records]
        if gone:
            for pin_id in gone:
                del self._records[pin_id]
                self._index.pop(pin_id, None)
            self._newest_first = None
            self._save(upsert=[], remove=gone)
            log.info("pins channel=%s: %d deleted Pins dropped", self._channel_id, len(gone))
        return len(gone)

    def pending(self, categorizer: PinCategorizer) -> list[PinRecord]:
        """The Pins ``categorizer`` has to decide: no category yet (new, or edited since), or one
        it does not keep (decided by an older rule set, or by the rules while a model is used).

        Pins with a category it keeps but no metric code yet (listed again this run) get their
        code here. On a warm run this looks at the few Pins listed again, not at every record.
        """
        keeps = categorizer.keeps
        index = self._index
        waiting = []
        for pin_id in self._records.keys() - index.keys():
            record = self._records[pin_id]
            if record.category_by in keeps:
                index[pin_id] = metric_code(record)
            else:
                waiting.append(record)
        for source, by_model in ((LLM_SOURCE, True), (RULES_VERSION, False)):
            if source not in keeps:
                waiting += [self._records[pin_id] for pin_id, code in index.items()
                            if bool(code & MODEL_BIT) == by_model]
        return waiting

    def categorize(
        self, categorizer: PinCategorizer, *, priority: Callable[[str], float] | None = None
    ) -> int:
        """Categorise every Pin :meth:`pending` names, the highest ``priority`` first (the
        period's impressions, so a per-run model budget goes to the Pins that weigh most), and
        write the cache when anything changed; returns how many were categorised."""
        before = len(self._index)
        pending = self.pending(categorizer)
        done: list[PinRecord] = []
        if pending:
            weight = priority or (lambda pin_id: 0.0)
            pending.sort(key=lambda r: (-weight(r.id), r.id))
            done = categorizer.categorize(pending)
            for record in done:
                self._records[record.id] = record
                self._index[record.id] = metric_code(record)
            self._newest_first = None
        if done or len(self._index) != before:
            self._save(upsert=done, remove=())
        return len(done)

    def _save(self, *, upsert: Sequence[PinRecord], remove: Iterable[str]) -> None:
        if self._meta is None:
            return  # never refreshed: nothing to write against
        self._meta = self._meta.model_copy(update={"index": dict(self._index)})
        self._cache.update(self._channel_id, upsert=upsert, remove=list(remove),
                           meta=self._meta)
