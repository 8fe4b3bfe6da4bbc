"""``prompts report CHANNEL``: template versions compared by the measured results of the Pins
each wrote, on demand (the weekly insight carries the same report).

It reads the channel's draft records for the period, maps them to Pins through the publish
ledger, and asks Pinterest for those Pins' period analytics only (``GET /pins/analytics``, 100 a
request, under the channel's analytics rate limit).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime

from pinterest_agent.agents.prompting.performance import (
    PinFigures,
    TemplateVersionReport,
    version_report,
)
from pinterest_agent.providers.pinterest.analytics import AnalyticsAPI
from pinterest_agent.queues.runtime import Runtime

__all__ = ["run_version_report"]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def run_version_report(
    runtime: Runtime, channel_id: str, *, days: int = 30,
    clock: Callable[[], datetime] = _utc_now,
) -> TemplateVersionReport:
    """The last ``days`` days (ending yesterday, UTC) of ``channel_id``."""
    settings = runtime.settings
    token = runtime.tokens.access_token(channel_id)
    throttle = runtime.read_throttle(channel_id)
    analytics = AnalyticsAPI(runtime.pinterest_api(token), clock=clock, limiter=throttle)
    window = analytics.window(days)

    def measure(pin_ids: list[str], start: date, end: date) -> Mapping[str, PinFigures]:
        batch = analytics.pins_analytics(pin_ids, start, end)
        return {pin_id: figures.summary for pin_id, figures in batch.pins.items()}

    return version_report(
        runtime.prompt_usage, runtime.published_pin, measure, channel_id=channel_id,
        start=window.start, end=window.end, min_pins=settings.prompt_report_min_pins,
        min_impressions=settings.prompt_report_min_impressions,
    )
