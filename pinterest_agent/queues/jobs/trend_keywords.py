"""The channel's Pinterest Trends where jobs use them: offered to the writer with a brief, and
looked at by the weekly insight and the catalog planner.

Trends are an addition, never a condition: when they cannot be had (the channel's app has no
access, Pinterest is down, the channel is not connected yet), the job goes on without them and
says so in the log. What is offered is grounded: a trend is offered for a brief only when the
brief is about it (:func:`agents.trends.matching_trends`) and it claims nothing the brief does
not state (:mod:`agents.grounding`); the figures are Pinterest's, copied.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pinterest_agent.agents.grounding import brief_grounds, grounding_problems
from pinterest_agent.agents.insights.models import ChannelInsight
from pinterest_agent.agents.insights.searching import uncovered_rising
from pinterest_agent.agents.messages import PinBrief, TrendKeyword
from pinterest_agent.agents.trends import matching_trends
from pinterest_agent.errors import WorkerError
from pinterest_agent.providers.pinterest.trends_models import (
    TrendingKeyword,
    TrendingKeywords,
    TrendType,
)
from pinterest_agent.queues.runtime import Runtime

__all__ = [
    "OFFERED_MAX",
    "as_trend_keyword",
    "channel_trends",
    "looking_outward",
    "with_trend_keywords",
]

log = logging.getLogger(__name__)

OFFERED_MAX = 5
"""Trending keywords offered with one brief."""


def channel_trends(runtime: Runtime, channel_id: str,
                   trend_type: TrendType | None = None) -> TrendingKeywords | None:
    """The channel's trends, or None (logged) when they cannot be had now."""
    try:
        return runtime.trends(channel_id, trend_type)
    except (WorkerError, OSError) as exc:
        log.info("trends for channel %s unavailable (%s); going on without them", channel_id,
                 getattr(exc, "code", type(exc).__name__))
        return None


def as_trend_keyword(trend: TrendingKeyword, found: TrendingKeywords) -> TrendKeyword:
    """The message form of one trend, with its region, type and growth figures."""
    return TrendKeyword(keyword=" ".join(trend.keyword.split())[:100],
                        trend_type=found.filters.trend_type, region=found.filters.region,
                        pct_growth_wow=trend.pct_growth_wow, pct_growth_mom=trend.pct_growth_mom,
                        pct_growth_yoy=trend.pct_growth_yoy)


def offerable(brief: PinBrief, trends: Sequence[TrendingKeyword], found: TrendingKeywords
              ) -> list[TrendKeyword]:
    """The trends *brief* is about that claim nothing it does not state, best first."""
    text = " ".join([brief.name, brief.summary, brief.audience or "", *brief.keywords])
    grounds = brief_grounds(brief)
    offered: list[TrendKeyword] = []
    for match in matching_trends(text, trends, limit=OFFERED_MAX * 2):
        if grounding_problems({"keywords": [match.keyword]}, grounds):
            continue  # e.g. "organic cotton sheets" for a brief that never says organic
        offered.append(as_trend_keyword(match.trend, found))
        if len(offered) >= OFFERED_MAX:
            break
    return offered


def with_trend_keywords(runtime: Runtime, brief: PinBrief) -> PinBrief:
    """*brief* with the channel's matching trending keywords offered (``trend_keywords``),
    unless it opted out or brought its own."""
    if not brief.use_trends or brief.trend_keywords:
        return brief
    found = channel_trends(runtime, brief.channel_id)
    if found is None or not found.trends:
        return brief
    offered = offerable(brief, found.trends, found)
    if offered:
        log.info("brief %s: %d trending keyword(s) offered: %s", brief.brief_id, len(offered),
                 "; ".join(trend.keyword for trend in offered))
    return brief.model_copy(update={"trend_keywords": offered})


def looking_outward(runtime: Runtime, insight: ChannelInsight, pin_texts: Sequence[str]
                    ) -> ChannelInsight:
    """*insight* with "what Pinners are searching" (rising keywords in the channel's region and
    interests that none of its Pins covers) and, when its next Pin is about some of them, those
    offered to that Pin's writer. Unchanged when the channel's trends cannot be had."""
    if insight.status != "ok":
        return insight
    found = channel_trends(runtime, insight.channel_id)
    if found is None or not found.trends:
        return insight
    searching = uncovered_rising(
        [(as_trend_keyword(trend, found), [float(v) for _, v in trend.series()])
         for trend in found.trends], pin_texts)
    update: dict[str, object] = {"searching": searching}
    next_pin = insight.next_pin
    if next_pin is not None and next_pin.use_trends and not next_pin.trend_keywords:
        rising = {item.trend.keyword for item in searching}
        candidates = [trend for trend in found.trends
                      if " ".join(trend.keyword.split())[:100] in rising]
        offered = offerable(next_pin, candidates, found)
        if offered:
            update["next_pin"] = next_pin.model_copy(update={"trend_keywords": offered})
    log.info("insights channel=%s: %d rising search(es) no Pin covers", insight.channel_id,
             len(searching))
    return insight.model_copy(update=update)
