"""The catalog sync: a parsed feed and its mapping in, the messages that keep the channel's Pins
in step with it out, idempotent and resumable.

Per batch of ``batch_size`` items: one read of the items' fingerprints; for the items whose
fingerprint says something is to do, one read of their states, one of their briefs' publish
ledger entries (which Pins went live) and one of earlier titles; then one transaction writes the
new states, fingerprints, calendar counts and the messages to send (the *outbox*); then the
outbox is sent, each message removed once enqueued. An unchanged feed costs the fingerprint
reads alone; a sync interrupted anywhere sends, when run again, what it had decided and not yet
sent, and decides nothing twice.

What an item gets:

- **new**: its first Pin (a ``PinBrief`` to the writer, slot from the planner);
- **changed** (title, description, link, price or availability): each live Pin is updated: new
  copy from the writer (``PinBrief.update_of``) when the title, description or price changed,
  else a ``PostUpdate`` of its link; a Pin not live yet is updated by a later sync once it is
  (the item stays *dirty* until then);
- **new image**: a fresh Pin with it (never an edit of the old Pin's image);
- **out of stock / removed**: reported (``catalog.item_unavailable``) and, with the mapping's
  ``archive_board``, its Pins moved there; back in stock, moved back. Never deleted;
- **due for a variation**: its next Pin (``agents.catalog.variations``).

The report puts every row of the feed in exactly one bucket (:data:`BUCKETS`), so they add up to
the feed's size (``items``): what happened to an item that had several things happen is the
first of ``unavailable``, ``back``, ``updated``, ``new``, ``variations``, ``deferred``,
``season_full``, ``checked`` (looked at only to learn its Pins' ids), and each thing is still
one line of ``actions``. Items gone from the feed are counted apart (``removed``).

A Pin the planner cannot place waits: its fingerprint's ``due`` is the planner's ``retry_on``
(the day the horizon reaches the first day it could take, or the day after a full season's
event), so syncs before that day read its fingerprint alone.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, Protocol

from pinterest_agent.agents.catalog.briefs import brief_for, brief_id, update_message
from pinterest_agent.agents.catalog.items import FeedItem, FeedProblem, ParsedFeed
from pinterest_agent.agents.catalog.mapping import CatalogMapping, Route
from pinterest_agent.agents.catalog.planner import CadenceLimits, Peaks, Planner, Slot, Unplaced
from pinterest_agent.agents.catalog.seasons import DEFAULT_REGION, Region
from pinterest_agent.agents.catalog.state import (
    CatalogStore,
    Fingerprint,
    ItemState,
    OutboxEntry,
    Status,
    VariationState,
)
from pinterest_agent.agents.catalog.variations import (
    VariationPlan,
    VariationPolicy,
    layout_name,
    next_variation,
)
from pinterest_agent.agents.messages import UpdateTarget

__all__ = [
    "BUCKETS",
    "BoardDirectory",
    "CatalogSync",
    "ItemAction",
    "PlannedPin",
    "SyncOptions",
    "SyncReport",
]

log = logging.getLogger(__name__)

COPY_FIELDS = ("title", "description", "price", "sale_price")
DEFAULT_BATCH = 500
PIN_GRACE = timedelta(minutes=10)
PIN_WATCH = timedelta(days=7)
"""A planned Pin's id is looked for from ``PIN_GRACE`` after its slot, for ``PIN_WATCH``."""
DEFAULT_BOARD = ""
"""The planner's name for the channel's default board."""
Action = Literal["new", "updated", "unchanged", "skipped", "error", "variation", "unavailable",
                 "removed", "back", "deferred", "season_full"]
BUCKETS = ("new", "deferred", "season_full", "updated", "variations", "unavailable", "back",
           "checked", "unchanged", "skipped", "errors")
"""Where each row of a feed ends up in a sync's report, one bucket each; they sum to ``items``:

- ``new``: a new item, its first Pin planned;
- ``deferred``: a Pin to plan (a new item's first, or a due variation) that does not fit in the
  planning horizon (or whose season's window opens after it): it waits, looked at again on the
  day it may fit;
- ``season_full``: a seasonal item with no room before its event (see the report's
  ``seasons``);
- ``updated``, ``variations``, ``unavailable``, ``back``: what the module docstring says;
- ``checked``: read only to learn whether its Pins went live (their ids), nothing else to do;
- ``unchanged``: nothing to do (its fingerprint alone was read);
- ``skipped``: no rule routes it, or new and out of stock;
- ``errors``: a row that could not be used (``problems``).
"""
_RANK = {name: rank for rank, name in enumerate(
    ("unavailable", "back", "updated", "new", "variations", "deferred", "season_full"))}


