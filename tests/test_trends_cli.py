"""``channels set`` / ``channels show`` and ``trends`` as an operator uses them, against the
sandbox: exit codes, clear errors, the table and the JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.entry.cli import main
from pinterest_agent.queues.settings import Settings, load_settings
from tests.conftest import Channel

pytestmark = pytest.mark.redis

NOW = datetime(2024, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture()
def cli(settings: Settings, fresh_sandbox: SandboxServer,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    for name, value in settings.model_dump().items():
        if value is not None:
            shown = value.get_secret_value() if isinstance(value, SecretStr) else value
            monkeypatch.setenv(f"PINTEREST_AGENT_{name.upper()}", str(shown))
    original = fresh_sandbox.state.clock
    fresh_sandbox.state.clock = NOW.timestamp
    load_settings.cache_clear()
    yield CliRunner()
    load_settings.cache_clear()
    fresh_sandbox.state.clock = original


def test_a_channel_chooses_its_region_and_interests(cli: CliRunner, channel: Channel) -> None:
    # Given a channel that follows the defaults
    shown = cli.invoke(main, ["channels", "show", "shop"])
    assert shown.exit_code == 0, shown.output
    assert shown.output.strip() == "shop  trends_region=US (default)  interests=all (default)"
    # When it chooses Great Britain and Ireland, and two interests (any case, any order)
    chosen = cli.invoke(main, ["channels", "set", "--channel", "shop", "--trends-region",
                               "gb+ie", "--interests", "Home_Decor,food_and_drinks"])
    # Then they are stored, normalised
    assert chosen.exit_code == 0, chosen.output
    assert chosen.output.strip() == (
        "shop  trends_region=GB+IE  interests=food_and_drinks,home_decor")
    # And "all" and "default" are kept apart
    every = cli.invoke(main, ["channels", "set", "--channel", "shop", "--interests", "all"])
    assert every.output.strip() == "shop  trends_region=GB+IE  interests=all"
    back = cli.invoke(main, ["channels", "set", "--channel", "shop", "--trends-region", "default",
                             "--interests", "default"])
    assert back.output.strip() == "shop  trends_region=US (default)  interests=all (default)"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--trends-region", "UK"], "[invalid_field] region 'UK' is not one Pinterest Trends "
                                    "supports; use one of: US, CA,"),
        (["--interests", "home_decor,cooking"], "[invalid_field] interests 'cooking' is not one"),
        ([], "[nothing_to_set]"),
    ],
)
def test_bad_channel_settings_exit_1_and_change_nothing(
    cli: CliRunner, channel: Channel, args: list[str], says: str
) -> None:
    result = cli.invoke(main, ["channels", "set", "--channel", "shop", *args])
    assert result.exit_code == 1, result.output
    assert says in result.output
    shown = cli.invoke(main, ["channels", "show", "shop"])
    assert "trends_region=US (default)  interests=all (default)" in shown.output


def test_trends_prints_keywords_growth_and_sparklines(
    cli: CliRunner, channel: Channel, fresh_sandbox: SandboxServer
) -> None:
    # Given the channel reads Great Britain and Ireland's home decor and food trends
    cli.invoke(main, ["channels", "set", "--channel", "shop", "--trends-region", "GB+IE",
                      "--interests", "home_decor,food_and_drinks"])
    # When the seasonal trends are shown, at most five of them
    result = cli.invoke(main, ["trends", "--channel", "shop", "--type", "seasonal",
                               "--limit", "5"])
    # Then a header, a column line and five rows with growth figures and two sparklines
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("shop: seasonal trends in GB+IE for food_and_drinks, home_decor")
    assert lines[1].split() == ["#", "keyword", "wow", "mom", "yoy", "past", "year", "next", "90",
                                "days"]
    rows = lines[2:]  # late November: Bonfire Night's month (the 5th) and Christmas coming
    assert [row.split()[1:3] for row in rows] == [
        ["bonfire", "night"], ["christmas", "cookies"], ["christmas", "table"]]
    for row in rows:
        assert row.count("%") == 3
        assert sum(ch in "▁▂▃▄▅▆▇█" for ch in row) == 26 + 13
    # And the request named the channel's region, and a second run is served from the cache
    assert fresh_sandbox.state.request_count("GET", "/v5/trends/keywords/GB+IE/top/seasonal") == 1
    again = cli.invoke(main, ["trends", "--channel", "shop", "--type", "seasonal",
                              "--limit", "5"])
    assert again.stdout == result.stdout
    assert fresh_sandbox.state.request_count("GET", "/v5/trends/keywords/GB+IE/top/seasonal") == 1


def test_trends_json_carries_the_series(cli: CliRunner, channel: Channel) -> None:
    result = cli.invoke(main, ["trends", "--channel", "shop", "--type", "yearly", "--limit", "3",
                               "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["region"] == "US" and shown["trend_type"] == "yearly"
    assert shown["interests"] == [] and shown["channel_id"] == "shop"
    assert len(shown["trends"]) == 3
    first = shown["trends"][0]
    assert {"keyword", "pct_growth_wow", "pct_growth_mom", "pct_growth_yoy", "time_series",
            "predicted_time_series"} <= set(first)
    assert len(first["time_series"]) == 52 and len(first["predicted_time_series"]) == 13


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--type", "weekly"], "[invalid_field] trend_type 'weekly' is not one Pinterest Trends "
                               "supports; use one of: growing, monthly, yearly, seasonal"),
        (["--limit", "0"], "[invalid_field] --limit 0 is out of range"),
        (["--limit", "51"], "[invalid_field] --limit 51 is out of range"),
    ],
)
def test_bad_trends_input_exits_1_before_asking(
    cli: CliRunner, channel: Channel, fresh_sandbox: SandboxServer, args: list[str], says: str
) -> None:
    result = cli.invoke(main, ["trends", "--channel", "shop", *args])
    assert result.exit_code == 1, result.output
    assert says in result.output
    assert fresh_sandbox.state.request_count(
        "GET", "/v5/trends/keywords/{region}/top/{trend_type}") == 0


def test_trends_of_a_channel_never_connected_exit_with_a_clear_error(cli: CliRunner) -> None:
    result = cli.invoke(main, ["trends", "--channel", "nowhere"])
    assert result.exit_code in (1, 2), result.output
    assert "nowhere" in result.output and "Traceback" not in result.output
    assert result.output.startswith("error: [")


def test_a_channel_belongs_to_a_tenant_until_it_is_its_own_again(
    cli: CliRunner, channel: Channel
) -> None:
    # Given a channel of no tenant: its line says nothing of one
    # When the operator puts it in tenant agency.eu
    chosen = cli.invoke(main, ["channels", "set", "--channel", "shop", "--tenant", "agency.eu"])
    # Then it is stored and shown, by set, show and list
    assert chosen.exit_code == 0, chosen.output
    assert chosen.output.strip() == (
        "shop  trends_region=US (default)  interests=all (default)  tenant=agency.eu")
    assert "tenant=agency.eu" in cli.invoke(main, ["channels", "show", "shop"]).output
    assert "tenant=agency.eu" in cli.invoke(main, ["channels", "list"]).output
    # And a tenant is an id like a channel's; a bad one changes nothing
    bad = cli.invoke(main, ["channels", "set", "--channel", "shop", "--tenant", "a b"])
    assert bad.exit_code == 1 and "[invalid_id]" in bad.output
    # And 'none' makes the channel its own tenant again
    back = cli.invoke(main, ["channels", "set", "--channel", "shop", "--tenant", "none"])
    assert back.output.strip() == "shop  trends_region=US (default)  interests=all (default)"
