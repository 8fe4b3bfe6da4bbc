"""Links are checked where they enter, with the publisher's guard (issue 23, defect 6): an item
whose link is private, a metadata address, has user info, a backslash, no host or does not
resolve is a problem row in ``catalog check`` and the sync (never planned), without a request to
the link; each distinct host is looked up once, however many rows link to it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from pinterest_agent.agents.catalog import OutboxEntry, parse_feed
from pinterest_agent.agents.catalog.links import screen_links
from pinterest_agent.providers.netsafe import SafeFetcher, system_resolver
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.entry.cli import main
from pinterest_agent.queues.jobs.catalog_run import load_feed, run_sync
from pinterest_agent.queues.runtime import Runtime
from tests.test_catalog_cli import cli  # noqa: F401 (the CLI with this test's settings)

UNSAFE = {
    "PRIVATE": "https://10.0.0.7/products/mug",
    "METADATA": "https://169.254.169.254/latest/meta-data/",
    "USERINFO": "https://user:secret@shop.example.com/products/mug",
    "BACKSLASH": "https://shop.example.com\\@10.0.0.7/products/mug",
    "NOHOST": "https:///products/mug",
    "NXDOMAIN": "https://shop.x.invalid/products/mug",
}
SAYS = {
    "PRIVATE": "a private address", "METADATA": "a cloud metadata address",
    "USERINFO": "user info", "BACKSLASH": "a backslash", "NOHOST": "no host",
    "NXDOMAIN": "does not exist",
}


def feed_csv(good: dict[str, str], unsafe: dict[str, str] = UNSAFE) -> bytes:
    rows = ["id,title,link"]
    rows += [f"{item_id},Terracotta mug {item_id},{link}" for item_id, link in
             [*unsafe.items(), *good.items()]]
    return ("\n".join(rows) + "\n").encode()


def test_each_unsafe_link_is_a_problem_row_and_each_host_is_looked_up_once() -> None:
    # Given a feed of 500 rows linking to one public shop, and one row of each unsafe kind; the
    # publisher's guard whose lookups are counted (the shop's address answered here, every
    # other name by the system's resolver: shop.x.invalid does not exist anywhere)
    lookups: Counter[str] = Counter()

    def resolver(host: str, port: int) -> list[str]:
        lookups[host] += 1
        return ["93.184.215.14"] if host == "shop.example.com" else system_resolver(host, port)

    good = {f"MUG-{n}": f"https://shop.example.com/products/mug-{n}" for n in range(500)}
    parsed = parse_feed(feed_csv(good))
    fetcher = SafeFetcher(resolver=resolver)
    # When its links are screened
    screened = screen_links(parsed, fetcher.check_link)
    fetcher.close()
    # Then every unsafe row is a problem naming its line and id, and the rest are items
    assert [item.item_id for item in screened.items] == list(good)
    problems = {problem.item_id: problem for problem in screened.problems}
    assert list(problems) == list(UNSAFE)
    for line, item_id in enumerate(UNSAFE, 2):
        assert problems[item_id].position == f"line {line}"
        assert SAYS[item_id] in problems[item_id].reason, problems[item_id].reason
    assert "secret" not in str(problems["USERINFO"])  # the link is shown redacted
    # And each host was looked up once, not once per row
    assert lookups == Counter({"shop.example.com": 1, "shop.x.invalid": 1})


def test_a_feed_without_unsafe_links_is_unchanged() -> None:
    parsed = parse_feed(feed_csv({"A": "https://127.0.0.1/a"}, unsafe={}))
    fetcher = SafeFetcher(allow_loopback=True)
    assert screen_links(parsed, fetcher.check_link) is parsed
    fetcher.close()


@pytest.mark.redis
def test_catalog_check_reports_unsafe_links_without_requesting_them(
    cli: CliRunner, fresh_sandbox: SandboxServer, tmp_path: Path  # noqa: F811
) -> None:
    # Given a feed with a safe sandbox page, and the unsafe links (user info on a sandbox page)
    page = "/_sandbox/pages/linen-throw-sage"
    unsafe = {**UNSAFE, "USERINFO": fresh_sandbox.https_base_url.replace(
        "https://", "https://user:secret@") + page}
    feed = tmp_path / "feed.csv"
    feed.write_bytes(feed_csv({"GOOD": fresh_sandbox.https_base_url + page}, unsafe))
    # When the operator checks it
    result = cli.invoke(main, ["catalog", "check", str(feed)])
    # Then each unsafe link is a problem, by line and id, and the page was never requested
    assert result.exit_code == 0, result.output
    assert "csv, 1 item(s), 6 problem(s)" in result.output
    for line, item_id in enumerate(UNSAFE, 2):
        assert f"problem: line {line} (id {item_id}): link " in result.output
    assert fresh_sandbox.state.request_count("GET", page) == 0
    assert fresh_sandbox.state.request_count("HEAD", page) == 0


@pytest.mark.redis
def test_the_sync_plans_no_pin_for_an_unsafe_link(
    runtime: Runtime, fresh_sandbox: SandboxServer, tmp_path: Path
) -> None:
    # Given a feed with one safe item and the unsafe ones, loaded as a sync loads it
    feed = tmp_path / "feed.csv"
    feed.write_bytes(feed_csv({"GOOD": fresh_sandbox.https_base_url + "/_sandbox/pages/x"}))
    loaded = load_feed(str(feed), None, runtime.settings)
    sent: list[OutboxEntry] = []
    # When it is synced (a dry run: what would be planned)
    report = run_sync(runtime, loaded, channel_id="shop", dry_run=True, send=sent.append)
    # Then only the safe item is planned, and each unsafe one is an error of the run
    assert [pin.item_id for pin in report.planned] == ["GOOD"]
    assert [problem.item_id for problem in report.problems] == list(UNSAFE)
    assert report.summary()["errors"] == len(UNSAFE) and report.summary()["new"] == 1

