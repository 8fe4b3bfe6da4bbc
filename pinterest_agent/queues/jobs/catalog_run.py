"""The catalog capability wired to the worker: read a feed (a file, or a URL through the SSRF-safe
fetcher with a size cap), load the channel's mapping, and run :class:`agents.catalog.CatalogSync`
against Redis (:class:`queues.stores.catalogs.RedisCatalogStore`), Pinterest (board names to ids,
creating missing boards when the mapping allows) and the broker (briefs to the writer, updates
to the publisher).

The channel's latest insight, when there is one, gives the planner its peak weekdays and hours
and the variations their top Pins.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pinterest_agent.agents.boards import match_board
from pinterest_agent.agents.catalog import (
    CadenceLimits,
    CatalogMapping,
    CatalogSync,
    FeedError,
    OutboxEntry,
    ParsedFeed,
    Peaks,
    SyncOptions,
    SyncReport,
    VariationPolicy,
    load_mapping,
    parse_feed,
)
from pinterest_agent.agents.catalog.links import LinkCheck, screen_links
from pinterest_agent.agents.catalog.seasons import season_names
from pinterest_agent.agents.design.brand import BrandKit
from pinterest_agent.agents.trends import season_rises
from pinterest_agent.providers.pinterest import Board, BoardSection, PinterestPermanentError
from pinterest_agent.queues.jobs.insights import latest_insight
from pinterest_agent.queues.jobs.trend_keywords import channel_trends
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.sandbox_urls import resolve_sandbox_urls
from pinterest_agent.queues.settings import Settings
from pinterest_agent.queues.stores.brands import save_brand_kit
from pinterest_agent.queues.stores.catalogs import RedisCatalogStore

__all__ = ["LoadedFeed", "PinterestBoards", "channel_peaks", "load_feed", "run_sync",
           "sync_options"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedFeed:
    source: str
    feed: ParsedFeed
    mapping: CatalogMapping
    brand: BrandKit | None


def _read(source: str, settings: Settings, fetch: Callable[[str, int], bytes] | None) -> bytes:
    if source.lower().startswith(("http://", "https://")):
        if fetch is None:
            raise FeedError("a feed URL needs the fetcher", code="feed_unreadable")
        return fetch(source, settings.catalog_max_feed_bytes)
    path = Path(source)
    try:
        size = path.stat().st_size
        if size > settings.catalog_max_feed_bytes:
            raise FeedError(f"{path} is {size:,} bytes, over PINTEREST_AGENT_CATALOG_MAX_FEED_"
                            f"BYTES ({settings.catalog_max_feed_bytes:,})",
                            code="feed_too_large")
        data = path.read_bytes()
    except OSError as exc:
        raise FeedError(f"cannot read the feed {path} ({exc.strerror}); give a file or an "
                        "http(s) URL") from exc
    return resolve_sandbox_urls(data, settings, path)  # the sample feed's links to the sandbox


def load_feed(source: str, mapping_path: Path | None, settings: Settings, *,
              fetch: Callable[[str, int], bytes] | None = None,
              check_link: LinkCheck | None = None) -> LoadedFeed:
    """The feed parsed and its mapping loaded. A Shopify feed read from a URL takes its links'
    site from that URL unless the mapping names one. With ``check_link`` (the publisher's link
    check), an item whose link it refuses is a problem (:func:`agents.catalog.links.
    screen_links`)."""
    mapping, brand = load_mapping(mapping_path)
    data = _read(source, settings, fetch)
    site = mapping.site
    if site is None and source.lower().startswith(("http://", "https://")):
        parts = urlsplit(source)
        site = f"https://{parts.netloc}"
    feed = parse_feed(data, site=site)
    if check_link is not None:
        feed = screen_links(feed, check_link)
    return LoadedFeed(source, feed, mapping, brand)


def season_rises_for(runtime: Runtime, channel_id: str, today: date) -> dict[str, date]:
    """When Pinterest predicts each season's searches start rising for the channel (its region
    and interests; the seasonal trends' predicted series): empty when prediction is off or the
    trends cannot be had, and the planner keeps its fixed lead."""
    if not runtime.settings.trends_prediction:
        return {}
    found = channel_trends(runtime, channel_id, "seasonal")
    if found is None:
        return {}
    rises = season_rises(season_names(), found.trends, today=today)
    if rises:
        log.info("catalog channel=%s: seasons rising per Pinterest's prediction: %s", channel_id,
                 ", ".join(f"{name} {day.isoformat()}" for name, day in sorted(rises.items())))
    return rises


def sync_options(settings: Settings, channel_id: str, *, dry_run: bool) -> SyncOptions:
    return SyncOptions(
        channel_id=channel_id,
        policy=VariationPolicy(
            max_variations=settings.catalog_max_variations,
            interval_days=settings.catalog_variation_interval_days,
            top_bonus=settings.catalog_top_pin_bonus,
            top_interval_days=settings.catalog_top_pin_interval_days,
        ),
        limits=CadenceLimits(per_day=settings.catalog_pins_per_board_per_day,
                             per_week=settings.catalog_pins_per_board_per_week,
                             horizon_days=settings.catalog_horizon_days),
        batch_size=settings.catalog_batch_size,
        dry_run=dry_run,
        region=settings.catalog_region,
    )


def channel_peaks(runtime: Runtime, channel_id: str) -> tuple[Peaks, list[str]]:
    """Peak weekdays and hours (UTC) and the top Pins from the channel's latest insight."""
    insight = latest_insight(runtime, channel_id)
    metrics = insight.metrics if insight is not None else None
    if metrics is None:
        return Peaks(), []
    peaks = Peaks.from_names(metrics.peak_days.peak,
                             [hour.hour_utc for hour in metrics.peak_hours.peak])
    return peaks, [pin.pin_id for pin in metrics.top_pins.pins]