class BoardDirectory(Protocol):
    def resolve(self, board: str | None, section: str | None) -> tuple[str | None, str | None]:
        """Board and section ids for names (None board: the channel's default, ``(None,
        None)``); a board that does not exist is created when the mapping allows it, else
        ``(None, None)`` and the brief names it as a hint."""
        ...


@dataclass(frozen=True, slots=True)
class SyncOptions:
    channel_id: str
    policy: VariationPolicy = field(default_factory=VariationPolicy)
    limits: CadenceLimits = field(default_factory=CadenceLimits)
    batch_size: int = DEFAULT_BATCH
    dry_run: bool = False
    region: Region = DEFAULT_REGION
    """Where movable seasons (Easter, Mother's Day, Thanksgiving) fall; the mapping's
    ``region:`` wins."""
    rising: Mapping[str, date] = field(default_factory=dict)
    """Per season name, the day Pinterest predicts its searches start rising (``Planner.rising``:
    the season's window opens then)."""


@dataclass(frozen=True, slots=True)
class ItemAction:
    item_id: str
    action: Action
    detail: str = ""
    board: str | None = None


@dataclass(frozen=True, slots=True)
class PlannedPin:
    item_id: str
    brief_id: str
    board: str
    at: datetime
    layout: str
    seasonal: str | None = None
    late: bool = False


@dataclass
class SyncReport:
    channel_id: str
    dry_run: bool
    counts: Counter[str] = field(default_factory=Counter)
    actions: list[ItemAction] = field(default_factory=list)
    problems: list[FeedProblem] = field(default_factory=list)
    planned: list[PlannedPin] = field(default_factory=list)
    seasons: list[str] = field(default_factory=list)
    """Per event and board: how many of its Pins fit before it, and what to do when some
    did not."""
    sent: int = 0
    resent: int = 0

    def summary(self) -> dict[str, Any]:
        """The buckets (:data:`BUCKETS`, summing to ``items``: the feed's rows), ``removed``
        (items gone from the feed, apart), and the messages sent."""
        return {"channel_id": self.channel_id, "dry_run": self.dry_run,
                "items": sum(self.counts[key] for key in BUCKETS),
                **{key: self.counts[key] for key in BUCKETS},
                "removed": self.counts["removed"], "sent": self.sent, "resent": self.resent}


