"""The insights actor's work: one channel's analytics -> metrics -> ``ChannelInsight``.

The insight is stored (newest first, under ``insight:{channel}``), its outcome recorded and
``insight.ready`` emitted. A channel without data or without analytics access gets a stored
insight that says so (status ``no_data`` / ``no_analytics_access``), not a failure.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pinterest_agent.agents.insights.categorizer import (
    LLMCategorizer,
    PinCategorizer,
    RuleCategorizer,
)
from pinterest_agent.agents.insights.models import ChannelInsight
from pinterest_agent.agents.insights.pin_cache import PinCache
from pinterest_agent.agents.insights.recorder import RecordingAnalytics
from pinterest_agent.agents.insights.snapshot import ChannelFigures
from pinterest_agent.agents.insights.writer import build_insight
from pinterest_agent.agents.messages import SCHEMA_VERSION, InsightsRequest
from pinterest_agent.errors import ConfigurationError
from pinterest_agent.providers.pinterest.analytics import AnalyticsAPI
from pinterest_agent.queues.jobs.publish import decode_message
from pinterest_agent.queues.jobs.trend_keywords import looking_outward
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.stores.figures import ChannelFiguresStore, figures_for
from pinterest_agent.queues.stores.pin_cache import RedisPinCache

__all__ = ["insights_request", "latest_insight", "pin_cache", "pin_categorizer", "run_insights"]

log = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def insights_request(
    channel_id: str, *, clock: Callable[[], datetime] = _utc_now
) -> dict[str, Any]:
    return InsightsRequest(
        schema_version=SCHEMA_VERSION, channel_id=channel_id, requested_at=clock()
    ).model_dump(mode="json", exclude_none=True)


def run_insights(
    runtime: Runtime, payload: object, *, clock: Callable[[], datetime] = _utc_now
) -> ChannelInsight:
    request = decode_message(InsightsRequest, payload)
    channel_id = request.channel_id
    token = runtime.tokens.access_token(channel_id)
    throttle = runtime.read_throttle(channel_id)
    analytics = RecordingAnalytics(  # keeps what it reads for the console's figures snapshot
        AnalyticsAPI(runtime.pinterest_api(token), clock=clock, limiter=throttle))
    pins = pin_cache(runtime)
    log.info("insights channel=%s: reading %d days of analytics", channel_id,
             request.period_days)
    insight = build_insight(
        request,
        analytics=analytics,
        snapshots=runtime.store.follower_snapshots,
        llm=runtime.llm,
        clock=clock,
        template_versions=runtime.template_version_hook(channel_id),
        pin_cache=pins,
        categorizer=pin_categorizer(runtime),
        refresh_after=timedelta(days=runtime.settings.pin_cache_refresh_days),
    )
    texts = [" ".join(filter(None, (record.title, record.description)))
             for record in pins.load(channel_id).records.values()]
    insight = looking_outward(runtime, insight, texts)  # what Pinners are searching
    save_channel_figures(runtime, analytics, insight, pins_of=pins)
    runtime.store.documents.push("insight", channel_id, insight.model_dump_json(), keep=52)
    runtime.store.outcomes.record(
        "insight",
        channel_id,
        {"status": insight.status, "generated_at": insight.generated_at.isoformat(),
         "api_calls": analytics.call_count, "summary": insight.summary},
        event="insight.ready",
    )
    log.info("insights channel=%s: %s after %d API calls", channel_id, insight.status,
             analytics.call_count)
    return insight


def pin_cache(runtime: Runtime) -> RedisPinCache:
    """Every channel's cached Pin metadata, kept twice the full-listing period after a run."""
    days = runtime.settings.pin_cache_refresh_days
    return RedisPinCache(runtime.redis_client, prefix=runtime.settings.key_prefix,
                         ttl_s=2 * days * 86_400)


def pin_categorizer(runtime: Runtime) -> PinCategorizer:
    """The LLM where the rules are unsure (the rules elsewhere, and as its check) or the rules
    alone, as ``insight_categories`` says."""
    settings = runtime.settings
    use_llm = settings.insight_categories == "llm" or (
        settings.insight_categories == "auto" and settings.openai_api_key is not None)
    if use_llm:
        return LLMCategorizer(runtime.llm, max_pins=settings.insight_category_llm_max_pins,
                              batch_size=settings.insight_category_batch_size)
    return RuleCategorizer()


def latest_insight(runtime: Runtime, channel_id: str) -> ChannelInsight | None:
    stored = runtime.store.documents.history("insight", channel_id, limit=1)
    return ChannelInsight.model_validate_json(stored[0]) if stored else None


def save_channel_figures(
    runtime: Runtime, analytics: RecordingAnalytics, insight: ChannelInsight,
    pins_of: PinCache | None = None,
) -> ChannelFigures:
    """The insights job's hook: build the channel's figures snapshot (what the console shows)
    from what the job read, and store it."""
    try:
        credentials = runtime.store.credentials.get(insight.channel_id)
    except ConfigurationError:  # a record the key cannot open: the figures need no token
        credentials = None
    pins = list(pins_of.load(insight.channel_id).records.values()) if pins_of else None
    figures = figures_for(analytics, insight,
                          username=credentials.username if credentials else None, pins=pins)
    ChannelFiguresStore(runtime.redis_client, runtime.settings.key_prefix).save(figures)
    log.info("figures channel=%s: %d days, %d top Pins stored", insight.channel_id,
             len(figures.days), len(figures.top_pins))
    return figures
