"""The channel page's "Searching" tab: what Pinners are searching (Pinterest Trends).

It shows the latest insight's rising keywords that none of the channel's Pins covers, and the
channel's cached trends (the worker's cache; the console never calls Pinterest for them), each
with its growth and a sparkline of its weekly searches, and a form that sends the writer a
brief for one keyword: the operator gives the page it links to and what it is about (the facts
the Pin may state); the keyword is offered as a trend, with its figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pinterest_agent.agents.ids import is_id
from pinterest_agent.agents.insights.searching import SearchTrend
from pinterest_agent.agents.messages import SCHEMA_VERSION, PinBrief, TrendKeyword
from pinterest_agent.queues.console.compare import sparkline
from pinterest_agent.queues.jobs.trend_keywords import as_trend_keyword
from pinterest_agent.queues.runtime import Runtime

__all__ = ["KeywordRow", "SearchingView", "keyword_brief", "searching_view", "trend_of"]

LISTED = 20


@dataclass(frozen=True)
class KeywordRow:
    keyword: str
    trend_type: str
    growth: str
    spark: str
    uncovered: bool


@dataclass(frozen=True)
class SearchingView:
    rows: list[KeywordRow]
    region: str
    interests: str
    fetched_at: str | None
    insight_at: str | None


def _growth(trend: TrendKeyword) -> str:
    parts = [f"{label} {value:+d}%" for label, value in (
        ("week", trend.pct_growth_wow), ("month", trend.pct_growth_mom),
        ("year", trend.pct_growth_yoy)) if value is not None for value in [int(value)]]
    return " \u00b7 ".join(parts) or "\u2013"


def searching_view(runtime: Runtime, channel_id: str, insight_searching: list[SearchTrend],
                   insight_at: str | None) -> SearchingView:
    """The tab's rows: the insight's uncovered rising keywords first, then the cached trends."""
    profile = runtime.trend_profile(channel_id)
    rows: list[KeywordRow] = []
    seen: set[str] = set()
    for item in insight_searching:
        seen.add(item.trend.keyword.casefold())
        rows.append(KeywordRow(item.trend.keyword, item.trend.trend_type, _growth(item.trend),
                               sparkline(list(item.weekly)), True))
    cached = runtime.trends_cache.get(runtime.trend_filters(channel_id))
    for listed in (cached.top(LISTED) if cached else []):
        trend = as_trend_keyword(listed, cached) if cached else None
        if trend is None or trend.keyword.casefold() in seen:
            continue
        seen.add(trend.keyword.casefold())
        rows.append(KeywordRow(trend.keyword, trend.trend_type, _growth(trend),
                               sparkline([float(v) for _, v in listed.series()]), False))
    return SearchingView(rows[:LISTED], profile.region, ", ".join(profile.interests) or "all",
                         cached.fetched_at.isoformat(timespec="minutes") if cached else None,
                         insight_at)


def keyword_brief(runtime: Runtime, channel_id: str, keyword: str, destination_url: str,
                  summary: str, trend: TrendKeyword | None) -> dict[str, object]:
    """A brief for one trending keyword, validated as the writer will validate it (raises
    pydantic's ``ValidationError`` with what to fix)."""
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    slug = "".join(c if c.isalnum() else "-" for c in keyword.casefold()).strip("-")[:40]
    brief_id = f"trend-{stamp}-{slug}" if is_id(f"trend-{stamp}-{slug}") else f"trend-{stamp}"
    brief = PinBrief(
        schema_version=SCHEMA_VERSION, brief_id=brief_id, channel_id=channel_id, kind="other",
        name=keyword[:200], summary=summary, destination_url=destination_url,
        keywords=[keyword[:60]], trend_keywords=[trend] if trend else [], publish=False)
    return brief.model_dump(mode="json", exclude_none=True)


def trend_of(runtime: Runtime, channel_id: str, keyword: str,
             insight_searching: list[SearchTrend]) -> TrendKeyword | None:
    """The trend named *keyword*: from the insight's list, else the cached trends."""
    for item in insight_searching:
        if item.trend.keyword.casefold() == keyword.casefold():
            return item.trend
    cached = runtime.trends_cache.get(runtime.trend_filters(channel_id))
    listed = cached.keyword(keyword) if cached else None
    return as_trend_keyword(listed, cached) if listed and cached else None