def _chunks(items: Sequence[FeedItem], size: int) -> Iterator[Sequence[FeedItem]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


@dataclass
class _Work:
    """One touched item's decisions, before its titles are known."""

    item: FeedItem | None
    route: Route | None
    state: ItemState
    plans: list[tuple[VariationPlan, Slot]] = field(default_factory=list)
    bucket: str | None = None
    """Where the report counts it (the highest ranked of what happened to it)."""
    retry_on: date | None = None
    """A Pin could not be planned: when to try again."""

    def ranks(self, bucket: str) -> None:
        if self.bucket is None or _RANK[bucket] < _RANK[self.bucket]:
            self.bucket = bucket


class CatalogSync:
    """Every collaborator injected: the store, board names to ids, a sender for each outbox
    entry, an announcer for events, the clock, the channel's peaks and top Pins."""

    def __init__(
        self, store: CatalogStore, boards: BoardDirectory, *, options: SyncOptions,
        send: Callable[[OutboxEntry], None], announce: Callable[[str, str, dict[str, Any]], None],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        peaks: Peaks | None = None, top_pin_ids: Sequence[str] = (),
    ) -> None:
        self._store = store
        self._boards = boards
        self._options = options
        self._send = send
        self._announce = announce
        self._clock = clock
        self._peaks = peaks or Peaks()
        self._top_pin_ids = tuple(top_pin_ids)
        self._pending: list[OutboxEntry] = []

    # -- the run -------------------------------------------------------------------------------

    def run(self, feed: ParsedFeed, mapping: CatalogMapping,
            progress: Callable[[int], None] = lambda n: None) -> SyncReport:
        options = self._options
        channel = options.channel_id
        self._now = self._clock()
        self._revision = int(self._now.timestamp() * 1000)
        self._mapping = mapping
        report = SyncReport(channel, options.dry_run)
        self._report = report
        report.problems = list(feed.problems)
        report.counts["errors"] = len(feed.problems)
        if not options.dry_run:
            report.resent = self._drain()
        self._planner = Planner(options.limits, self._now, self._peaks,
                                Counter(self._store.calendar(channel)),
                                region=mapping.region or options.region,
                                rising=options.rising)
        self._top = (self._store.items_for_pins(channel, self._top_pin_ids)
                     if self._top_pin_ids else set())
        existing = 0
        for batch in _chunks(feed.items, options.batch_size):
            existing += self._batch(batch)
            progress(len(batch))
        known = self._store.count(channel)
        if known > existing:
            seen = {item.item_id for item in feed.items}
            seen |= {p.item_id for p in feed.problems if p.item_id}
            self._removed(seen)
        report.seasons = [str(fit) for fit in self._planner.seasons.values()]
        if not options.dry_run:
            self._announce("catalog.synced", channel, report.summary())
        return report

    def _batch(self, batch: Sequence[FeedItem]) -> int:
        channel = self._options.channel_id
        raw = self._store.fingerprints(channel, [item.item_id for item in batch])
        existing = sum(value is not None for value in raw)
        fresh: list[tuple[FeedItem, Route]] = []
        touched: list[tuple[FeedItem, Route]] = []
        now_s = self._now.timestamp()
        for item, stored in zip(batch, raw, strict=True):
            route = self._mapping.route(item)
            if route is None:
                self._count("skipped", ItemAction(item.item_id, "skipped",
                                                  "no rule matches and unmatched: skip"))
                continue
            if stored is None:
                fresh.append((item, route))
                continue
            print_ = Fingerprint.load(stored)
            status = "a" if item.available else "u"
            if (print_.content == item.content_hash() and print_.image == item.image_hash()
                    and print_.status == status and not print_.dirty
                    and not (print_.due and print_.due <= now_s)
                    and item.item_id not in self._top):
                self._report.counts["unchanged"] += 1
                continue
            touched.append((item, route))
        works = [self._new_item(item, route) for item, route in fresh]
        if touched:
            states = self._store.states(channel, [item.item_id for item, _ in touched])
            works += self._touched(touched, states)
        counts = self._report.counts
        for work in works:
            counts[work.bucket or "checked"] += 1
        self._finish(works)
        return existing

    # -- deciding ------------------------------------------------------------------------------

    def _count(self, key: str, action: ItemAction) -> None:
        """An item that is no work (skipped, removed): counted now."""
        self._report.counts[key] += 1
        self._report.actions.append(action)

    def _did(self, work: _Work, bucket: str, action: ItemAction) -> None:
        """One thing that happened to a work's item (counted once per item, by rank)."""
        work.ranks(bucket)
        self._report.actions.append(action)

    def _new_item(self, item: FeedItem, route: Route) -> _Work:
        # Built from the item's own typed values: no validation to run (the hot path of a
        # first sync of a large feed)
        state = ItemState.model_construct(
            item_id=item.item_id, content=item.content_hash(), copy_hash=item.copy_hash(),
            image=item.image_hash(), status="a" if item.available else "u",
            fields=item.fields(), board=route.board, variations=[])
        work = _Work(item, route, state)
        if not item.available:
            work.bucket = "skipped"
            self._report.actions.append(ItemAction(
                item.item_id, "skipped", "new but out of stock: its first Pin waits until it "
                "is back", route.board))
            return work
        if self._plan_variation(work, fresh_image=None):
            self._did(work, "new", ItemAction(item.item_id, "new", _rule(route), route.board))
        return work

    def _plan_variation(self, work: _Work, *, fresh_image: str | None) -> bool:
        item, route, state = work.item, work.route, work.state
        assert item is not None and route is not None
        number = len(state.variations) + len(work.plans) + 1
        used = [v.image for v in state.variations] + [p.image for p, _ in work.plans]
        plan = next_variation(number=number, kind=route.kind, images=item.images, used=used,
                              fresh_image=fresh_image)
        if plan is None:
            return False
        slot = self._planner.place(route.board or DEFAULT_BOARD, tags=item.tags)
        if isinstance(slot, Unplaced):
            work.retry_on = slot.retry_on
            kind: Action = "deferred" if slot.reason == "horizon" else "season_full"
            self._did(work, kind, ItemAction(
                item.item_id, kind, f"{slot.detail}; tried again on {slot.retry_on.isoformat()}",
                route.board))
            return False
        work.plans.append((plan, slot))
        return True

    def _touched(self, touched: Sequence[tuple[FeedItem, Route]],
                 states: Sequence[ItemState | None]) -> list[_Work]:
        self._discover_pins([state for state in states if state is not None])
        works = []
        for (item, route), state in zip(touched, states, strict=True):
            if state is None:  # a fingerprint without its state: treat as new
                works.append(self._new_item(item, route))
                continue
            works.append(self._changed(item, route, state))
        return works

    def _discover_pins(self, states: Sequence[ItemState]) -> None:
        """Fill in the Pins that went live since the last sync (one read for the batch); an item
        whose new Pin is a top Pin counts as a top item at once."""
        pending = [v.brief_id for state in states for v in state.variations if v.pin_id is None]
        live = self._store.published(pending) if pending else {}
        for state in states:
            for variation in state.variations:
                if variation.pin_id is None and variation.brief_id in live:
                    variation.pin_id = live[variation.brief_id]
                    if variation.pin_id in self._top_pin_ids:
                        self._top.add(state.item_id)

    def _changed(self, item: FeedItem, route: Route, state: ItemState) -> _Work:
        work = _Work(item, route, state)
        channel = self._options.channel_id
        status: Status = "a" if item.available else "u"
        changed = sorted(k for k, v in item.fields().items()
                         if state.fields.get(k) != v and k != "availability")
        if state.status != status:
            if status == "u":
                self._unavailable(work, "out of stock")
            else:
                self._back(work, route)
        copy_hash = item.copy_hash()
        rewrites = links = waiting = 0
        for variation in state.variations:
            if variation.copy_hash == copy_hash and variation.link == item.link:
                continue
            if variation.pin_id is None:
                waiting += 1  # not live yet: a later sync updates it (the item stays dirty)
                continue
            if variation.copy_hash != copy_hash:
                self._rewrite(work, variation)
                rewrites += 1
            else:
                update = update_message(
                    update_id=f"{variation.brief_id}.l{self._revision}", channel_id=channel,
                    pin_id=variation.pin_id, revision=self._revision,
                    post_id=variation.brief_id, link=item.link)
                self._outbox(work, OutboxEntry(update.update_id, "update",
                                               update.model_dump(mode="json",
                                                                 exclude_none=True)))
                links += 1
            variation.copy_hash, variation.link = copy_hash, item.link
        if rewrites or links or waiting:
            what = ", ".join(changed) or "an earlier change"
            self._did(work, "updated", ItemAction(
                item.item_id, "updated",
                f"{what}: {rewrites} Pin(s) rewritten, {links} relinked"
                + (f", {waiting} updated once live" if waiting else ""), route.board))
        image_changed = state.image != item.image_hash()
        state.content, state.copy_hash = item.content_hash(), copy_hash
        state.image, state.status = item.image_hash(), status
        state.fields = item.fields()
        if status != "a":
            return work
        top = item.item_id in self._top
        if image_changed and item.images and self._plan_variation(work,
                                                                   fresh_image=item.images[0]):
            self._did(work, "variations", ItemAction(item.item_id, "variation",
                                                     "new image: a fresh Pin", route.board))
        elif (self._due(state, top) <= self._now
              and len(state.variations) < self._options.policy.limit(top)
              and self._plan_variation(work, fresh_image=None)):
            first = not state.variations
            self._did(work, "new" if first else "variations", ItemAction(
                item.item_id, "new" if first else "variation",
                "back in stock: its first Pin" if first else
                "top Pin: an early variation" if top else "next variation due", route.board))
        return work

    def _due(self, state: ItemState, top: bool) -> datetime:
        if not state.variations:
            return self._now
        return state.variations[-1].at + self._options.policy.interval(top)

    def _rewrite(self, work: _Work, variation: VariationState) -> None:
        item, route = work.item, work.route
        assert item is not None and route is not None and variation.pin_id is not None
        board_id, section_id = self._ids(route.board, route.section)
        update_id = f"{variation.brief_id}.r{self._revision}"
        brief = brief_for(
            item, route, channel_id=self._options.channel_id, number=variation.n,
            layout=layout_name(variation.layout), images=(), angle=variation.angle,
            avoid_titles=[],
            board_id=board_id, section_id=section_id, scheduled_at=None,
            update=UpdateTarget(pin_id=variation.pin_id, revision=self._revision),
            update_id=update_id)
        self._outbox(work, OutboxEntry(update_id, "writer",
                                       brief.model_dump(mode="json", exclude_none=True)))

    def _move(self, work: _Work, variation: VariationState, letter: str, board: str | None,
              section: str | None) -> bool:
        board_id, section_id = self._ids(board, section)
        if board_id is None or variation.pin_id is None:
            return False
        update = update_message(
            update_id=f"{variation.brief_id}.{letter}{self._revision}",
            channel_id=self._options.channel_id, pin_id=variation.pin_id,
            revision=self._revision, post_id=variation.brief_id, board_id=board_id,
            section_id=section_id)
        self._outbox(work, OutboxEntry(update.update_id, "update",
                                       update.model_dump(mode="json", exclude_none=True)))
        return True

    def _unavailable(self, work: _Work, why: str) -> None:
        state = work.state
        archive = self._mapping.archive_board
        moved = 0
        if archive is not None:
            for variation in state.variations:
                if not variation.archived and self._move(work, variation, "a", archive, None):
                    variation.archived = True
                    moved += 1
        detail = why + (f"; {moved} Pin(s) moved to {archive!r}" if moved else
                        "; its Pins stay as they are")
        if why == "removed from the feed":
            self._count("removed", ItemAction(state.item_id, "removed", detail, state.board))
        else:
            self._did(work, "unavailable", ItemAction(state.item_id, "unavailable", detail,
                                                      state.board))
        if not self._options.dry_run:
            self._announce("catalog.item_unavailable",
                           f"{self._options.channel_id}:{state.item_id}",
                           {"channel_id": self._options.channel_id, "item_id": state.item_id,
                            "reason": why, "pins": [v.pin_id for v in state.variations
                                                    if v.pin_id],
                            "archive_board": archive if moved else None})

    def _back(self, work: _Work, route: Route) -> None:
        moved = 0
        for variation in work.state.variations:
            if variation.archived and self._move(work, variation, "b", route.board,
                                                 route.section):
                variation.archived = False
                moved += 1
        self._did(work, "back", ItemAction(work.state.item_id, "back",
                                           f"back in stock; {moved} Pin(s) moved back",
                                           route.board))

    def _removed(self, seen: set[str]) -> None:
        channel = self._options.channel_id
        gone = [item_id for item_id, raw in self._store.all_fingerprints(channel).items()
                if item_id not in seen and Fingerprint.load(raw).status != "r"]
        for start in range(0, len(gone), self._options.batch_size):
            ids = gone[start:start + self._options.batch_size]
            works = []
            states = [state for state in self._store.states(channel, ids) if state is not None]
            self._discover_pins(states)
            for state in states:
                work = _Work(None, None, state)
                self._unavailable(work, "removed from the feed")
                state.status = "r"
                works.append(work)
            self._finish(works)

    # -- writing -------------------------------------------------------------------------------

    def _ids(self, board: str | None, section: str | None) -> tuple[str | None, str | None]:
        if self._options.dry_run:
            return (None, None)
        return self._boards.resolve(board, section)

    def _outbox(self, work: _Work, entry: OutboxEntry) -> None:
        self._pending.append(entry)

    def _finish(self, works: list[_Work]) -> None:
        """Titles for the new Pins, then one transaction, then send. A dry run only reports
        the Pins it would plan (no brief is built: nothing would read it)."""
        channel = self._options.channel_id
        if self._options.dry_run:
            self._pending.clear()
            for work in works:
                for plan, slot in work.plans:
                    assert work.item is not None
                    self._planned(work, plan, slot, brief_id(channel, work.item.item_id,
                                                             plan.number))
            return
        earlier = [v.brief_id for work in works if work.plans for v in work.state.variations
                   if v.title is None]
        titles = self._store.titles(earlier) if earlier else {}
        entries = list(self._pending)
        self._pending.clear()
        fingerprints: dict[str, str] = {}
        pins: dict[str, str] = {}
        for work in works:
            state = work.state
            for variation in state.variations:
                variation.title = variation.title or titles.get(variation.brief_id)
                if variation.pin_id:
                    pins[variation.pin_id] = state.item_id
            for plan, slot in work.plans:
                entries.append(self._new_pin(work, plan, slot))
            top = state.item_id in self._top
            fingerprints[state.item_id] = self._fingerprint(work, top).dump()
        if not (works or entries):
            return
        self._store.commit(channel, states=[w.state for w in works], fingerprints=fingerprints,
                           outbox=entries, calendar=dict(self._planner.added), pins=pins)
        self._planner.added.clear()
        for entry in entries:
            self._send(entry)
            self._store.sent(channel, entry.entry_id)
            self._report.sent += 1

    def _new_pin(self, work: _Work, plan: VariationPlan, slot: Slot) -> OutboxEntry:
        item, route, state = work.item, work.route, work.state
        assert item is not None and route is not None
        number = plan.number
        board_id, section_id = self._ids(route.board, route.section)
        avoid = [v.title for v in state.variations if v.title]
        brief = brief_for(item, route, channel_id=self._options.channel_id, number=number,
                          layout=plan.layout, images=plan.images, angle=plan.angle,
                          avoid_titles=avoid, board_id=board_id, section_id=section_id,
                          scheduled_at=slot.at)
        state.variations.append(VariationState(
            n=number, brief_id=brief.brief_id, layout=plan.layout, image=plan.image,
            angle=plan.angle, board=route.board, at=slot.at, copy_hash=item.copy_hash(),
            link=item.link))
        self._planned(work, plan, slot, brief.brief_id)
        return OutboxEntry(brief.brief_id, "writer", brief.model_dump(mode="json",
                                                                       exclude_none=True),
                           board=route.board or DEFAULT_BOARD)

    def _planned(self, work: _Work, plan: VariationPlan, slot: Slot, brief: str) -> None:
        assert work.item is not None and work.route is not None
        self._report.planned.append(PlannedPin(
            work.item.item_id, brief, work.route.board or DEFAULT_BOARD, slot.at, plan.layout,
            slot.seasonal.isoformat() if slot.seasonal else None, slot.late))

    def _fingerprint(self, work: _Work, top: bool) -> Fingerprint:
        state = work.state
        dirty = any(v.copy_hash != state.copy_hash or v.link != state.fields.get("link")
                    for v in state.variations)
        due = 0
        if state.status == "a" and work.route is not None and work.item is not None and \
                len(state.variations) < self._options.policy.limit(top):
            plan = next_variation(number=len(state.variations) + 1, kind=work.route.kind,
                                  images=work.item.images,
                                  used=[v.image for v in state.variations])
            when = self._due(state, top)
            if plan is not None and work.retry_on is not None:  # no room: not before that day
                due = int(datetime.combine(work.retry_on, time(), tzinfo=UTC).timestamp())
            elif plan is not None:
                due = int(when.timestamp()) if state.variations else \
                    int((self._now + timedelta(days=1)).timestamp())
        # Look again once a Pin should have gone live, to learn its id (for updates and top
        # Pins), for up to PIN_WATCH after its slot.
        waiting = [v.at + PIN_GRACE for v in state.variations
                   if v.pin_id is None and v.at + PIN_WATCH > self._now]
        if waiting:
            look = int(max(min(waiting), self._now + PIN_GRACE).timestamp())
            due = min(due, look) if due else look
        return Fingerprint(state.content, state.image, state.status, due, dirty)

    def _drain(self) -> int:
        """Send what an interrupted run decided and did not send."""
        channel = self._options.channel_id
        sent = 0
        for entry in self._store.outbox(channel):
            self._send(entry)
            self._store.sent(channel, entry.entry_id)
            sent += 1
        return sent


def _rule(route: Route) -> str:
    return f"rule {route.rule}" if route.rule is not None else "default board"

