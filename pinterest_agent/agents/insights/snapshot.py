"""``ChannelFigures``: the compact snapshot of a channel's figures that the console draws.

The insights job already reads everything a channel page shows (the account's daily figures,
the Pins with their period analytics, the boards); :func:`build_figures` keeps a compact copy of
it, so a page view never calls Pinterest:

* ``days``: the account's daily impressions, saves, Pin clicks and outbound clicks over the last
  90 days (the API's reach, 89 days back), each with its ``data_status`` (``READY`` is final;
  ``PROCESSING`` / ``ESTIMATE`` are provisional and drawn as such);
* ``top_pins``: the Pins with the most impressions, saves, outbound clicks, Pin clicks and the
  best save rate (each at most ``keep`` Pins, their union stored once), with their period
  figures and a thumbnail URL, so the Top Pins table can sort by any of them;
* ``boards`` with their Pin and follower counts, the total Pins and board followers.

A 10,000-Pin channel's snapshot holds at most ``5 x keep`` Pins, so loading and drawing it costs
the same as a small channel's.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pinterest_agent.agents.insights.pin_records import PinRecord
from pinterest_agent.providers.pinterest.analytics_models import (
    PROVISIONAL_STATUSES,
    AccountAnalytics,
    PinAnalytics,
)
from pinterest_agent.providers.pinterest.models import Board, Pin

__all__ = [
    "DEFAULT_KEEP",
    "DEFAULT_MIN_IMPRESSIONS",
    "FIGURES_SCHEMA_VERSION",
    "SORT_KEYS",
    "BoardFigures",
    "ChannelFigures",
    "DayFigures",
    "FiguresStatus",
    "PinFigures",
    "build_figures",
    "thumbnail_url",
]

FIGURES_SCHEMA_VERSION = 1
DEFAULT_KEEP = 50
"""Pins kept per ranking (impressions, saves, save rate, Pin clicks, outbound clicks)."""
DEFAULT_MIN_IMPRESSIONS = 100
"""A Pin ranks by save rate only from this many impressions (the insight's own rule)."""
THUMBNAIL_MIN_WIDTH = 150

FiguresStatus = Literal["ok", "no_data", "no_analytics_access"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class DayFigures(_Model):
    """One UTC day of the account's figures and how final they are."""

    date: date
    data_status: str
    impressions: int = 0
    saves: int = 0
    pin_clicks: int = 0
    outbound_clicks: int = 0

    @property
    def provisional(self) -> bool:
        return self.data_status in PROVISIONAL_STATUSES

    @property
    def has_data(self) -> bool:
        return self.data_status == "READY" or self.provisional


class BoardFigures(_Model):
    board_id: str
    name: str
    privacy: str | None = None
    pin_count: int | None = None
    follower_count: int | None = None


class PinFigures(_Model):
    """One Pin's figures over the measured period."""

    pin_id: str
    title: str | None = None
    link: str | None = None
    image_url: str | None = None
    board_id: str | None = None
    created_at: datetime | None = None
    impressions: int = 0
    saves: int = 0
    pin_clicks: int = 0
    outbound_clicks: int = 0

    @property
    def save_rate(self) -> float | None:
        return self.saves / self.impressions if self.impressions else None

    @property
    def url(self) -> str:
        return f"https://www.pinterest.com/pin/{self.pin_id}/"


SORT_KEYS: dict[str, Callable[[PinFigures], float]] = {
    "impressions": lambda p: p.impressions,
    "saves": lambda p: p.saves,
    "save_rate": lambda p: p.save_rate or 0.0,
    "pin_clicks": lambda p: p.pin_clicks,
    "outbound_clicks": lambda p: p.outbound_clicks,
}
"""The columns the Top Pins table sorts by."""


class ChannelFigures(_Model):
    schema_version: Literal[1] = 1
    channel_id: str
    generated_at: datetime
    status: FiguresStatus
    username: str | None = None
    days: list[DayFigures] = Field(default_factory=list)
    pins_total: int | None = Field(default=None, description="None when not listed.")
    boards: list[BoardFigures] = Field(default_factory=list)
    pin_period_start: date | None = None
    pin_period_end: date | None = None
    top_pins: list[PinFigures] = Field(default_factory=list)
    keep: int = DEFAULT_KEEP
    min_impressions: int = DEFAULT_MIN_IMPRESSIONS

    @property
    def followers_total(self) -> int | None:
        """Followers summed over the boards (what the insight measures growth of)."""
        counts = [b.follower_count for b in self.boards if b.follower_count is not None]
        return sum(counts) if counts else None

    @property
    def provisional_days(self) -> list[date]:
        return [day.date for day in self.days if day.provisional]


def build_figures(
    channel_id: str,
    generated_at: datetime,
    *,
    status: FiguresStatus,
    username: str | None = None,
    account: AccountAnalytics | None = None,
    boards: Sequence[Board] | None = None,
    pins: Sequence[Pin | PinRecord] | None = None,
    pin_analytics: dict[str, PinAnalytics] | None = None,
    pin_period: tuple[date, date] | None = None,
    keep: int = DEFAULT_KEEP,
    min_impressions: int = DEFAULT_MIN_IMPRESSIONS,
) -> ChannelFigures:
    """The snapshot of what one insights run read (pure: no I/O)."""
    days = [_day(row.date, row.data_status, row.metrics) for row in (account.daily if account
                                                                      else [])]
    figures = [_pin(pin, pin_analytics[pin.id]) for pin in pins or []
               if pin_analytics and pin.id in pin_analytics]
    return ChannelFigures(
        channel_id=channel_id,
        generated_at=generated_at,
        status=status,
        username=username,
        days=days,
        pins_total=len(pins) if pins is not None else None,
        boards=[BoardFigures(board_id=b.id, name=b.name, privacy=b.privacy,
                             pin_count=b.pin_count, follower_count=b.follower_count)
                for b in boards or []],
        pin_period_start=pin_period[0] if pin_period else None,
        pin_period_end=pin_period[1] if pin_period else None,
        top_pins=top_pins(figures, keep=keep, min_impressions=min_impressions),
        keep=keep,
        min_impressions=min_impressions,
    )


def top_pins(
    pins: Iterable[PinFigures], *, keep: int, min_impressions: int
) -> list[PinFigures]:
    """The union of the ``keep`` best Pins by every sort key (save rate only among Pins with
    ``min_impressions``), most impressions first."""
    candidates = list(pins)
    chosen: dict[str, PinFigures] = {}
    for name, key in SORT_KEYS.items():
        pool = ([p for p in candidates if p.impressions >= min_impressions]
                if name == "save_rate" else candidates)
        for pin in heapq.nlargest(keep, pool, key=key):
            chosen.setdefault(pin.pin_id, pin)
    return sorted(chosen.values(), key=lambda p: (-p.impressions, p.pin_id))


def thumbnail_url(media: dict[str, object] | None) -> str | None:
    """The smallest image Pinterest lists for a Pin that is at least 150 pixels wide (else the
    largest), from its ``media.images``."""
    images = (media or {}).get("images")
    if not isinstance(images, dict):
        return None
    found: list[tuple[int, str]] = []
    for entry in images.values():
        if isinstance(entry, dict) and isinstance(entry.get("url"), str):
            url: str = entry["url"]
            width = entry.get("width")
            if url.lower().startswith(("https://", "http://")):
                found.append((width if isinstance(width, int) else 0, url))
    if not found:
        return None
    wide = [item for item in found if item[0] >= THUMBNAIL_MIN_WIDTH]
    return min(wide)[1] if wide else max(found)[1]


def _day(day: date, status: str, metrics: dict[str, float]) -> DayFigures:
    return DayFigures(
        date=day, data_status=status,
        impressions=int(metrics.get("IMPRESSION", 0)), saves=int(metrics.get("SAVE", 0)),
        pin_clicks=int(metrics.get("PIN_CLICK", 0)),
        outbound_clicks=int(metrics.get("OUTBOUND_CLICK", 0)),
    )


def _pin(pin: Pin | PinRecord, analytics: PinAnalytics) -> PinFigures:
    image = pin.image_url if isinstance(pin, PinRecord) else thumbnail_url(pin.media)
    return PinFigures(
        pin_id=pin.id, title=pin.title, link=pin.link, image_url=image,
        board_id=pin.board_id, created_at=pin.created_at,
        impressions=int(analytics.get("IMPRESSION")), saves=int(analytics.get("SAVE")),
        pin_clicks=int(analytics.get("PIN_CLICK")),
        outbound_clicks=int(analytics.get("OUTBOUND_CLICK")),
    )
