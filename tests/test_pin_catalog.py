"""The Pin catalog: the cache brought up to date with as few listing pages as possible.

Pages are scripted here (newest first, as Pinterest lists them) and counted as they are asked
for; the cache is the in-memory one (``tests/test_pin_cache_redis.py`` runs the Redis one and
``tests/test_insights_warm.py`` whole runs against the sandbox).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from agents.insights.categories import RULES_VERSION
from agents.insights.categorizer import RuleCategorizer
from agents.insights.pin_cache import InMemoryPinCache, PinCacheMeta
from agents.insights.pin_catalog import PinCatalog
from agents.insights.pin_records import LLM_SOURCE, PinRecord
from providers.pinterest.models import Pin

NOW = datetime(2024, 6, 11, 9, tzinfo=UTC)
PAGE = 4


def pin(n: int, title: str | None = None, *, hours_ago: float | None = None) -> Pin:
    """Pin ``n``, created ``n`` hours before the first run unless told otherwise."""
    created = NOW - timedelta(hours=n if hours_ago is None else hours_ago)
    return Pin(id=str(1000 + n), title=title or f"Pin {n}", description="A lemon cake recipe.",
               created_at=created, board_id="1", pin_metrics={"lifetime_metrics": {
                   "comment": n, "reaction": 2 * n}},
               media={"media_type": "image", "images": {"600x": {
                   "url": f"https://i.example/{n}.jpg", "width": 600}}})


class Listing:
    """``GET /pins`` newest first, PAGE Pins a page, counting the pages asked for."""

    def __init__(self, pins: list[Pin]) -> None:
        self.pins = pins
        self.pages_asked = 0

    def pages(self) -> Iterator[list[Pin]]:
        for start in range(0, len(self.pins), PAGE):
            self.pages_asked += 1
            yield self.pins[start : start + PAGE]


def channel(count: int) -> list[Pin]:
    return [pin(n) for n in range(1, count + 1)]  # Pin 1 is the newest


def test_a_cold_run_lists_everything_and_a_warm_one_stops_at_the_first_known_page() -> None:
    # Given a channel of 20 Pins (5 pages) and an empty cache
    cache = InMemoryPinCache()
    listing = Listing(channel(20))
    # When the first run lists them
    first = PinCatalog(cache, "shop")
    report = first.refresh(listing.pages(), NOW)
    # Then it read every page and cached every Pin, newest first, with its lifetime figures
    assert (listing.pages_asked, report.full, report.reason, report.added) == (5, True, "cold", 20)
    assert [r.id for r in first.records][:2] == ["1001", "1002"]
    assert first.lifetime["1003"].comments == 3
    assert first.records[0].image_url == "https://i.example/1.jpg"
    # When the next run lists them again, nothing having changed
    listing.pages_asked = 0
    second = PinCatalog(cache, "shop")
    report = second.refresh(listing.pages(), NOW + timedelta(days=7))
    # Then one page was enough, and it knows every Pin
    assert (listing.pages_asked, report.full, report.reason) == (1, False, "known")
    assert [r.id for r in second.records] == [r.id for r in first.records]


def test_new_pins_are_picked_up_and_the_walk_stops_after_them() -> None:
    # Given a cached channel of 20 Pins
    cache = InMemoryPinCache()
    PinCatalog(cache, "shop").refresh(Listing(channel(20)).pages(), NOW)
    # When 5 Pins are published before the next run (newest first in the listing)
    fresh = [pin(100 + n, f"New {n}", hours_ago=-n) for n in range(5, 0, -1)]
    listing = Listing(fresh + channel(20))
    catalog = PinCatalog(cache, "shop")
    report = catalog.refresh(listing.pages(), NOW + timedelta(days=1))
    # Then pages were read until a whole page was known: 2 (5 new + 3 known), then 4 known
    assert listing.pages_asked == 3
    assert (report.added, report.removed, report.full) == (5, 0, False)
    assert len(catalog.records) == 25
    assert catalog.records[0].title == "New 5"


def test_the_rotation_lists_everything_and_catches_edits_and_deletions() -> None:
    # Given a cached channel of 20 Pins, categorised by the rules
    cache = InMemoryPinCache()
    catalog = PinCatalog(cache, "shop", refresh_after=timedelta(days=28))
    catalog.refresh(Listing(channel(20)).pages(), NOW)
    catalog.categorize(RuleCategorizer())
    # When, deep in the listing, Pin 17 is retitled and Pin 18 deleted
    pins = channel(20)
    pins[16] = pin(17, "DIY Sourdough Wall Art")
    del pins[17]
    # Then a warm run within the 28 days does not see it (one page read) ...
    week = Listing(pins)
    PinCatalog(cache, "shop", refresh_after=timedelta(days=28)).refresh(
        week.pages(), NOW + timedelta(days=7))
    assert week.pages_asked == 1
    assert cache.load("shop").records["1017"].title == "Pin 17"
    # ... and the run after the 28 days lists everything and catches both
    month = Listing(pins)
    rotated = PinCatalog(cache, "shop", refresh_after=timedelta(days=28))
    report = rotated.refresh(month.pages(), NOW + timedelta(days=28))
    assert (month.pages_asked, report.full, report.reason) == (5, True, "rotation")
    assert (report.changed, report.removed) == (1, 1)
    cached = cache.load("shop")
    assert "1018" not in cached.records
    assert cached.records["1017"].title == "DIY Sourdough Wall Art"
    # And the edited Pin lost its category (its text changed), the others kept theirs
    assert cached.records["1017"].category is None
    assert cached.records["1016"].category == "recipe"
    assert rotated.categorize(RuleCategorizer()) == 1
    assert cache.load("shop").records["1017"].category == "how-to"


def test_a_listing_out_of_order_is_read_to_the_end_until_order_returns() -> None:
    # Given a cached channel
    cache = InMemoryPinCache()
    PinCatalog(cache, "shop").refresh(Listing(channel(20)).pages(), NOW)
    # When the listing comes back out of created_at order (the spec promises no order)
    shuffled = channel(20)
    shuffled[0], shuffled[9] = shuffled[9], shuffled[0]
    listing = Listing(shuffled)
    report = PinCatalog(cache, "shop").refresh(listing.pages(), NOW + timedelta(days=1))
    # Then the early stop was not trusted: every page was read, and the cache says so
    assert (listing.pages_asked, report.full) == (5, True)
    meta = cache.load("shop").meta
    assert meta is not None and meta.newest_first is False
    # And the next run lists everything too, then trusts the order again once it holds
    ordered = Listing(channel(20))
    report = PinCatalog(cache, "shop").refresh(ordered.pages(), NOW + timedelta(days=2))
    assert (ordered.pages_asked, report.reason) == (5, "unordered")
    ordered.pages_asked = 0
    PinCatalog(cache, "shop").refresh(ordered.pages(), NOW + timedelta(days=3))
    assert ordered.pages_asked == 1


def test_a_pin_is_categorised_once_and_again_only_when_its_text_changes() -> None:
    # Given a cached, categorised channel
    cache = InMemoryPinCache()
    catalog = PinCatalog(cache, "shop")
    catalog.refresh(Listing(channel(8)).pages(), NOW)
    assert catalog.categorize(RuleCategorizer()) == 8
    # When the next run lists the same Pins, and then one of them edited
    again = PinCatalog(cache, "shop")
    again.refresh(Listing(channel(8)).pages(), NOW + timedelta(days=1))
    # Then nothing is categorised again ...
    assert again.categorize(RuleCategorizer()) == 0
    edited = channel(8)
    edited[0] = pin(1, "Linen Apron, $24: Shop Now")
    third = PinCatalog(cache, "shop")
    third.refresh(Listing(edited).pages(), NOW + timedelta(days=2))
    # ... except the edited one
    assert third.categorize(RuleCategorizer()) == 1
    record = third.get("1001")
    assert record is not None
    assert (record.category, record.category_by) == ("product", RULES_VERSION)


def test_the_rules_keep_a_models_answer_but_redo_an_older_rule_set() -> None:
    # Given a cache written with an older rule set: one Pin decided by the model, one by the
    # old rules
    cache = InMemoryPinCache()
    first, second = (PinRecord.from_pin(p) for p in channel(2))
    cache.update("shop", upsert=[first.categorised("lifestyle", LLM_SOURCE, "recipe"),
                                 second.categorised("other", "rules-1", "other")],
                 remove=(), meta=PinCacheMeta(listed_at=NOW, full_listed_at=NOW,
                                              rules_version="rules-1",
                                              index={first.id: 0, second.id: 100}))
    catalog = PinCatalog(cache, "shop")
    catalog.refresh(Listing(channel(2)).pages(), NOW + timedelta(days=1))
    # When the current rules categorise the channel
    assert catalog.categorize(RuleCategorizer()) == 1
    # Then the model's answer stands and the old rules' answer was redone
    assert [r.category for r in catalog.records] == ["lifestyle", "recipe"]
    assert [r.category_by for r in catalog.records] == [LLM_SOURCE, RULES_VERSION]
    assert set(catalog.index) == {first.id, second.id}


def test_a_pin_gone_from_analytics_is_dropped_from_the_cache() -> None:
    cache = InMemoryPinCache()
    catalog = PinCatalog(cache, "shop")
    catalog.refresh(Listing(channel(6)).pages(), NOW)
    assert catalog.drop(["1003", "9999"]) == 1
    assert "1003" not in cache.load("shop").records
    assert len(catalog.records) == 5
