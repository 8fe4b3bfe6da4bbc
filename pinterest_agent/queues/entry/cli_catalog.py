"""``pinterest-agent catalog check | sync | plan``: product catalogs and blog feeds to Pins."""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pinterest_agent.queues.entry.cli_support import (
    channel_param,
    echo_json,
    load_settings,
    runtime,
)

if TYPE_CHECKING:
    from pinterest_agent.agents.catalog import OutboxEntry, SyncReport

__all__ = ["catalog"]

MAPPING = click.option("--mapping", "mapping_path", type=click.Path(dir_okay=False,
                                                                      path_type=Path),
                       help="The channel's mapping YAML (default: everything to the channel's "
                            "default board).")


@click.group()
def catalog() -> None:
    """Product catalogs (Google Merchant / Pinterest CSV, TSV or XML, Shopify products.json) and
    blog feeds (RSS, Atom) to a steady flow of Pins."""


def _table(rows: list[list[str]], header: list[str]) -> None:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        click.echo("  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)).rstrip())


def _fetch(source: str, max_bytes: int) -> bytes:
    """A feed URL through the worker's SSRF-safe fetcher (only a URL needs the runtime)."""
    rt = runtime()
    return rt.fetcher.fetch(source, max_bytes=max_bytes,
                            deadline_s=rt.settings.feed_fetch_deadline_s).content


@catalog.command("check")
@click.argument("feed")
@MAPPING
def catalog_check(feed: str, mapping_path: Path | None) -> None:
    """Show how every item of FEED (a file or URL) maps: board, section, kind, rule, first Pin's
    layout; every row that cannot be used, with its line or number and why (a link the
    publisher would refuse included: checked without a request to it); and the text encoding
    the feed was read in."""
    from pinterest_agent.agents.catalog.variations import next_variation
    from pinterest_agent.queues.jobs.catalog_run import load_feed
    from pinterest_agent.queues.runtime import safe_fetcher

    settings = load_settings()
    links = safe_fetcher(settings)
    try:
        loaded = load_feed(feed, mapping_path, settings, fetch=_fetch,
                           check_link=links.check_link)
    finally:
        links.close()
    rows = []
    for item in loaded.feed.items:
        route = loaded.mapping.route(item)
        if route is None:
            rows.append([item.item_id, item.title[:40], "(skipped)", "", "", "no rule", ""])
            continue
        plan = next_variation(number=1, kind=route.kind, images=item.images, used=[])
        rows.append([item.item_id, item.title[:40], route.board or "(default board)",
                     route.section or "", route.kind,
                     f"rule {route.rule}" if route.rule else "default",
                     (plan.layout if plan else "-") + ("" if item.available else
                                                       ", out of stock")])
    click.echo(f"{feed}: {loaded.feed.format}, {len(loaded.feed.items)} item(s), "
               f"{len(loaded.feed.problems)} problem(s)")
    click.echo(f"encoding: {loaded.feed.encoding}")
    _table(rows, ["id", "title", "board", "section", "kind", "rule", "first Pin"])
    for problem in loaded.feed.problems:
        click.echo(f"problem: {problem}")
    if loaded.brand is not None:
        click.echo(f"brand: {loaded.brand.signature or '(no name)'}, primary "
                   f"{loaded.brand.primary}, logo {'yes' if loaded.brand.logo_png else 'no'}, "
                   f"font {'own' if loaded.brand.font else 'bundled'}")


def _sender(rt: Any) -> Callable[[OutboxEntry], None]:
    from pinterest_agent.agents.messages import PinBrief
    from pinterest_agent.queues.jobs.actors import UPDATE_ACTOR, WRITE_ACTOR, build_broker
    from pinterest_agent.queues.jobs.enqueue import enqueue_message
    from pinterest_agent.queues.jobs.schedule import schedule_brief

    broker = build_broker(rt.settings, rt.redis_client)

    def send(entry: OutboxEntry) -> None:
        if entry.target == "update":
            enqueue_message(broker, queue=rt.settings.queue_publisher, actor=UPDATE_ACTOR,
                            payload=dict(entry.payload))
        else:
            # On the calendar (and movable) from now on, not only once the writer drafted it.
            schedule_brief(rt, PinBrief.model_validate(entry.payload),
                           planned_board=entry.board)
            enqueue_message(broker, queue=rt.settings.queue_writer, actor=WRITE_ACTOR,
                            payload=dict(entry.payload))

    return send


def _send_nothing(entry: OutboxEntry) -> None:
    """A dry run sends nothing."""


def _run(feed: str, channel: str, mapping_path: Path | None, *, dry_run: bool) -> Any:
    from pinterest_agent.queues.jobs.catalog_run import load_feed, run_sync

    rt = runtime()
    loaded = load_feed(feed, mapping_path, rt.settings, fetch=lambda url, cap: rt.fetcher.fetch(
        url, max_bytes=cap, deadline_s=rt.settings.feed_fetch_deadline_s).content)
    send = _send_nothing if dry_run else _sender(rt)
    progress: Any = click.progressbar(length=len(loaded.feed.items), label=f"syncing {channel}",
                                      file=sys.stderr)
    with progress as bar:
        report = run_sync(rt, loaded, channel_id=channel, dry_run=dry_run, send=send,
                          progress=bar.update)
    return report


@catalog.command("sync")
@click.argument("feed")
@click.option("--channel", "channel_id", required=True, callback=channel_param,
              help="A connected channel.")
@MAPPING
@click.option("--dry-run", is_flag=True, help="Show what would happen; send and store nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def catalog_sync(feed: str, channel_id: str, mapping_path: Path | None, dry_run: bool,
                 as_json: bool) -> None:
    """Sync FEED into CHANNEL's Pins: new items become briefs (scheduled by the planner),
    changed items update their Pins, a new image makes a fresh Pin, sold-out or removed items
    are reported. Safe to run again: an unchanged feed sends nothing."""
    report = _run(feed, channel_id, mapping_path, dry_run=dry_run)
    if as_json:
        echo_json({**report.summary(), "problems": [str(p) for p in report.problems]})
        return
    for action in report.actions:
        if action.action != "unchanged":
            click.echo(f"{action.action:<12} {action.item_id}: {action.detail}")
    for problem in report.problems:
        click.echo(f"error        {problem}")
    if dry_run:
        for pin in report.planned:
            click.echo(f"would plan   {pin.brief_id} on {pin.board or '(default board)'} at "
                       f"{pin.at:%Y-%m-%d %H:%M} UTC ({pin.layout})")
    for line in report.seasons:
        click.echo(f"season       {line}")
    click.echo("")
    _summary(report, "dry run" if dry_run else "synced")
    if not dry_run:
        click.echo(f"sent {report.sent} message(s)"
                   + (f" (and {report.resent} left over by an interrupted run)"
                      if report.resent else ""))


def _summary(report: SyncReport, heading: str) -> None:
    """The buckets, one per row of the feed, their total, and the items gone from it."""
    from pinterest_agent.agents.catalog.sync import BUCKETS

    summary = report.summary()
    _table([*([key.replace("_", " "), str(summary[key])] for key in BUCKETS),
            ["= items", str(summary["items"])], ["removed", str(summary["removed"])]],
           [heading, report.channel_id])


@catalog.command("plan")
@click.argument("feed")
@click.option("--channel", "channel_id", required=True, callback=channel_param)
@MAPPING
def catalog_plan(feed: str, channel_id: str, mapping_path: Path | None) -> None:
    """Print the calendar a sync of FEED would schedule (nothing is sent or stored): per day,
    each board's new Pins with their time (UTC) and layout, within the per-board limits."""
    settings = load_settings()
    report = _run(feed, channel_id, mapping_path, dry_run=True)
    click.echo(f"at most {settings.catalog_pins_per_board_per_day} Pin(s) per board per day, "
               f"{settings.catalog_pins_per_board_per_week} per week (UTC)")
    by_day: dict[str, list[Any]] = defaultdict(list)
    for pin in report.planned:
        by_day[pin.at.strftime("%Y-%m-%d %a")].append(pin)
    for day in sorted(by_day):
        click.echo(day)
        for pin in sorted(by_day[day], key=lambda p: (p.at, p.board)):
            note = (f"  season {pin.seasonal}" if pin.seasonal else "") + \
                ("  (late: under 60 days ahead)" if pin.late else "")
            click.echo(f"  {pin.at:%H:%M}  {pin.board or '(default board)':<24} "
                       f"{pin.brief_id} ({pin.layout}){note}")
    if not report.planned:
        click.echo("nothing new to plan")
    for action in report.actions:
        if action.action == "season_full":
            click.echo(f"not planned  {action.item_id}: {action.detail}")
    for line in report.seasons:
        click.echo(f"season       {line}")
    waiting = [a for a in report.actions if a.action == "deferred"]
    if waiting:
        click.echo(f"{len(waiting)} Pin(s) wait past the {settings.catalog_horizon_days}-day "
                   f"horizon, each looked at again on the day it may fit (first: "
                   f"{waiting[0].item_id}: {waiting[0].detail})")
    click.echo("")
    _summary(report, "plan")
