"""The figures an LLM may cite, and the check that it cited nothing else.

:func:`figure_table` flattens :class:`ChannelMetrics` into named figures
(``totals.saves``, ``categories.recipe.save_rate_pct``, ``peak_hours.1.hour_utc``, ...). Rates
appear as percentages rounded to 2 decimals, averages to 1 decimal; that table is all the model
sees, and every suggestion must name one of its keys.

:func:`ungrounded_numbers` finds every number stated in a text and keeps those that match no
figure. A stated number matches a figure when it equals the figure as the writer may have rounded
it:

* to the decimals it shows (``4.3%`` or ``4%`` for 4.27; ``1.2x`` for 1.18);
* to its trailing zeros, keeping two significant digits (``12,000`` or ``12k`` for 12,345;
  ``1.2M`` for 1,234,567; but ``100`` only for 95 to 105);
* with either sign (``down 12%`` for a change of -12.4%);
* of the same kind: a percentage (``4%``, ``4 percent``) only matches a ``..._pct`` figure, a
  ratio (``1.7x``) only an ``index``, a plain number a plain figure or an index (or a
  percentage figure written exactly as given, ``4.27``);
* thousands separators, ``%``, ``percent``, ``x`` and ``k``/``M`` suffixes are understood.

ISO dates must be dates of the table; clock times (``18:00``, ``6 pm``) must be an hour of it.
Whole numbers from 1 to 10 without a unit are allowed anywhere ("top 5 Pins", "3 ideas"), and so
are numbers inside the table's own text values (a Pin titled "10-minute pasta").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from agents.insights.models import ChannelMetrics, FigureValue

__all__ = ["FREE_INTEGERS", "StatedNumber", "figure_table", "stated_numbers", "ungrounded_numbers"]

FREE_INTEGERS = range(1, 11)
"""Counting words written as digits; they need no figure behind them."""

_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_CLOCK = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s?m\b|\b(\d{1,2}):(\d{2})\b", re.I)
_NUMBER = re.compile(
    r"(?<![\w.])(?P<sign>[-+\u2212])?"
    r"(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?"
    r"(?:\s?(?P<scale>[kKmM])(?![a-zA-Z]))?"
    r"(?P<unit>\s?%|\s?percent\b|\s?x(?![a-zA-Z]))?"
)
_SCALES = {"k": 1_000.0, "m": 1_000_000.0}


def figure_table(metrics: ChannelMetrics) -> dict[str, FigureValue]:
    """Every figure the LLM may state, by name, rounded the way it should state them."""
    table: dict[str, FigureValue] = {}
    period = metrics.period
    table["period.start"] = period.start.isoformat()
    table["period.end"] = period.end.isoformat()
    table["period.days"] = period.days

    totals = metrics.totals
    for label, block in (("totals", totals.current), ("previous", totals.previous)):
        if block is None:
            continue
        table[f"{label}.impressions"] = block.impressions
        table[f"{label}.saves"] = block.saves
        table[f"{label}.pin_clicks"] = block.pin_clicks
        table[f"{label}.outbound_clicks"] = block.outbound_clicks
        table[f"{label}.engagements"] = block.engagements
        if block.engagement_rate is not None:
            table[f"{label}.engagement_rate_pct"] = _pct(block.engagement_rate)
    for change in totals.changes:
        if change.change is not None:
            table[f"change.{change.metric}"] = round(change.change)
        if change.change_pct is not None:
            table[f"change.{change.metric}_pct"] = round(change.change_pct, 1)

    data = metrics.data
    table["data.final_days"] = data.final_days
    table["data.provisional_days"] = data.provisional_days
    table["data.unavailable_days"] = data.unavailable_days

    top = metrics.top_pins
    table["top_pins.min_impressions"] = top.min_impressions
    table["top_pins.eligible_pins"] = top.eligible_pins
    for pin in top.pins:
        key = f"top_pins.{pin.rank}"
        table[f"{key}.pin_id"] = pin.pin_id
        table[f"{key}.title"] = pin.title or ""
        table[f"{key}.category"] = pin.category
        table[f"{key}.impressions"] = pin.impressions
        table[f"{key}.saves"] = pin.saves
        table[f"{key}.save_rate_pct"] = _pct(pin.save_rate)
        table[f"{key}.outbound_clicks"] = pin.outbound_clicks
        if pin.comments is not None:
            table[f"{key}.comments"] = pin.comments
        if pin.reactions is not None:
            table[f"{key}.reactions"] = pin.reactions

    followers = metrics.followers
    table["followers.status"] = followers.status
    table["followers.total"] = followers.total_followers
    if followers.change is not None:
        table["followers.change"] = followers.change
    if followers.change_pct is not None:
        table["followers.change_pct"] = round(followers.change_pct, 1)
    if followers.baseline_at is not None:
        table["followers.since"] = followers.baseline_at.date().isoformat()

    by_name = {w.weekday: w for w in metrics.peak_days.weekdays}
    for rank, name in enumerate(metrics.peak_days.peak, start=1):
        day = by_name[name]
        table[f"peak_days.{rank}.weekday"] = name
        table[f"peak_days.{rank}.avg_engagements"] = round(day.avg_engagements, 1)
        if day.index is not None:
            table[f"peak_days.{rank}.index"] = round(day.index, 2)
            table[f"peak_days.{rank}.above_mean_pct"] = round((day.index - 1) * 100, 1)

    for rank, hour in enumerate(metrics.peak_hours.peak, start=1):
        key = f"peak_hours.{rank}"
        table[f"{key}.hour_utc"] = hour.hour_utc
        table[f"{key}.pins"] = hour.pins
        table[f"{key}.avg_engagements_per_pin"] = round(hour.avg_engagements_per_pin, 1)
        if hour.share is not None:
            table[f"{key}.share_pct"] = _pct(hour.share)

    for stat in metrics.categories:
        key = f"categories.{stat.category}"
        table[f"{key}.pins"] = stat.pins
        table[f"{key}.impressions"] = stat.impressions
        table[f"{key}.saves"] = stat.saves
        if stat.save_rate is not None:
            table[f"{key}.save_rate_pct"] = _pct(stat.save_rate)
        if stat.impression_share is not None:
            table[f"{key}.impression_share_pct"] = _pct(stat.impression_share)

    table["pins.total"] = metrics.pins_total
    table["pins.analysed"] = metrics.pins_with_analytics
    return table


def _pct(fraction: float) -> float:
    return round(fraction * 100, 2)


@dataclass(frozen=True, slots=True)
class StatedNumber:
    """One number as written in a text, and how precisely it was written."""

    text: str
    value: float
    tolerance: float
    unit: str  # "", "%", "x", "date", "hour"


def stated_numbers(text: str) -> list[StatedNumber]:
    """Every number in ``text``: dates and clock times first, then plain numbers."""
    found: list[StatedNumber] = []
    rest = _DATE.sub(lambda m: _keep(found, StatedNumber(m.group(), 0.0, 0.0, "date")), text)
    rest = _CLOCK.sub(lambda m: _keep(found, _clock(m)), rest)
    for match in _NUMBER.finditer(rest):
        found.append(_number(match))
    return found


def _keep(found: list[StatedNumber], number: StatedNumber) -> str:
    found.append(number)
    return " "


def _clock(match: re.Match[str]) -> StatedNumber:
    if match.group(3):  # 6 pm, 6:30 a.m.
        hour = int(match.group(1)) % 12 + (12 if match.group(3).lower() == "p" else 0)
        minutes = match.group(2)
    else:
        hour, minutes = int(match.group(4)), match.group(5)
    value = hour + (int(minutes) / 60 if minutes else 0.0)
    return StatedNumber(match.group().strip(), value, 0.0, "hour")


def _number(match: re.Match[str]) -> StatedNumber:
    digits = match.group("num").replace(",", "")
    frac = match.group("frac") or ""
    scale = _SCALES.get((match.group("scale") or "").lower(), 1.0)
    unit = (match.group("unit") or "").strip().lower()
    unit = "%" if unit in ("%", "percent") else unit
    value = float(digits + frac) * scale
    if frac:
        step = 10.0 ** -(len(frac) - 1)
    else:
        # Trailing zeros may be rounding, as long as two significant digits remain.
        zeros = min(len(digits) - len(digits.rstrip("0")), max(len(digits) - 2, 0))
        step = 10.0**zeros
    return StatedNumber(match.group().strip(), value, step * scale / 2, unit)


def ungrounded_numbers(text: str, figures: Mapping[str, FigureValue]) -> list[str]:
    """The numbers ``text`` states that match none of ``figures`` (as written in the text)."""
    kinds: dict[str, list[float]] = {"%": [], "x": [], "": []}
    for name, value in figures.items():
        if isinstance(value, int | float):
            kinds[_kind(name)].append(float(value))
    numeric = [v for values in kinds.values() for v in values]
    strings = [v for v in figures.values() if isinstance(v, str)]
    dates = {v for v in strings if _DATE.fullmatch(v)}
    in_text = {n.value for s in strings for n in stated_numbers(s) if n.unit != "date"}
    hours = {v for v in numeric if v.is_integer() and 0 <= v <= 23}
    bad: list[str] = []
    for number in stated_numbers(text):
        if number.unit == "date":
            ok = number.text in dates
        elif number.unit == "hour":
            ok = number.value in hours or number.value in in_text
        else:
            ok = (
                _matches(number, _comparable(number.unit, kinds))
                or number.value in in_text
                or (number.unit == "" and number.value in FREE_INTEGERS)
                or (number.unit == "" and number.value in kinds["%"])  # 4.27 for 4.27%, exactly
            )
        if not ok:
            bad.append(number.text)
    return bad


def _kind(name: str) -> str:
    """What a figure is: a percentage (``..._pct``), a ratio (``...index``) or a plain value."""
    if name.endswith("_pct"):
        return "%"
    return "x" if name.endswith("index") else ""


def _comparable(unit: str, kinds: Mapping[str, list[float]]) -> list[float]:
    """Percentages match percent figures; ``1.7x`` ratios; plain numbers plain values or ratios."""
    if unit == "%":
        return list(kinds["%"])
    if unit == "x":
        return list(kinds["x"])
    return [*kinds[""], *kinds["x"]]


def _matches(number: StatedNumber, figures: Iterable[float]) -> bool:
    tolerance = number.tolerance + 1e-9 * max(abs(number.value), 1.0)
    stated = abs(number.value)
    return any(abs(stated - abs(value)) <= tolerance for value in figures)
