"""``pinterest-agent trends``: what Pinners search now, for a channel's region and interests.

Reads through the store's cache (one request a day per region, type and filters; see
``Runtime.trends``), so running it again costs nothing. Imports only click at load time.
"""

from __future__ import annotations

import click

from pinterest_agent.queues.entry.cli_support import channel_param, echo_json, runtime

__all__ = ["trends"]

SPARK_WIDTH = 26
"""Characters of the text sparkline (a year of weeks, two a character)."""


@click.command()
@click.option("--channel", "channel_id", required=True, callback=channel_param,
              help="The connected channel whose token, region and interests are used.")
@click.option("--type", "trend_type", default=None, metavar="TYPE",
              help="growing, monthly, yearly or seasonal (default: the trends_type setting).")
@click.option("--limit", default=20, show_default=True, type=int,
              help="How many of the top trends to show (1 to 50).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the trends as JSON (with their series) instead of a table.")
def trends(channel_id: str, trend_type: str | None, limit: int, as_json: bool) -> None:
    """Show CHANNEL's trending keywords: growth week/month/year over and a sparkline of the
    past year (and, when Pinterest predicts it, where the next 90 days go), both on the 0..100
    scale of Pinterest's series."""
    from pinterest_agent.agents.trends import sparkline
    from pinterest_agent.providers.pinterest.errors import PinterestValidationError
    from pinterest_agent.providers.pinterest.trends_models import MAX_KEYWORDS, parse_trend_type

    if not 1 <= limit <= MAX_KEYWORDS:
        raise PinterestValidationError(
            f"--limit {limit} is out of range; Pinterest returns 1 to {MAX_KEYWORDS} trends.",
            field="limit")
    kind = parse_trend_type(trend_type) if trend_type is not None else None
    rt = runtime()
    found = rt.trends(channel_id, kind)
    filters = found.filters
    shown = found.top(limit)
    if as_json:
        echo_json({
            "channel_id": channel_id,
            "region": filters.region,
            "trend_type": filters.trend_type,
            "interests": list(filters.interests),
            "fetched_at": found.fetched_at.isoformat(),
            "trends": [trend.model_dump(mode="json", exclude_none=True) for trend in shown],
        })
        return
    interests = ", ".join(filters.interests) or "every interest"
    fetched = found.fetched_at.isoformat(timespec="minutes")
    click.echo(f"{channel_id}: {filters.trend_type} trends in {filters.region} for {interests} "
               f"(fetched {fetched})")
    if not shown:
        click.echo("  no trending keywords for these filters")
        return
    width = max(len(trend.keyword) for trend in shown)
    ahead_title = "  next 90 days" if any(t.predicted_time_series for t in shown) else ""
    click.echo(f"  {'#':>2}  {'keyword':<{width}}  {'wow':>7}  {'mom':>7}  {'yoy':>7}  "
               f"{'past year':<{SPARK_WIDTH}}{ahead_title}".rstrip())
    for rank, trend in enumerate(shown, start=1):
        past = sparkline([value for _, value in trend.series()], SPARK_WIDTH, scale=(0, 100))
        ahead = sparkline([value for _, value in trend.predicted()], scale=(0, 100))
        click.echo(f"  {rank:>2}  {trend.keyword:<{width}}  {_pct(trend.pct_growth_wow):>7}  "
                   f"{_pct(trend.pct_growth_mom):>7}  {_pct(trend.pct_growth_yoy):>7}  "
                   f"{past}" + (f"  {ahead}" if ahead else ""))


def _pct(value: int | None) -> str:
    if value is None:
        return "-"
    if value > 10_000:
        return ">+10000%"
    return f"{value:+d}%"
