"""Each channel's figures snapshot in Redis, written by the insights job, read by the console.

Key (``P`` is the ``key_prefix`` setting)::

    P:figures:{channel}   str   the latest ChannelFigures JSON (agents/insights/snapshot.py)

:func:`pinterest_agent.queues.jobs.insights.save_channel_figures` is the insights job's one-call
hook: after the insight is built it turns what the job read (through
:class:`~agents.insights.recorder.RecordingAnalytics`) into the
snapshot and stores it, before the insight is announced, so a page opened on ``insight.ready``
finds both. The snapshot is plain data: the console draws its charts on first view
(``queues/console/chart_store.py``), so a worker never loads the web stack or pygal. The daily
charts span the API's whole reach (90 days, 89 back): when the insight read fewer days, one more
account request (through the same rate limit) reads them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

import redis

from pinterest_agent.agents.insights.models import ChannelInsight
from pinterest_agent.agents.insights.pin_records import PinRecord
from pinterest_agent.agents.insights.recorder import RecordingAnalytics
from pinterest_agent.agents.insights.snapshot import ChannelFigures, build_figures
from pinterest_agent.providers.pinterest.analytics import MAX_DAYS_BACK, AnalyticsUnavailableError
from pinterest_agent.providers.pinterest.models import Pin

__all__ = ["FIGURE_DAYS", "ChannelFiguresStore", "figures_for"]

FIGURE_DAYS = 90
"""Days of the Overview's daily charts (the API reaches 89 days back)."""

log = logging.getLogger(__name__)


class ChannelFiguresStore:
    """``P:figures:{channel}``: the latest snapshot per channel."""

    def __init__(self, client: redis.Redis[bytes], prefix: str) -> None:
        self._client = client
        self._prefix = prefix

    def _key(self, channel_id: str) -> str:
        return f"{self._prefix}:figures:{channel_id}"

    def save(self, figures: ChannelFigures) -> None:
        self._client.set(self._key(figures.channel_id), figures.model_dump_json())

    def load_raw(self, channel_id: str) -> bytes | None:
        return self._client.get(self._key(channel_id))

    def load(self, channel_id: str) -> ChannelFigures | None:
        raw = self.load_raw(channel_id)
        return ChannelFigures.model_validate_json(raw) if raw is not None else None

    def channel_ids(self) -> list[str]:
        start = len(self._key(""))
        return sorted(key.decode()[start:] for key in
                      self._client.scan_iter(match=self._key("*"), count=1000))


def figures_for(
    analytics: RecordingAnalytics, insight: ChannelInsight, *, username: str | None = None,
    now: datetime | None = None, pins: Sequence[Pin | PinRecord] | None = None,
) -> ChannelFigures:
    """The snapshot of what ``analytics`` answered during the run that built ``insight``."""
    account = analytics.account
    if insight.status != "no_analytics_access" and (
            account is None or account.window.days < MAX_DAYS_BACK):
        try:
            account = analytics.account_daily(FIGURE_DAYS)
        except AnalyticsUnavailableError as exc:
            log.info("figures channel=%s: the %d-day account read was refused (%s)",
                     insight.channel_id, FIGURE_DAYS, exc.code)
    return build_figures(
        insight.channel_id,
        now or insight.generated_at,
        status=insight.status,
        username=username,
        account=account,
        boards=analytics.boards,
        pins=pins if pins is not None else analytics.pins,
        pin_analytics=analytics.pin_analytics,
        pin_period=analytics.pin_period,
    )