class PinterestBoards:
    """Board and section names to ids for one channel, listing its boards once; missing boards
    (and sections) are created when the mapping says ``create_missing_boards``."""

    def __init__(self, runtime: Runtime, channel_id: str, *, create: bool) -> None:
        self._runtime = runtime
        self._channel_id = channel_id
        self._create = create
        self._boards: list[Board] | None = None
        self._sections: dict[str, list[BoardSection]] = {}
        self._resolved: dict[tuple[str | None, str | None], tuple[str | None, str | None]] = {}

    def _api(self) -> Any:
        token = self._runtime.tokens.access_token(self._channel_id)
        return self._runtime.pinterest_api(token)

    def resolve(self, board: str | None, section: str | None) -> tuple[str | None, str | None]:
        if board is None:
            return (None, None)
        key = (board, section)
        if key not in self._resolved:
            self._resolved[key] = self._lookup(board, section)
        return self._resolved[key]

    def _lookup(self, name: str, section: str | None) -> tuple[str | None, str | None]:
        api = self._api()
        if self._boards is None:
            self._boards = api.boards.list()
        found = match_board(self._boards, name)
        if found is None:
            if not self._create:
                log.info("channel %s has no board %r (create_missing_boards is off): its "
                         "briefs name it as a hint", self._channel_id, name)
                return (None, None)
            found = api.boards.create(name, description=f"{name} (from the catalog)")
            self._boards.append(found)
            log.info("created board %r (%s) for channel %s", name, found.id, self._channel_id)
        if section is None:
            return (found.id, None)
        sections = self._sections.get(found.id)
        if sections is None:
            sections = self._sections[found.id] = api.boards.sections(found.id)
        wanted = section.casefold().strip()
        match = next((s for s in sections if s.name.casefold().strip() == wanted), None)
        if match is None and self._create:
            match = api.boards.create_section(found.id, section)
            sections.append(match)
        if match is not None and not match.targetable:
            raise PinterestPermanentError(
                f"Pinterest gave the section {section!r} of board {name!r} the id "
                f"{match.id[:80]!r}, which a Pin cannot name (board_section_id is digits only); "
                "map the items to another section, or to the board alone, and report it to "
                "Pinterest", code="unexpected_response", board_id=found.id)
        return (found.id, match.id if match is not None else None)


def run_sync(
    runtime: Runtime, loaded: LoadedFeed, *, channel_id: str, dry_run: bool,
    send: Callable[[OutboxEntry], None], progress: Callable[[int], None] = lambda n: None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> SyncReport:
    """Sync ``loaded`` into ``channel_id``'s Pins; ``send`` enqueues one decided message. Items
    whose link the publisher's guard refuses are problems, never planned."""
    if not dry_run:
        runtime.tokens.credentials(channel_id)  # an unknown channel fails before anything
        if loaded.brand is not None:
            save_brand_kit(runtime.store.documents, channel_id, loaded.brand)
    store = RedisCatalogStore(runtime.redis_client, runtime.settings.key_prefix)
    peaks, top = channel_peaks(runtime, channel_id)
    sync = CatalogSync(
        store,
        PinterestBoards(runtime, channel_id, create=loaded.mapping.create_missing_boards),
        options=replace(sync_options(runtime.settings, channel_id, dry_run=dry_run),
                        rising=season_rises_for(runtime, channel_id, clock().date())),
        send=send,
        announce=lambda event, subject, payload: runtime.store.outcomes.announce(
            event, subject, payload),
        clock=clock,
        peaks=peaks,
        top_pin_ids=top,
    )
    feed = screen_links(loaded.feed, runtime.checks.check_link)
    report = sync.run(feed, loaded.mapping, progress)
    if not dry_run:
        store.prune_calendar(channel_id, clock())
        runtime.store.outcomes.record("catalog", channel_id, report.summary())
    return report
