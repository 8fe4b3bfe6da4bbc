"""``RecordingAnalytics``: an analytics source that keeps what it answered.

The insights job hands it to :func:`agents.insights.writer.build_insight` in place of the
:class:`~providers.pinterest.analytics.AnalyticsAPI` it wraps; afterwards the figures snapshot
(:mod:`agents.insights.snapshot`) is built from what the job read, so the console costs no second
walk over the channel's Pins. Every call passes straight through (same rate limit, same counts).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Protocol

from pinterest_agent.providers.pinterest.analytics_models import (
    AccountAnalytics,
    PinAnalytics,
    PinAnalyticsBatch,
    PinLifetimeMetrics,
)
from pinterest_agent.providers.pinterest.models import Board, Pin

__all__ = ["CountingAnalytics", "RecordingAnalytics"]


class CountingAnalytics(Protocol):
    """What the insights job reads from (``AnalyticsAPI``), with its request count."""

    @property
    def call_count(self) -> int: ...

    def account_daily(
        self, days: int, metric_types: Sequence[str] | None = None, *, end: date | None = None
    ) -> AccountAnalytics: ...

    def list_pins(self, *, board_id: str | None = None, pin_metrics: bool = False) -> list[Pin]: ...

    def list_boards(self) -> list[Board]: ...

    def pin_pages(
        self, *, board_id: str | None = None, pin_metrics: bool = False
    ) -> Iterator[list[Pin]]: ...

    def pins_analytics(
        self, pin_ids: Iterable[str], start: date, end: date, metric_types: Sequence[str] = ...
    ) -> PinAnalyticsBatch: ...

    def pin_lifetime(self, pin_id: str) -> PinLifetimeMetrics: ...


class RecordingAnalytics:
    """Passes every call to ``source`` and keeps the answers the figures need: the longest
    account window, the boards, the channel's whole Pin listing and the per-Pin analytics."""

    def __init__(self, source: CountingAnalytics) -> None:
        self._source = source
        self.account: AccountAnalytics | None = None
        self.boards: list[Board] | None = None
        self.pins: list[Pin] | None = None
        self.pin_analytics: dict[str, PinAnalytics] = {}
        self.pin_period: tuple[date, date] | None = None

    @property
    def call_count(self) -> int:
        return self._source.call_count

    def account_daily(
        self, days: int, metric_types: Sequence[str] | None = None, *, end: date | None = None
    ) -> AccountAnalytics:
        answer = self._source.account_daily(days, metric_types, end=end)
        if metric_types is None and (self.account is None
                                     or answer.window.days > self.account.window.days):
            self.account = answer
        return answer

    def list_pins(self, *, board_id: str | None = None, pin_metrics: bool = False) -> list[Pin]:
        pins = self._source.list_pins(board_id=board_id, pin_metrics=pin_metrics)
        if board_id is None:
            self.pins = pins
        return pins

    def list_boards(self) -> list[Board]:
        self.boards = self._source.list_boards()
        return self.boards

    def pin_pages(
        self, *, board_id: str | None = None, pin_metrics: bool = False
    ) -> Iterator[list[Pin]]:
        """Passed through: with the insights' Pin cache the listing stops early, so the figures
        take the channel's Pins from that cache instead."""
        return self._source.pin_pages(board_id=board_id, pin_metrics=pin_metrics)

    def pins_analytics(
        self, pin_ids: Iterable[str], start: date, end: date,
        metric_types: Sequence[str] | None = None,
    ) -> PinAnalyticsBatch:
        if metric_types is not None:  # a call naming its own metrics is not the period read
            return self._source.pins_analytics(pin_ids, start, end, metric_types)
        batch = self._source.pins_analytics(pin_ids, start, end)
        self.pin_analytics.update(batch.pins)
        self.pin_period = (start, end)
        return batch

    def pin_lifetime(self, pin_id: str) -> PinLifetimeMetrics:
        return self._source.pin_lifetime(pin_id)
