"""A suggestion's figure in words (pure): ``top_pins.2.save_rate_pct = 12.5`` becomes "your #2
Pin, "Linen dress", was saved 12.5% of the times it was seen, 3.1x the median of your top Pins
(4.0%)".

:func:`figure_in_words` reads the figure's name (a key of the insight's figure table,
:func:`agents.insights.figures.figure_table`) and, for rates, compares the value with the
median of its siblings in the same table (the other top Pins, the other categories). A name it
does not know is said as its parts ("peak hours 1 pins: 14").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from statistics import median

from pinterest_agent.agents.insights.models import FigureValue

__all__ = ["figure_in_words"]

_METRICS = {
    "impressions": "impressions", "saves": "saves", "pin_clicks": "Pin clicks",
    "outbound_clicks": "outbound clicks", "engagements": "engagements",
    "engagement_rate_pct": "the engagement rate",
}
_RANKED = re.compile(r"^(top_pins|peak_days|peak_hours)\.(\d+)\.(\w+)$")
_CATEGORY = re.compile(r"^categories\.(.+)\.(\w+)$")


def _n(value: FigureValue) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0")


def _pct(value: FigureValue) -> str:
    return f"{_n(value)}%"


def _against_median(value: FigureValue, siblings: list[float], what: str) -> str:
    """", 3.1x the median of <what> (4.0%)" when there is a median to compare with."""
    if not isinstance(value, int | float) or len(siblings) < 2:
        return ""
    middle = median(siblings)
    if middle <= 0:
        return ""
    ratio = float(value) / middle
    if abs(ratio - 1) < 0.05:
        return f", about the median of {what} ({_pct(round(middle, 2))})"
    return f", {ratio:.1f}x the median of {what} ({_pct(round(middle, 2))})"


def _siblings(figures: Mapping[str, FigureValue], pattern: re.Pattern[str], field: str
              ) -> list[float]:
    found = []
    for name, value in figures.items():
        match = pattern.match(name)
        if match and match.group(match.lastindex or 0) == field and \
                isinstance(value, int | float) and not isinstance(value, bool):
            found.append(float(value))
    return found


def _top_pin(rank: str, field: str, value: FigureValue,
             figures: Mapping[str, FigureValue]) -> str:
    title = figures.get(f"top_pins.{rank}.title")
    pin = f'your #{rank} Pin, "{title}",' if title else f"your #{rank} Pin"
    if field == "save_rate_pct":
        return (f"{pin} was saved {_pct(value)} of the times it was seen"
                + _against_median(value, _siblings(figures, _RANKED, field), "your top Pins"))
    if field == "impressions":
        return f"{pin} was seen {_n(value)} times"
    if field == "saves":
        return f"{pin} was saved {_n(value)} times"
    if field == "outbound_clicks":
        return f"{pin} sent {_n(value)} visitors to your site"
    if field in ("title", "pin_id", "category"):
        return f"your #{rank} Pin's {field.replace('_', ' ')}: {value}"
    return f"{pin} had {_n(value)} {field.replace('_', ' ')}"


def figure_in_words(name: str, value: FigureValue,
                    figures: Mapping[str, FigureValue] | None = None) -> str:
    figures = figures or {}
    ranked = _RANKED.match(name)
    if ranked:
        kind, rank, field = ranked.groups()
        if kind == "top_pins":
            return _top_pin(rank, field, value, figures)
        if kind == "peak_days":
            day = figures.get(f"peak_days.{rank}.weekday", f"day #{rank}")
            if field == "above_mean_pct":
                return f"{day} (your #{rank} day) gets {_pct(value)} more engagement than " \
                       "the average day"
            if field == "index":
                return f"{day} (your #{rank} day) gets {_n(value)}x the average day's engagement"
            if field == "weekday":
                return f"{value} is your #{rank} day for engagement"
            return f"{day} (your #{rank} day): {_n(value)} {field.replace('_', ' ')}"
        hour = figures.get(f"peak_hours.{rank}.hour_utc")
        at = f"{int(hour):02d}:00 UTC" if isinstance(hour, int | float) else f"hour #{rank}"
        if field == "hour_utc":
            return f"{int(value):02d}:00 UTC is your #{rank} hour" if isinstance(
                value, int | float) else f"your #{rank} hour: {value}"
        if field == "avg_engagements_per_pin":
            return f"Pins published at {at} average {_n(value)} engagements each"
        if field == "share_pct":
            return f"{_pct(value)} of your Pins went out at {at}"
        return f"at {at}: {_n(value)} {field.replace('_', ' ')}"
    category = _CATEGORY.match(name)
    if category:
        what, field = category.groups()
        if field == "save_rate_pct":
            return (f"{what} Pins were saved {_pct(value)} of the times they were seen"
                    + _against_median(value, _siblings(figures, _CATEGORY, field),
                                      "your categories"))
        if field == "impression_share_pct":
            return f"{what} Pins drew {_pct(value)} of all impressions"
        return f"{what} Pins: {_n(value)} {field.replace('_', ' ')}"
    head, _, field = name.partition(".")
    if head == "change":
        metric = field.removesuffix("_pct")
        said = _METRICS.get(metric, metric.replace("_", " "))
        if not isinstance(value, int | float):
            return f"{said} changed: {value}"
        direction = "rose" if value > 0 else "fell" if value < 0 else "held steady"
        amount = _pct(abs(value)) if field.endswith("_pct") else _n(abs(value))
        return f"{said} {direction}" + (f" by {amount}" if value else "") + \
            " on the previous period"
    if head in ("totals", "previous"):
        period = "this period" if head == "totals" else "the previous period"
        said = _METRICS.get(field, field.replace("_", " "))
        if field.endswith("_pct"):
            return f"{said} was {_pct(value)} in {period}"
        return f"{_n(value)} {said} in {period}"
    if head == "followers":
        since = figures.get("followers.since")
        since_text = f" since {since}" if since else ""
        if field == "change_pct" and isinstance(value, int | float):
            return f"board followers {'rose' if value >= 0 else 'fell'} by " \
                   f"{_pct(abs(value))}{since_text}"
        if field == "change" and isinstance(value, int | float):
            return f"board followers {'rose' if value >= 0 else 'fell'} by " \
                   f"{_n(abs(value))}{since_text}"
        if field == "total":
            return f"your boards have {_n(value)} followers"
    return f"{name.replace('.', ' ').replace('_', ' ')}: {_n(value)}"
