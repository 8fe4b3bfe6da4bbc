"""The figures an LLM may cite, and the check that it cited nothing else.

:func:`figure_table` flattens :class:`ChannelMetrics` into named figures
(``totals.saves``, ``categories.recipe.save_rate_pct``, ``peak_hours.1.hour_utc``, ...). Rates
appear as percentages rounded to 2 decimals, averages to 1 decimal; that table is all the model
sees, and every suggestion must name one of its keys.

:func:`ungrounded_numbers` finds every number stated in a text, **in digits or in words**, and
keeps those that match no figure. A stated number matches a figure when it equals the figure as
the writer may have rounded it:

* to the decimals it shows (``4.3%`` or ``4%`` for 4.27; ``1.2x`` for 1.18);
* to its trailing zeros, keeping two significant digits (``12,000``, ``12k`` or "twelve
  thousand" for 12,345; ``1.2M`` for 1,234,567; but ``100`` only for 95 to 105);
* with either sign (``down 12%`` for a change of -12.4%);
* of the same kind: a percentage (``4%``, ``4 percent``, ``4 per cent``, "four percent") only
  matches a ``..._pct`` figure, a ratio (``1.7x``) only an ``index``, a plain number a plain figure
  or an index (or a percentage figure written exactly as given, ``4.27``);
* thousands separators, ``%``, ``percent``, ``per cent``, ``x``, ``k``/``M`` suffixes and the
  words ``thousand`` / ``million`` after digits are understood.

Number words are read like digits: zero to nineteen, the tens, their compounds ("twenty-five"),
``hundred``, ``thousand``, ``million`` and ``dozen`` ("a hundred", "two dozen" = 24, "three
thousand"). Ordinals ("first"), vague quantities ("a couple", "a few", "several", "dozens",
"hundreds of") and the digits inside words ("Q3") are not numbers.

ISO dates must be dates of the table; clock times (``18:00``, ``6 pm``) must be an hour of it.
Nothing else is free: "Make two more Pins" or "post 3 times a week" states a count that is no
figure, and is sent back. The exceptions: the number one (``1``, "one": "one of your Pins", "one
more idea"); a rank after "top", "#", "No." or "number" up to the longest ranked list of the
table ("your top 5 Pins", "the top three hours", "Pin #1"); and numbers inside the table's own
text values (a Pin titled "10-minute pasta").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pinterest_agent.agents.insights.models import ChannelMetrics, FigureValue

__all__ = ["FREE_INTEGERS", "StatedNumber", "figure_table", "stated_numbers", "ungrounded_numbers"]

FREE_INTEGERS = frozenset({1})
"""Numbers that need no figure behind them: "one" is an article and a pronoun as often as a count.
(Ranks after "top" / "#" are free too, up to the table's longest ranked list.)"""

_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_CLOCK = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s?m\b|\b(\d{1,2}):(\d{2})\b", re.I)
_PERCENT = r"\s?%|\s?percent\b|\s?per\s?cent\b"
_NUMBER = re.compile(
    r"(?<![\w.])(?P<sign>[-+\u2212])?"
    r"(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?"
    r"(?:\s?(?P<scale>[kKmM](?![a-zA-Z])|thousand\b|million\b|billion\b))?"
    rf"(?P<unit>{_PERCENT}|\s?x(?![a-zA-Z]))?",
    re.IGNORECASE,
)
_SCALES = {"k": 1_000.0, "m": 1_000_000.0, "thousand": 1_000.0, "million": 1_000_000.0,
           "billion": 1_000_000_000.0}
_UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
          "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
          "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
          "seventy": 70, "eighty": 80, "ninety": 90}
_MULTIPLIERS = {"dozen": 12, "hundred": 100, "thousand": 1_000, "million": 1_000_000}
_WORD = "|".join(sorted([*_UNITS, *_MULTIPLIERS], key=len, reverse=True))
_WORDS = re.compile(
    rf"\b(?P<words>(?:an?\s+(?=(?:{'|'.join(_MULTIPLIERS)})\b))?(?:{_WORD})"
    rf"(?:(?:\s+and\s+|[\s-]+)(?:{_WORD}))*)\b"
    rf"(?P<unit>{_PERCENT})?",
    re.IGNORECASE,
)
_RANK = re.compile(r"(?:\btop|#|\bno\.|\bnumber)\s*$", re.IGNORECASE)
_RANKED = re.compile(r"\.(\d+)\.")


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
    rank: bool = False
    """Written as a rank ("top 5", "#1"): free up to the table's longest ranked list."""


def stated_numbers(text: str) -> list[StatedNumber]:
    """Every number in ``text``: dates and clock times first, then numbers in digits and in
    words."""
    found: list[StatedNumber] = []
    rest = _DATE.sub(lambda m: _keep(found, StatedNumber(m.group(), 0.0, 0.0, "date")), text)
    rest = _CLOCK.sub(lambda m: _keep(found, _clock(m)), rest)
    for match in _NUMBER.finditer(rest):
        found.append(_number(match, ranked=bool(_RANK.search(rest, 0, match.start()))))
    rest = _NUMBER.sub(" ", rest)  # "12 thousand" is one number, not also "thousand"
    for match in _WORDS.finditer(rest):
        number = _worded(match, ranked=bool(_RANK.search(rest, 0, match.start())))
        if number is not None:
            found.append(number)
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


def _number(match: re.Match[str], *, ranked: bool = False) -> StatedNumber:
    digits = match.group("num").replace(",", "")
    frac = match.group("frac") or ""
    scale = _SCALES.get((match.group("scale") or "").lower(), 1.0)
    unit = _unit(match.group("unit"))
    value = float(digits + frac) * scale
    step = 10.0 ** -(len(frac) - 1) if frac else _rounding_step(digits)
    return StatedNumber(match.group().strip(), value, step * scale / 2, unit, ranked)


def _unit(written: str | None) -> str:
    """``%`` for ``%`` / percent / per cent, ``x`` for a ratio, ``""`` for none."""
    unit = (written or "").strip().lower()
    return "%" if unit.startswith(("%", "per")) else unit


def _rounding_step(digits: str) -> float:
    """Trailing zeros may be rounding, as long as two significant digits remain."""
    zeros = min(len(digits) - len(digits.rstrip("0")), max(len(digits) - 2, 0))
    return 10.0**zeros


def _worded(match: re.Match[str], *, ranked: bool) -> StatedNumber | None:
    """A number written in words ("twenty-five", "three thousand", "a dozen"), or None when the
    words are no number by themselves ("hundred" alone, "dozens")."""
    words = re.split(r"[\s-]+", match.group("words").lower())
    total = current = 0
    seen = False
    for word in words:
        if word in ("a", "an"):
            current = 1
        elif word == "and":
            continue
        elif word in _UNITS:
            current += _UNITS[word]
            seen = True
        elif word in ("hundred", "dozen"):
            current = max(current, 1) * _MULTIPLIERS[word]
            seen = True
        else:  # thousand, million
            total += max(current, 1) * _MULTIPLIERS[word]
            current = 0
            seen = True
    if not seen:
        return None
    value = total + current
    unit = _unit(match.group("unit"))
    return StatedNumber(match.group().strip(), float(value),
                        _rounding_step(str(value)) / 2, unit, ranked)


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
    ranks = max((int(m.group(1)) for name in figures for m in _RANKED.finditer(f".{name}.")),
                default=0)
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
                or (number.unit == "" and number.rank and 1 <= number.value <= ranks
                    and number.value.is_integer())
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
