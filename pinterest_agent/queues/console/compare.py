"""Figures that compare (pure): a total over the chosen range against the same number of days
before it, and a sparkline of its days.

:func:`period_change` sums a daily metric over the last ``days`` days of the snapshot and over
the ``days`` before those; the change is given in words ("+12.5% on the previous 30 days") only
when the earlier period has figures for every one of its days, else it says why there is none.
:func:`sparkline` scales a series into the points of a 100 x 24 SVG polyline (no script).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from pinterest_agent.agents.insights.followers import FollowerSnapshot
from pinterest_agent.agents.insights.snapshot import DayFigures

__all__ = ["RANGES", "Change", "follower_change", "parse_range", "period_change", "sparkline"]

RANGES = (7, 30, 90)
DEFAULT_RANGE = 30
SPARK_WIDTH, SPARK_HEIGHT = 100, 24

Direction = Literal["up", "down", "flat", ""]


@dataclass(frozen=True)
class Change:
    total: float | None
    text: str
    direction: Direction


def parse_range(value: str | None) -> int:
    """``7``, ``30`` or ``90`` (days); anything else is the default, 30."""
    return int(value) if value in {str(r) for r in RANGES} else DEFAULT_RANGE


def _words(now: float, before: float, span: str) -> Change:
    if before == 0:
        if now == 0:
            return Change(now, f"no change on {span}", "flat")
        return Change(now, f"up from 0 on {span}", "up")
    delta = (now - before) / before
    if abs(delta) < 0.0005:
        return Change(now, f"no change on {span}", "flat")
    return Change(now, f"{delta:+.1%} on {span}", "up" if delta > 0 else "down")


def period_change(days: Sequence[DayFigures], metric: str, span_days: int) -> Change:
    """The metric's total over the last ``span_days`` days and its change on the days before."""
    recent = list(days[-span_days:])
    earlier = list(days[-2 * span_days:-span_days]) if len(days) > span_days else []
    if not any(day.has_data for day in recent):
        return Change(None, "no figures in this period", "")
    total = float(sum(getattr(day, metric) for day in recent if day.has_data))
    if len(earlier) < span_days or not all(day.has_data for day in earlier):
        return Change(total, f"no full {span_days} days before to compare with", "")
    before = float(sum(getattr(day, metric) for day in earlier))
    return _words(total, before, f"the previous {span_days} days")


def follower_change(snapshots: Sequence[FollowerSnapshot], span_days: int) -> Change:
    """Board followers now, against the latest snapshot at least ``span_days`` days older."""
    ordered = sorted(snapshots, key=lambda s: s.taken_at)
    if not ordered:
        return Change(None, "no follower snapshot yet", "")
    latest = ordered[-1]
    cutoff = latest.taken_at - timedelta(days=span_days)
    older = [s for s in ordered if s.taken_at <= cutoff]
    if not older:
        since = ordered[0].taken_at.date().isoformat()
        return Change(latest.total, f"history starts {since}: nothing {span_days} days back",
                      "")
    return _words(latest.total, older[-1].total, f"{span_days} days before")


def sparkline(values: Sequence[float | None]) -> str:
    """``x,y`` points of a polyline through the values (gaps skipped), scaled to 100 x 24;
    empty for fewer than two values."""
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(known) < 2:
        return ""
    low = min(v for _, v in known)
    high = max(v for _, v in known)
    spread = (high - low) or 1.0
    last = max(len(values) - 1, 1)
    scale = (SPARK_HEIGHT - 4) / spread
    return " ".join(f"{i * SPARK_WIDTH / last:.1f},{SPARK_HEIGHT - 2 - (v - low) * scale:.1f}"
                    for i, v in known)
