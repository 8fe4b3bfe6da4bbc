"""Typed answers of Pinterest's analytics endpoints (spec 5.23), read the way the spec means them.

Shapes, as Pinterest sends them::

    GET /user_account/analytics  {"all": {"daily_metrics": [...], "summary_metrics": {...}}}
    GET /pins/{id}/analytics     {"all": {"daily_metrics": [...], "summary_metrics": {...},
                                          "lifetime_metrics": {...}}}
    GET /pins/analytics          {"<pin_id>": {"all": {...as above...}}, ...}
    GET .../top_pins             {"date_availability": {...}, "pins": [...], "sort_by": "SAVE"}

Period figures live in ``summary_metrics`` (totals over the requested dates) and
``daily_metrics``; ``lifetime_metrics`` only ever holds ``TOTAL_COMMENTS`` and
``TOTAL_REACTIONS``. Reading period figures from ``lifetime_metrics`` is the bug that left other
tools with empty Pin stats, so :class:`PinAnalytics` has no way to do it.

Each daily row keeps its ``data_status``: only ``READY`` days are final; ``PROCESSING`` and
``ESTIMATE`` days are provisional and will change; ``BEFORE_*`` and ``*_THRESHOLD`` days carry no
usable figures. Metric maps stay open dicts because Pinterest's examples include metrics beyond
the enums (``CLOSEUP``, ``PROFILE_VISIT``, ``VIDEO_*``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "FINAL_STATUS",
    "PROVISIONAL_STATUSES",
    "AccountAnalytics",
    "DailyMetrics",
    "DateWindow",
    "MetricsGroup",
    "PinAnalytics",
    "PinAnalyticsBatch",
    "PinLifetimeMetrics",
    "TopPin",
    "TopPins",
]

FINAL_STATUS = "READY"
"""The only ``data_status`` whose figures will not change any more."""

PROVISIONAL_STATUSES = frozenset({"PROCESSING", "ESTIMATE"})
"""Recent days: figures exist but Pinterest will still revise them."""


class _Response(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class DateWindow(_Response):
    """An inclusive range of UTC dates, as sent in ``start_date`` / ``end_date``."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def params(self) -> dict[str, str]:
        return {"start_date": self.start.isoformat(), "end_date": self.end.isoformat()}


class DailyMetrics(_Response):
    """One day of figures and how final they are."""

    date: date
    data_status: str = FINAL_STATUS
    metrics: dict[str, float] = Field(default_factory=dict)

    @property
    def is_final(self) -> bool:
        return self.data_status == FINAL_STATUS

    @property
    def is_provisional(self) -> bool:
        return self.data_status in PROVISIONAL_STATUSES

    @property
    def has_data(self) -> bool:
        """READY, PROCESSING or ESTIMATE: the figures mean something (possibly provisional)."""
        return self.is_final or self.is_provisional

    def get(self, metric: str) -> float:
        return self.metrics.get(metric, 0.0)


class MetricsGroup(_Response):
    """``AnalyticsMetricsResponse`` / ``PinAnalyticsMetricsResponse``: one split group."""

    daily_metrics: list[DailyMetrics] = Field(default_factory=list)
    summary_metrics: dict[str, float] = Field(default_factory=dict)
    lifetime_metrics: dict[str, int] = Field(default_factory=dict)


class AccountAnalytics(_Response):
    """``GET /user_account/analytics`` for one window, NO_SPLIT (the ``all`` group)."""

    window: DateWindow
    daily: list[DailyMetrics]
    summary: dict[str, float] = Field(default_factory=dict)

    @property
    def provisional_dates(self) -> list[date]:
        return [row.date for row in self.daily if row.is_provisional]


class PinAnalytics(_Response):
    """Period figures of one Pin: ``summary_metrics`` totals and ``daily_metrics`` rows.

    ``lifetime`` is filled only by a separate lifetime-metrics request (``TOTAL_COMMENTS``,
    ``TOTAL_REACTIONS``), never mixed into the period request.
    """

    pin_id: str
    window: DateWindow
    summary: dict[str, float] = Field(default_factory=dict)
    daily: list[DailyMetrics] = Field(default_factory=list)
    lifetime: dict[str, int] = Field(default_factory=dict)

    def get(self, metric: str) -> float:
        return self.summary.get(metric, 0.0)

    @classmethod
    def from_group(cls, pin_id: str, window: DateWindow, group: MetricsGroup) -> PinAnalytics:
        return cls(
            pin_id=pin_id,
            window=window,
            summary=group.summary_metrics,
            daily=group.daily_metrics,
            lifetime=group.lifetime_metrics,
        )


class PinAnalyticsBatch(_Response):
    """Per-Pin analytics for many Pins, and how they were fetched.

    ``missing`` lists Pins Pinterest would not report on (deleted, not owned: 403/404 per Pin),
    ``not_found`` those of them that answered 404 (deleted since they were listed, or not this
    account's). ``used_batch_endpoint`` is False when the app lacks the ``/pins/analytics`` beta
    and the per-Pin fallback answered instead.
    """

    window: DateWindow
    pins: dict[str, PinAnalytics] = Field(default_factory=dict)
    missing: list[str] = Field(default_factory=list)
    not_found: list[str] = Field(default_factory=list)
    used_batch_endpoint: bool = True


class PinLifetimeMetrics(_Response):
    """Comments and reactions of one Pin (``GET /pins/{id}?pin_metrics=true``, lifetime)."""

    pin_id: str
    comments: int | None = None
    reactions: int | None = None

    @classmethod
    def from_pin_metrics(
        cls, pin_id: str, pin_metrics: dict[str, Any] | None
    ) -> PinLifetimeMetrics:
        """Read ``pin_metrics.lifetime_metrics.{comment,reaction}`` (absent -> None)."""
        lifetime = (pin_metrics or {}).get("lifetime_metrics") or {}
        return cls(
            pin_id=pin_id,
            comments=_int_or_none(lifetime.get("comment")),
            reactions=_int_or_none(lifetime.get("reaction")),
        )


class TopPin(_Response):
    """One entry of ``top_pins`` / ``top_video_pins``; ``data_status`` is per metric."""

    pin_id: str
    metrics: dict[str, float] = Field(default_factory=dict)
    data_status: dict[str, str] = Field(default_factory=dict)


class DateAvailability(_Response):
    is_realtime: bool | None = None
    latest_available_timestamp: float | None = None


class TopPins(_Response):
    """``TopPinsAnalyticsResponse`` / ``TopVideoPinsAnalyticsResponse``."""

    pins: list[TopPin] = Field(default_factory=list)
    sort_by: str | None = None
    date_availability: DateAvailability | None = None


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
