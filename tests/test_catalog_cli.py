"""``pinterest-agent catalog check | sync | plan`` as an operator runs them, and feeds by URL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pinterest_agent.providers.netsafe.fetcher import FetchTooLargeError
from pinterest_agent.providers.pinterest import PinterestPermanentError
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.entry.cli import main
from pinterest_agent.queues.jobs.catalog_run import PinterestBoards, load_feed
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings, load_settings
from tests.conftest import Channel
from tests.test_catalog_e2e import FEEDS, shop_feed
from tests.test_cli import _env

pytestmark = pytest.mark.redis


@pytest.fixture()
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    for key, value in _env(settings).items():
        monkeypatch.setenv(key, value)
    load_settings.cache_clear()
    yield CliRunner()
    load_settings.cache_clear()


def test_check_shows_how_every_item_maps_and_every_bad_row(cli: CliRunner) -> None:
    result = cli.invoke(main, ["catalog", "check", str(FEEDS / "shop.csv"), "--mapping",
                               str(FEEDS / "shop.yaml")])
    assert result.exit_code == 0, result.output
    assert "csv, 8 item(s), 2 problem(s)" in result.output
    line = next(row for row in result.output.splitlines() if row.startswith("MG-XMAS"))
    assert "Holiday kitchen" in line and "rule 2" in line
    assert "problem: line 11: has no id" in result.output
    assert "brand: Linen & Sage · shop.example.com" in result.output


def test_a_bad_mapping_exits_1_with_one_line(cli: CliRunner, tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text("rules: [{board: B, colour: red}]", encoding="utf-8")
    result = cli.invoke(main, ["catalog", "check", str(FEEDS / "shop.csv"), "--mapping",
                               str(mapping)])
    assert result.exit_code == 1
    assert result.output.startswith("error: [mapping_invalid]")


def test_sync_dry_run_then_plan_print_what_would_happen_and_store_nothing(
    cli: CliRunner, runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer,
    tmp_path: Path,
) -> None:
    feed = shop_feed(tmp_path, fresh_sandbox)
    dry = cli.invoke(main, ["catalog", "sync", str(feed), "--channel", "shop", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would plan   shop.LT-100.v1 on (default board)" in dry.output
    assert "new          7" in dry.output and "errors       2" in dry.output
    # the buckets add up to the feed's rows: 7 new, 1 sold out (skipped), 2 unusable
    assert "skipped      1" in dry.output and "= items      10" in dry.output
    plan = cli.invoke(main, ["catalog", "plan", str(feed), "--channel", "shop", "--mapping",
                             str(FEEDS / "shop.yaml")])
    assert plan.exit_code == 0, plan.output
    assert "at most 2 Pin(s) per board per day, 10 per week (UTC)" in plan.output
    assert "shop.MG-XMAS.v1 (band)  season" in plan.output
    assert list(runtime.redis_client.scan_iter(match=f"{runtime.settings.key_prefix}:catalog*")) \
        == []


def test_a_feed_url_goes_through_the_safe_fetcher_with_the_size_cap(
    runtime: Runtime, fresh_sandbox: SandboxServer,
) -> None:
    # Given a feed URL whose body is larger than the cap
    url = f"{fresh_sandbox.base_url}/_sandbox/images/product-feed-1200x1800.jpg"
    settings = runtime.settings.model_copy(update={"catalog_max_feed_bytes": 2048})

    def fetch(source: str, cap: int) -> bytes:
        return runtime.fetcher.fetch(source, max_bytes=cap).content

    # Then it is refused while streaming, not read whole
    with pytest.raises(FetchTooLargeError):
        load_feed(url, None, settings, fetch=fetch)


def test_a_shopify_feed_by_url_links_to_that_shop(runtime: Runtime) -> None:
    body = (FEEDS / "products.json").read_bytes()
    seen: list[tuple[str, int]] = []

    def fetch(source: str, cap: int) -> bytes:
        seen.append((source, cap))
        return body

    loaded = load_feed("https://shop.example.com/products.json", None, runtime.settings,
                       fetch=fetch)
    assert seen == [("https://shop.example.com/products.json",
                     runtime.settings.catalog_max_feed_bytes)]
    assert loaded.feed.items[0].link == "https://shop.example.com/products/linen-apron-clay"


@pytest.mark.parametrize("section_id", ["abc-def", "1/../../v5/boards"])
def test_a_section_id_a_pin_cannot_name_is_a_typed_error(
    runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer, section_id: str,
) -> None:
    # Given Pinterest answers a new section with an id that is not digits (the spec allows it;
    # a Pin's board_section_id does not)
    fresh_sandbox.state.faults.add("POST", r"/v5/boards/\d+/sections", status=201,
                                   body={"id": section_id, "name": "Duvets"})
    boards = PinterestBoards(runtime, "shop", create=True)
    # When a mapping names a board and a section that do not exist yet
    with pytest.raises(PinterestPermanentError) as info:
        boards.resolve("Bedding from the catalog", "Duvets")
    # Then it is one typed error naming the section, not a pydantic traceback from a brief
    assert info.value.code == "unexpected_response"
    assert "'Duvets'" in info.value.message and "board_section_id" in info.value.message


def test_check_names_the_encoding_and_reports_bad_rows_alone(
    cli: CliRunner, tmp_path: Path,
) -> None:
    # Given a Latin-1 feed with one price that is not a price
    feed = tmp_path / "latin.csv"
    page = "https://127.0.0.1:8766/_sandbox/pages"  # links that resolve (they are checked)
    feed.write_bytes((f"id,title,link,price\nA,Crème brûlée dish,{page}/a,12.00 EUR\n"
                      f"B,Grüße mug,{page}/b,abc\n").encode("latin-1"))
    # When it is checked
    result = cli.invoke(main, ["catalog", "check", str(feed)])
    # Then it is read in its encoding, and only B is refused, saying how to write a price
    assert result.exit_code == 0, result.output
    assert "csv, 1 item(s), 1 problem(s)" in result.output
    assert "encoding: cp1252 (detected)" in result.output
    assert "Crème brûlée dish" in result.output
    assert "problem: line 3 (id B): price 'abc' is not a price: write it as a positive amount " \
           "and its ISO 4217 currency code, like '15.00 USD'" in result.output


def test_plan_lists_the_seasonal_items_that_do_not_fit_before_their_event(
    cli: CliRunner, runtime: Runtime, channel: Channel, tmp_path: Path,
) -> None:
    # Given 200 Christmas mugs for one board: whatever the day, at 2 a day and 10 a week at
    # most 132 fit between the window's opening (90 days before) and Christmas Eve
    rows = [f"X{n},Cocoa Mug {n},A mug.,https://127.0.0.1:8766/_sandbox/pages/x{n},"
            f"https://cdn.example.com/x{n}.jpg,24.00 USD,in stock,Kitchen,season:christmas"
            for n in range(200)]
    feed = tmp_path / "gifts.csv"
    feed.write_text("id,title,description,link,image_link,price,availability,product_type,"
                    "custom_label_0\n" + "\n".join(rows) + "\n", encoding="utf-8")
    result = cli.invoke(main, ["catalog", "plan", str(feed), "--channel", "shop"])
    assert result.exit_code == 0, result.output
    planned = result.output.count("  season 20")
    missed = result.output.count("not planned  X")
    # Then every item is either planned before Christmas or listed as not fitting, with why
    assert planned + missed == 200 and planned <= 132 and "= items      200" in result.output
    assert f"new          {planned}\n" in result.output
    assert f"season full  {missed}\n" in result.output
    assert "window full on the default board" in result.output
    assert f"{missed} not planned (the window is full): raise the per-week limit" \
        in result.output


def test_a_real_sync_puts_every_planned_pin_on_the_calendar_before_it_is_drafted(
    cli: CliRunner, runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer,
    tmp_path: Path,
) -> None:
    from datetime import UTC, datetime, timedelta

    # When the catalog is synced for real (briefs sent to the writer, no worker running yet)
    feed = shop_feed(tmp_path, fresh_sandbox)
    result = cli.invoke(main, ["catalog", "sync", str(feed), "--channel", "shop"])
    assert result.exit_code == 0, result.output
    # Then each brief the planner placed is on the channel's calendar at its slot, marked as
    # the catalog's, with the item's name, first image and the planner's board
    now = datetime.now(UTC)
    planned = runtime.store.schedule.between("shop", now, now + timedelta(days=400))
    calendar = runtime.redis_client.hgetall(f"{runtime.settings.key_prefix}:catalog:shop:calendar")
    assert len(planned) == sum(int(count) for count in calendar.values()) > 0
    assert [(p.source, p.planned_board is not None, bool(p.preview.title)) for p in planned] \
        == [("catalog", True, True)] * len(planned)
    assert sum(bool(p.preview.image_url) for p in planned) >= len(planned) - 1  # one text-only
    assert "shop.LT-100.v1" in {pin.post_id for pin in planned}
