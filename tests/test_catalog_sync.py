"""The sync on real Redis: idempotent (a second run sends nothing), resumable (an interrupted run
sends each message once when run again), updates, fresh images, sold-out and removed items,
variations over time, and O(1) Redis round trips per batch."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis

from pinterest_agent.agents.catalog import (
    CatalogMapping,
    CatalogSync,
    OutboxEntry,
    ParsedFeed,
    SyncOptions,
    parse_feed,
)
from pinterest_agent.agents.catalog.planner import CadenceLimits, Peaks
from pinterest_agent.agents.catalog.variations import VariationPolicy
from pinterest_agent.queues.stores.catalogs import RedisCatalogStore
from tests.conftest import REDIS_URL

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
HEADER = "id,title,description,link,image_link,additional_image_link,price,availability," \
         "product_type\n"
ROWS = {
    "A": "A,Linen Throw,Soft linen.,https://s.example/a,https://c.example/a1.jpg,"
         "https://c.example/a2.jpg,89.00 USD,in stock,Bedding",
    "B": "B,Stoneware Mug,A mug.,https://s.example/b,https://c.example/b1.jpg,,22.00 USD,"
         "in stock,Kitchen",
    "C": "C,Bud Vase,A vase.,https://s.example/c,https://c.example/c1.jpg,,34.00 USD,in stock,"
         "Decor",
}
MAPPING = CatalogMapping.model_validate({
    "archive_board": "Sold out",
    "rules": [{"when": {"product_type": "Bedding"}, "board": "Bedroom"},
              {"when": {"product_type": "Kitchen"}, "board": "Kitchen"}]})


class CountingRedis(redis.Redis):  # type: ignore[type-arg]
    """Counts round trips: each command outside a pipeline, each pipeline execution."""

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

        pipe.execute = counted  # type: ignore[method-assign]
        return pipe


class Boards:
    ids = {"Bedroom": "100", "Kitchen": "200", "Sold out": "900"}

    def resolve(self, board: str | None, section: str | None) -> tuple[str | None, str | None]:
        return (self.ids.get(board) if board else None, None)


def feed(**rows: str | None) -> ParsedFeed:
    lines = {**ROWS, **rows}
    return parse_feed((HEADER + "\n".join(v for v in lines.values() if v) + "\n").encode())


class Harness:
    def __init__(self, client: redis.Redis[bytes], prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self.store = RedisCatalogStore(client, prefix)
        self.sent: list[OutboxEntry] = []
        self.events: list[tuple[str, str, dict[str, Any]]] = []

    def sync(self, parsed: ParsedFeed, *, at: datetime = NOW, dry_run: bool = False,
             send: Callable[[OutboxEntry], None] | None = None, top: tuple[str, ...] = (),
             batch_size: int = 500) -> Any:
        options = SyncOptions(channel_id="shop", dry_run=dry_run, batch_size=batch_size,
                              policy=VariationPolicy(max_variations=3, interval_days=28,
                                                     top_bonus=2, top_interval_days=7),
                              limits=CadenceLimits(per_day=2, per_week=10))
        sync = CatalogSync(self.store, Boards(), options=options,
                           send=send or self.sent.append,
                           announce=lambda *event: self.events.append(event),
                           clock=lambda: at, peaks=Peaks(), top_pin_ids=top)
        return sync.run(parsed, MAPPING)

    def publish(self, brief_id: str, pin_id: str, title: str = "") -> None:
        """What the publisher and the writer leave in the store once a brief is live."""
        self.client.hset(f"{self.prefix}:publish:{brief_id}",
                         mapping={"state": "published", "pin_id": pin_id})
        self.client.set(f"{self.prefix}:draft:{brief_id}",
                        json.dumps({"title": title or f"Title of {brief_id}"}))

    def sent_ids(self) -> list[str]:
        return [entry.entry_id for entry in self.sent]


@pytest.fixture()
def harness(prefix: str) -> Harness:
    return Harness(redis.Redis.from_url(REDIS_URL), prefix)


def test_a_second_sync_of_the_same_feed_sends_nothing(harness: Harness) -> None:
    # Given a feed synced once
    first = harness.sync(feed())
    assert harness.sent_ids() == ["shop.A.v1", "shop.B.v1", "shop.C.v1"]
    assert first.summary()["new"] == 3
    brief = harness.sent[0].payload
    assert (brief["board_id"], brief["layout"], brief["publish"]) == ("100", "band", True)
    assert brief["source_image_urls"] == ["https://c.example/a1.jpg", "https://c.example/a2.jpg"]
    assert "Price: 89.00 USD." in brief["summary"]
    assert datetime.fromisoformat(brief["scheduled_at"]) > NOW
    # When it is synced again (later the same day)
    harness.sent.clear()
    second = harness.sync(feed(), at=NOW + timedelta(hours=3))
    # Then nothing is sent and every item is unchanged
    assert harness.sent == [] and second.summary()["unchanged"] == 3


def test_an_interrupted_sync_sends_each_brief_once_when_run_again(harness: Harness) -> None:
    # Given a sender that fails after two messages (a crash mid-way)
    delivered: list[str] = []

    def crashing(entry: OutboxEntry) -> None:
        if len(delivered) == 2:
            raise ConnectionError("the broker went away")
        delivered.append(entry.entry_id)

    with pytest.raises(ConnectionError):
        harness.sync(feed(), send=crashing)
    # When the sync is run again, and once more
    harness.sync(feed(), at=NOW + timedelta(minutes=5), send=lambda e: delivered.append(
        e.entry_id))
    harness.sync(feed(), at=NOW + timedelta(minutes=6), send=lambda e: delivered.append(
        e.entry_id))
    # Then every brief was sent exactly once
    assert sorted(delivered) == ["shop.A.v1", "shop.B.v1", "shop.C.v1"]


def test_a_crash_after_deciding_and_before_sending_loses_nothing(harness: Harness) -> None:
    delivered: list[str] = []

    def down(entry: OutboxEntry) -> None:
        raise ConnectionError("the broker is down")

    with pytest.raises(ConnectionError):
        harness.sync(feed(), send=down)
    report = harness.sync(feed(), send=lambda e: delivered.append(e.entry_id))
    assert sorted(delivered) == ["shop.A.v1", "shop.B.v1", "shop.C.v1"]
    assert report.resent == 3 and report.summary()["new"] == 0


def test_changes_update_live_pins_and_nothing_else(harness: Harness) -> None:
    # Given three live Pins
    harness.sync(feed())
    for item, pin in (("A", "11"), ("B", "22"), ("C", "33")):
        harness.publish(f"shop.{item}.v1", pin)
    harness.sent.clear()
    # When A's price, B's link and C's image change
    report = harness.sync(feed(
        A=ROWS["A"].replace("89.00 USD", "79.00 USD"),
        B=ROWS["B"].replace("https://s.example/b", "https://s.example/b-new"),
        C=ROWS["C"].replace("c1.jpg", "c9.jpg")), at=NOW + timedelta(hours=1))
    # Then A's Pin gets new copy from the writer, B's a link update, C a fresh Pin
    def kind(entry_id: str) -> str:  # shop.A.v1.r1762070400000 -> shop.A.v1.r
        return entry_id if entry_id.count(".") == 2 else entry_id[:entry_id.rindex(".") + 2]

    by_id = {kind(e.entry_id): e for e in harness.sent}
    assert sorted(by_id) == ["shop.A.v1.r", "shop.B.v1.l", "shop.C.v2"]
    rewrite = by_id["shop.A.v1.r"]
    assert rewrite.target == "writer"
    assert rewrite.payload["update_of"]["pin_id"] == "11"
    assert "Price: 79.00 USD." in rewrite.payload["summary"]
    relink = by_id["shop.B.v1.l"]
    assert (relink.target, relink.payload["pin_id"], relink.payload["link"]) == \
        ("update", "22", "https://s.example/b-new")
    fresh = by_id["shop.C.v2"]
    assert fresh.payload["source_image_urls"] == ["https://c.example/c9.jpg"]
    assert fresh.payload["avoid_titles"] == ["Title of shop.C.v1"]
    assert report.summary()["updated"] == 2 and report.summary()["variations"] == 1
    # And syncing the edited feed again sends nothing
    harness.sent.clear()
    harness.sync(feed(
        A=ROWS["A"].replace("89.00 USD", "79.00 USD"),
        B=ROWS["B"].replace("https://s.example/b", "https://s.example/b-new"),
        C=ROWS["C"].replace("c1.jpg", "c9.jpg")), at=NOW + timedelta(hours=2))
    assert harness.sent == []


def test_a_change_to_a_pin_not_live_yet_waits_until_it_is(harness: Harness) -> None:
    harness.sync(feed())
    harness.sent.clear()
    edited = feed(A=ROWS["A"].replace("Soft linen.", "Softer linen."))
    harness.sync(edited, at=NOW + timedelta(hours=1))
    assert harness.sent == []  # its Pin is not published yet
    harness.publish("shop.A.v1", "11")
    harness.sync(edited, at=NOW + timedelta(hours=2))
    assert [e.target for e in harness.sent] == ["writer"]
    assert harness.sent[0].payload["update_of"]["pin_id"] == "11"


def test_sold_out_and_removed_items_are_reported_and_archived_never_deleted(
    harness: Harness,
) -> None:
    harness.sync(feed())
    harness.publish("shop.A.v1", "11")
    harness.publish("shop.B.v1", "22")
    harness.sent.clear()
    # When A sells out and B leaves the feed
    report = harness.sync(feed(A=ROWS["A"].replace("in stock", "out of stock"), B=None),
                          at=NOW + timedelta(hours=1))
    # Then both are reported and their Pins moved to the archive board
    moves = {e.payload["pin_id"]: e.payload["board_id"] for e in harness.sent}
    assert moves == {"11": "900", "22": "900"}
    assert report.summary()["unavailable"] == 1 and report.summary()["removed"] == 1
    reported = {e[1]: e[2]["reason"] for e in harness.events
                if e[0] == "catalog.item_unavailable"}
    assert reported == {"shop:A": "out of stock", "shop:B": "removed from the feed"}
    # When A is back in stock: its Pin moves back; B stays reported once
    harness.sent.clear()
    back = harness.sync(feed(B=None), at=NOW + timedelta(hours=2))
    assert [(e.payload["pin_id"], e.payload["board_id"]) for e in harness.sent] == \
        [("11", "100")]
    assert back.summary()["back"] == 1 and back.summary()["removed"] == 0


def test_variations_come_over_time_and_sooner_for_top_pins(harness: Harness) -> None:
    harness.sync(feed())
    harness.publish("shop.A.v1", "11", "Linen Throw: soft layers")
    harness.publish("shop.B.v1", "22", "Stoneware Mug")
    harness.sent.clear()
    # A week later, B's Pin is among the top Pins: B gets its next Pin early; A does not
    harness.sync(feed(), at=NOW + timedelta(days=8), top=("22",))
    assert harness.sent_ids() == ["shop.B.v2"]
    assert harness.sent[0].payload["title_angle"] == "benefit"
    # A month later A's next Pin is due: another image, another layout, the old title avoided
    harness.sent.clear()
    harness.sync(feed(), at=NOW + timedelta(days=30))
    by_id = {e.entry_id: e.payload for e in harness.sent}
    assert "shop.A.v2" in by_id
    assert by_id["shop.A.v2"]["layout"] == "split"
    assert by_id["shop.A.v2"]["source_image_urls"][0] == "https://c.example/a2.jpg"
    assert by_id["shop.A.v2"]["avoid_titles"] == ["Linen Throw: soft layers"]


def test_a_dry_run_writes_and_sends_nothing(harness: Harness) -> None:
    report = harness.sync(feed(), dry_run=True)
    assert harness.sent == [] and report.summary()["new"] == 3 and len(report.planned) == 3
    assert list(harness.client.scan_iter(match=f"{harness.prefix}*")) == []


def test_an_unchanged_feed_costs_one_round_trip_per_batch(prefix: str) -> None:
    # Given 60 items synced once, read back in batches of 20 through a counting client
    rows = {f"I{n}": f"I{n},Item {n},Text.,https://s.example/{n},https://c.example/{n}.jpg,,"
                     "1.00 USD,in stock,Decor" for n in range(60)}
    client = CountingRedis.from_url(REDIS_URL)
    harness = Harness(client, prefix)
    parsed = feed(**rows)
    harness.sync(parsed, batch_size=20)
    # When it is synced again with nothing changed
    CountingRedis.trips = 0
    harness.sent.clear()
    harness.sync(parsed, at=NOW + timedelta(hours=1), batch_size=20)
    # Then the cost is one read per batch of 20 plus a constant (outbox, calendar, count)
    batches = 63 // 20 + 1
    assert harness.sent == []
    assert CountingRedis.trips == batches + 3


BUCKETS = ("new", "deferred", "season_full", "updated", "variations", "unavailable", "back",
           "checked", "unchanged", "skipped", "errors")


def bulk(count: int, *, tags: str = "", sold_out: tuple[int, ...] = ()) -> dict[str, str]:
    return {f"I{n}": f"I{n},Item {n},Text.,https://s.example/{n},https://c.example/{n}.jpg,,"
                     f"1.00 USD,{'out of stock' if n in sold_out else 'in stock'},Kitchen"
                     + (f",{tags}" if tags else "") for n in range(count)}


def test_the_buckets_partition_the_feed_on_first_and_later_syncs(harness: Harness) -> None:
    # Given a feed of 3 + 40 items, one sold out, and two rows that cannot be used, for a board
    # that takes 10 Pins a week: most of the Kitchen items do not fit in a 7-day horizon
    rows = {**bulk(40, sold_out=(5,)), "bad": "X,,no title,,,,,,", "dup": ROWS["C"]}
    parsed = feed(**rows)
    size = len(parsed.items) + len(parsed.problems)
    assert size == 45

    def sync(at: datetime) -> dict[str, Any]:
        options = SyncOptions(channel_id="shop", limits=CadenceLimits(per_day=2, per_week=10,
                                                                     horizon_days=7))
        report = CatalogSync(harness.store, Boards(), options=options, send=harness.sent.append,
                             announce=lambda *event: None, clock=lambda: at).run(parsed, MAPPING)
        summary: dict[str, Any] = report.summary()
        return summary

    # When it is synced the first time
    first = sync(NOW)
    # Then every row is in exactly one bucket, the deferred items are not counted as new, and
    # what was sent is what was counted new
    assert sum(first[key] for key in BUCKETS) == size == first["items"]
    assert (first["new"], first["deferred"], first["skipped"], first["errors"]) == (14, 28, 1, 2)
    assert len(harness.sent) == first["new"]
    # When Pins went live and it is synced again after their slots, with one price changed
    for number, entry in enumerate(harness.sent):
        harness.publish(entry.entry_id, str(9000 + number))
    harness.sent.clear()
    parsed = feed(**{**rows, "A": ROWS["A"].replace("89.00 USD", "79.00 USD")})
    second = sync(NOW + timedelta(days=1))
    # Then the items only read to learn their Pins' ids are counted too, and the sum holds
    assert sum(second[key] for key in BUCKETS) == size == second["items"]
    assert second["updated"] == 1 and second["checked"] > 0
    assert second["new"] + second["deferred"] == 2  # the two the horizon reached overnight


def test_items_past_the_horizon_are_not_looked_at_again_until_their_day(
    harness: Harness,
) -> None:
    # Given 30 Kitchen items and a board that takes 10 a week within a 7-day horizon
    parsed = feed(**bulk(30))
    limits = CadenceLimits(per_day=2, per_week=10, horizon_days=7)

    def sync(at: datetime) -> Any:
        options = SyncOptions(channel_id="shop", limits=limits)
        return CatalogSync(harness.store, Boards(), options=options, send=harness.sent.append,
                           announce=lambda *event: None, clock=lambda: at).run(parsed, MAPPING)

    first = sync(NOW)
    assert first.summary()["deferred"] == 19  # B and I0-I10 fit
    harness.sent.clear()
    # When the unchanged feed is synced an hour later, and the next morning
    later = sync(NOW + timedelta(hours=1)).summary()
    morning = sync(datetime(2026, 11, 3, 6, 0, tzinfo=UTC)).summary()
    # Then the waiting items are read no further than their fingerprints: none re-planned,
    # except those whose day came (the horizon now reaches Tuesday 10 November: 2 of them)
    assert later["deferred"] == 0 and later["unchanged"] == 33
    assert morning["new"] == 2 and morning["deferred"] == 0
    assert [e.entry_id for e in harness.sent] == ["shop.I11.v1", "shop.I12.v1"]
    assert all(datetime.fromisoformat(e.payload["scheduled_at"]).date().isoformat()
               == "2026-11-10" for e in harness.sent)


def test_a_full_season_is_reported_with_what_fits(harness: Harness) -> None:
    # Given 70 Christmas items for one board (2 a day, 10 a week) on Monday 16 November 2026
    rows = [f"X{n},Gift {n},Text.,https://s.example/x{n},https://c.example/x{n}.jpg,,"
            "5.00 USD,in stock,Kitchen,season:christmas" for n in range(70)]
    parsed = parse_feed((HEADER.strip() + ",custom_label_0\n" + "\n".join(rows)).encode())
    report = harness.sync(parsed, at=datetime(2026, 11, 16, 8, 0, tzinfo=UTC))
    summary = report.summary()
    # Then none is planned on or after Christmas, all late (its window has passed): 5 weeks of
    # 10, then Monday to Thursday 21-24 December, 2 a day
    assert all(pin.at.date() < datetime(2026, 12, 25).date() for pin in report.planned)
    assert all(pin.late for pin in report.planned)
    assert summary["new"] == len(report.planned) == 58
    # And the other 12 are reported as not fitting, with the reason, and are not planned
    assert summary["season_full"] == 12 and summary["items"] == 70
    assert report.seasons == [
        "christmas 2026-12-25 on Kitchen: 58 of 70 fit before the event (0 in the 90-60 day "
        "window, 58 late); 12 not planned (the window is full): raise the per-week limit or "
        "split the board"]
    full = [a for a in report.actions if a.action == "season_full"]
    assert len(full) == 12 and full[0].detail == (
        "christmas 2026-12-25 window full on Kitchen: no room before the event; raise the "
        "per-week limit or split the board; tried again on 2026-12-26")
