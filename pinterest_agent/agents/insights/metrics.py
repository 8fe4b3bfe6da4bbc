"""The measured part of an insight: pure functions from analytics to :class:`ChannelMetrics`.

No I/O, no clock, no LLM: the same inputs give the same figures, so tests compute them by hand.

Definitions (all dates UTC; the period ends on the account window's last day, normally
yesterday, the last complete day):

* **Totals** sum the daily account rows of the last ``period_days`` days: impressions, saves,
  pin clicks, outbound clicks and engagements. Engagements are Pinterest's ``ENGAGEMENT`` metric
  when the rows carry it, else saves + pin clicks + outbound clicks (``engagement_source`` says
  which). The engagement rate is engagements / impressions over the period (a ratio of sums, not
  an average of daily rates). The previous period of the same length is the comparison; when it
  lies partly beyond the API's 89 days it is left out rather than compared unevenly.
* **Provisional days**: rows whose ``data_status`` is PROCESSING or ESTIMATE are counted in the
  totals and listed in :class:`DataCompleteness`; BEFORE_* / threshold rows carry no figures.
* **Top Pins** rank Pins by save rate (saves / impressions over the period) among Pins with at
  least :data:`DEFAULT_MIN_IMPRESSIONS` impressions. The floor keeps noise out: below 100
  impressions a single save moves the rate by a point or more, so 1 save of 2 impressions (50%)
  would beat a Pin saved 40 times out of 1,000 (4%). Ties go to more saves, then more impressions.
* **Peak days** average engagements per weekday over every day fetched that has figures (both
  periods, so about 8 of each weekday); ``index`` is that average over the mean day.
* **Peak hours** are an *estimate*: Pinterest reports no hourly figures, so each Pin's period
  engagements (saves + clicks) are credited to the UTC hour it was published, and hours are ranked
  by engagements per Pin among hours with at least :data:`DEFAULT_MIN_PINS_PER_HOUR` Pins.
* **Categories** (each Pin's, decided once and cached: :mod:`agents.insights.categorizer`) sum
  impressions and saves of the Pins in each category; the save rate is the category's saves /
  impressions. ``category_sources`` counts the Pins the model and the rules decided, and
  ``category_disagreements`` the model's Pins the rules would have put elsewhere.
* **Follower growth** compares board follower counts now with the earliest stored snapshot taken
  within the period (the latest older one when none is that recent).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from pinterest_agent.agents.insights.categories import CATEGORIES, Category
from pinterest_agent.agents.insights.followers import FollowerSnapshot
from pinterest_agent.agents.insights.models import (
    BoardGrowth,
    CategoryStat,
    ChannelMetrics,
    DataCompleteness,
    FollowerGrowth,
    HourStat,
    InsightPeriod,
    MetricChange,
    MetricTotals,
    PeakDays,
    PeakHours,
    PeriodTotals,
    TopPins,
    TopPinStat,
    WeekdayStat,
)
from pinterest_agent.agents.insights.pin_index import (
    BUCKET_MASK,
    HOURS,
    build_index,
    category_tally,
)
from pinterest_agent.agents.insights.pin_records import PinRecord
from pinterest_agent.providers.pinterest.analytics_models import (
    AccountAnalytics,
    DailyMetrics,
    DateWindow,
    PinAnalytics,
    PinLifetimeMetrics,
)
from pinterest_agent.providers.pinterest.models import Board

__all__ = [
    "DEFAULT_MIN_IMPRESSIONS",
    "DEFAULT_MIN_PINS_PER_HOUR",
    "InsightInputs",
    "PinAggregates",
    "aggregate_pins",
    "compute_metrics",
    "follower_growth",
    "insight_period",
    "peak_days",
    "peak_hours",
    "period_totals",
    "snapshot_of",
    "top_pins_by_save_rate",
]

DEFAULT_MIN_IMPRESSIONS = 100
"""A Pin needs this many period impressions to be ranked by save rate."""
DEFAULT_MIN_PINS_PER_HOUR = 3
"""An hour needs this many Pins published in it to be called a peak hour."""
TOP_PINS = 5
PEAK_WEEKDAYS = 2
PEAK_HOURS = 3
BOARDS_LISTED = 5
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PEAK_HOURS_BASIS = (
    "Estimate: Pinterest reports no hourly analytics, so each Pin's engagements (saves + clicks) "
    "in the period are credited to the UTC hour it was published."
)

EngagementSource = Literal["ENGAGEMENT", "saves+clicks"]


@dataclass(frozen=True)
class InsightInputs:
    """What one run fetched for a channel."""

    account: AccountAnalytics
    pins: Sequence[PinRecord]
    """Every Pin of the channel, each with its category (:mod:`agents.insights.pin_catalog`)."""
    pin_analytics: Mapping[str, PinAnalytics]
    boards: Sequence[Board]
    history: Sequence[FollowerSnapshot] = ()
    pins_missing: int = 0
    lifetime: Mapping[str, PinLifetimeMetrics] = field(default_factory=dict)
    """Comments and reactions by Pin id, where this run's listing carried them."""
    index: Mapping[str, int] | None = None
    """Each Pin's metric code (:mod:`agents.insights.pin_index`), as the catalog caches it;
    computed from ``pins`` when None."""
    by_id: Mapping[str, PinRecord] | None = None
    """``pins`` by id (the catalog has it at hand); built from ``pins`` when None."""


# -- period and totals -----------------------------------------------------------------------


def insight_period(window: DateWindow, period_days: int) -> InsightPeriod:
    """The last ``period_days`` days of ``window`` and the period before them (clamped)."""
    end = window.end
    start = max(end - timedelta(days=period_days - 1), window.start)
    previous_end = start - timedelta(days=1)
    previous_start = max(previous_end - timedelta(days=period_days - 1), window.start)
    previous_days = max((previous_end - previous_start).days + 1, 0)
    return InsightPeriod(
        start=start,
        end=end,
        days=(end - start).days + 1,
        previous_start=previous_start if previous_days else None,
        previous_end=previous_end if previous_days else None,
        previous_days=previous_days,
    )


def _engagement_source(daily: Sequence[DailyMetrics]) -> EngagementSource:
    return "ENGAGEMENT" if any("ENGAGEMENT" in row.metrics for row in daily) else "saves+clicks"


def _row_engagements(row: DailyMetrics, source: EngagementSource) -> float:
    metrics = row.metrics
    if source == "ENGAGEMENT":
        return metrics.get("ENGAGEMENT", 0.0)
    return metrics.get("SAVE", 0.0) + metrics.get("PIN_CLICK", 0.0) + metrics.get(
        "OUTBOUND_CLICK", 0.0
    )


def _totals(
    daily: Sequence[DailyMetrics], start: date, end: date, source: EngagementSource
) -> MetricTotals:
    impressions = saves = pin_clicks = outbound = engagements = 0.0
    for row in daily:
        if start <= row.date <= end and row.has_data:
            metrics = row.metrics
            impressions += metrics.get("IMPRESSION", 0.0)
            saves += metrics.get("SAVE", 0.0)
            pin_clicks += metrics.get("PIN_CLICK", 0.0)
            outbound += metrics.get("OUTBOUND_CLICK", 0.0)
            engagements += _row_engagements(row, source)
    return MetricTotals(
        impressions=round(impressions),
        saves=round(saves),
        pin_clicks=round(pin_clicks),
        outbound_clicks=round(outbound),
        engagements=round(engagements),
        engagement_rate=engagements / impressions if impressions else None,
    )


def period_totals(
    daily: Sequence[DailyMetrics], period: InsightPeriod, period_days: int
) -> tuple[PeriodTotals, DataCompleteness]:
    """Totals of the period and the previous one, and how final the period's days are."""
    source = _engagement_source(daily)
    current = _totals(daily, period.start, period.end, source)
    previous = None
    if period.previous_start and period.previous_end and period.previous_days >= period_days:
        previous = _totals(daily, period.previous_start, period.previous_end, source)
    changes = [
        _change(name, getattr(current, name), getattr(previous, name) if previous else None)
        for name in ("impressions", "saves", "pin_clicks", "outbound_clicks", "engagements")
    ]
    rows = [row for row in daily if period.start <= row.date <= period.end]
    final = sum(1 for row in rows if row.is_final)
    provisional = [row.date for row in rows if row.is_provisional]
    completeness = DataCompleteness(
        final_days=final,
        provisional_days=len(provisional),
        unavailable_days=period.days - final - len(provisional),
        provisional_dates=provisional,
    )
    totals = PeriodTotals(
        current=current, previous=previous, changes=changes, engagement_source=source
    )
    return totals, completeness


def _change(metric: str, current: float, previous: float | None) -> MetricChange:
    if previous is None:
        return MetricChange(metric=metric, current=current, previous=None, change=None,
                            change_pct=None)
    pct = (current - previous) / previous * 100 if previous else None
    return MetricChange(
        metric=metric, current=current, previous=previous, change=current - previous,
        change_pct=pct,
    )


# -- per Pin ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PinAggregates:
    """Everything the per-Pin metrics need, gathered in one pass over a channel's Pins.

    One pass matters: a channel may have tens of thousands of Pins, and this is the loop the
    insight's computation time is made of (see ``benchmarks/insights.py``).
    """

    analysed: int
    min_impressions: int
    eligible: int
    """Pins at or above the impressions floor."""
    candidates: list[tuple[float, float, float, str]]
    """The best of them (at most ``keep``), as tuples that sort best first:
    ``(-save_rate, -saves, -impressions, pin_id)``."""
    analytics: Mapping[str, PinAnalytics]
    category_pins: dict[Category, int]
    category_impressions: dict[Category, float]
    category_saves: dict[Category, float]
    hour_pins: list[int]
    hour_engagements: list[float]


_STARTS = [index * HOURS for index in range(len(CATEGORIES))]


def aggregate_pins(
    pin_analytics: Mapping[str, PinAnalytics],
    index: Mapping[str, int],
    *,
    min_impressions: int = DEFAULT_MIN_IMPRESSIONS,
    keep: int = TOP_PINS,
) -> PinAggregates:
    """Sum the period figures of every Pin with analytics that ``index`` knows, by category and
    hour, and keep the ``keep`` best save-rate candidates (with every tie at the cut).

    The loop walks the analytics as they arrived and adds each Pin into the bucket of its cached
    code (category x publish hour, :mod:`agents.insights.pin_index`); buckets fold into
    categories and hours afterwards. Per Pin that is one code lookup, four reads and four
    additions, close to a plain sum of the same figures.
    """
    floor = max(min_impressions, 1)
    size = len(CATEGORIES) * HOURS
    counts = [0] * size
    impressions_by = [0.0] * size
    saves_by = [0.0] * size
    engaged_by = [0.0] * size
    candidates: list[tuple[float, float, float, str]] = []
    cut = -math.inf  # the keep-th best save rate so far; a Pin must reach it to be kept
    below = 0  # Pins under the impressions floor
    for pin_id, analytics in pin_analytics.items():
        summary = analytics.summary
        try:  # the usual case, without a call per figure: every figure there, the Pin known
            key = index[pin_id] & BUCKET_MASK
            impressions = summary["IMPRESSION"]
            saves = summary["SAVE"]
            clicks = summary["PIN_CLICK"] + summary["OUTBOUND_CLICK"]
        except KeyError:
            if pin_id not in index:
                continue  # not a Pin of the catalog (deleted since it was listed)
            key = index[pin_id] & BUCKET_MASK
            get = summary.get
            impressions = get("IMPRESSION", 0.0)
            saves = get("SAVE", 0.0)
            clicks = get("PIN_CLICK", 0.0) + get("OUTBOUND_CLICK", 0.0)
        counts[key] += 1
        impressions_by[key] += impressions
        saves_by[key] += saves
        engaged_by[key] += saves + clicks
        if impressions < floor:
            below += 1
            continue
        rate = saves / impressions
        if rate >= cut:
            candidates.append((-rate, -saves, -impressions, pin_id))
            if len(candidates) >= 4 * keep:
                candidates = heapq.nsmallest(keep, candidates)
                cut = -candidates[-1][0]
    if len(candidates) > keep:
        candidates = heapq.nsmallest(keep, candidates)
    by_category = [range(start, start + HOURS) for start in _STARTS]
    analysed = sum(counts)
    return PinAggregates(
        analysed=analysed, min_impressions=min_impressions, eligible=analysed - below,
        candidates=candidates, analytics=pin_analytics,
        category_pins={c: sum(counts[k] for k in keys)
                       for c, keys in zip(CATEGORIES, by_category, strict=True)},
        category_impressions={c: sum(impressions_by[k] for k in keys)
                              for c, keys in zip(CATEGORIES, by_category, strict=True)},
        category_saves={c: sum(saves_by[k] for k in keys)
                        for c, keys in zip(CATEGORIES, by_category, strict=True)},
        hour_pins=[sum(counts[start + hour] for start in _STARTS) for hour in range(24)],
        hour_engagements=[sum(engaged_by[start + hour] for start in _STARTS)
                          for hour in range(24)],
    )


def top_pins_by_save_rate(
    pins: PinAggregates,
    records: Mapping[str, PinRecord],
    *,
    count: int = TOP_PINS,
    lifetime: Mapping[str, PinLifetimeMetrics] | None = None,
) -> TopPins:
    """The ``count`` Pins with the best save rate among those above the impressions floor.

    Ties go to more saves, then more impressions, then the lower Pin id. ``records`` gives their
    titles and links; comments and reactions come from ``lifetime`` where it has them (None
    otherwise: filled in later by the writer).
    """
    best = heapq.nsmallest(count, pins.candidates)
    known = lifetime or {}
    top = []
    for rank, (rate, saves, impressions, pin_id) in enumerate(best, start=1):
        pin = records[pin_id]
        engagement = known.get(pin_id)
        top.append(TopPinStat(
            rank=rank,
            pin_id=pin_id,
            title=pin.title,
            link=pin.link,
            board_id=pin.board_id,
            category=pin.category or "other",
            impressions=round(-impressions),
            saves=round(-saves),
            save_rate=-rate,
            pin_clicks=round(pins.analytics[pin_id].get("PIN_CLICK")),
            outbound_clicks=round(pins.analytics[pin_id].get("OUTBOUND_CLICK")),
            comments=engagement.comments if engagement else None,
            reactions=engagement.reactions if engagement else None,
            created_at=pin.created_at,
        ))
    return TopPins(
        min_impressions=pins.min_impressions, eligible_pins=pins.eligible, pins=top
    )


def category_stats(pins: PinAggregates) -> list[CategoryStat]:
    """Pins, impressions, saves and save rate per content category (categories with Pins)."""
    total = sum(pins.category_impressions.values())
    stats = []
    for category in CATEGORIES:
        count = pins.category_pins[category]
        if not count:
            continue
        impressions = pins.category_impressions[category]
        saves = pins.category_saves[category]
        stats.append(CategoryStat(
            category=category,
            pins=count,
            impressions=round(impressions),
            saves=round(saves),
            save_rate=saves / impressions if impressions else None,
            impression_share=impressions / total if total else None,
        ))
    return stats


def peak_hours(pins: PinAggregates, *, min_pins: int = DEFAULT_MIN_PINS_PER_HOUR) -> PeakHours:
    """Estimated best publishing hours (UTC) from publish times weighted by engagement."""
    counts, engagements = pins.hour_pins, pins.hour_engagements
    floor = min_pins if any(n >= min_pins for n in counts) else 1
    total = sum(engagements)
    hours = [
        HourStat(
            hour_utc=hour,
            pins=counts[hour],
            engagements=round(engagements[hour]),
            avg_engagements_per_pin=engagements[hour] / counts[hour],
            share=engagements[hour] / total if total else None,
        )
        for hour in range(24)
        if counts[hour] >= floor
    ]
    hours.sort(key=lambda h: (-h.avg_engagements_per_pin, -h.engagements, h.hour_utc))
    return PeakHours(
        basis=PEAK_HOURS_BASIS,
        pins_used=sum(counts),
        min_pins_per_hour=floor,
        peak=[h for h in hours[:PEAK_HOURS] if h.engagements > 0],
    )


# -- account-level patterns --------------------------------------------------------------------


def peak_days(daily: Sequence[DailyMetrics]) -> PeakDays:
    """Average engagements and impressions per weekday over every day with figures."""
    source = _engagement_source(daily)
    days = [0] * 7
    engagements = [0.0] * 7
    impressions = [0.0] * 7
    for row in daily:
        if not row.has_data:
            continue
        weekday = row.date.weekday()
        days[weekday] += 1
        engagements[weekday] += _row_engagements(row, source)
        impressions[weekday] += row.metrics.get("IMPRESSION", 0.0)
    used = sum(days)
    mean = sum(engagements) / used if used else 0.0
    weekdays = [
        WeekdayStat(
            weekday=WEEKDAYS[i],
            days=days[i],
            avg_engagements=engagements[i] / days[i] if days[i] else 0.0,
            avg_impressions=impressions[i] / days[i] if days[i] else 0.0,
            index=(engagements[i] / days[i]) / mean if days[i] and mean else None,
        )
        for i in range(7)
    ]
    ranked = sorted(
        (w for w in weekdays if w.days and w.avg_engagements > 0),
        key=lambda w: -w.avg_engagements,
    )
    peak = [w.weekday for w in ranked[:PEAK_WEEKDAYS]]
    return PeakDays(days_used=used, weekdays=weekdays, peak=peak)


# -- followers -------------------------------------------------------------------------------


def snapshot_of(boards: Sequence[Board], taken_at: datetime) -> FollowerSnapshot:
    """The snapshot a run stores: each board's follower count now."""
    return FollowerSnapshot(
        taken_at=taken_at,
        boards={b.id: b.follower_count or 0 for b in boards},
        names={b.id: b.name for b in boards},
    )


def follower_growth(
    boards: Sequence[Board],
    history: Sequence[FollowerSnapshot],
    now: datetime,
    period_days: int,
) -> FollowerGrowth:
    """Board follower growth against the stored snapshots (``no_history`` on the first run)."""
    current = snapshot_of(boards, now)
    earlier = sorted((s for s in history if s.taken_at < now), key=lambda s: s.taken_at)
    if not earlier:
        return FollowerGrowth(
            status="no_history",
            total_followers=current.total,
            note="No history yet: this run stored the first follower snapshot; growth is "
            "reported from the next run.",
        )
    since = now - timedelta(days=period_days)
    baseline = next((s for s in earlier if s.taken_at >= since), earlier[-1])
    change = current.total - baseline.total
    growth = [
        BoardGrowth(
            board_id=board_id,
            name=current.names.get(board_id, ""),
            followers=followers,
            previous=baseline.boards.get(board_id),
            change=followers - baseline.boards[board_id] if board_id in baseline.boards else None,
        )
        for board_id, followers in current.boards.items()
    ]
    growth.sort(key=lambda b: (b.change is None, -(b.change or 0), b.board_id))
    return FollowerGrowth(
        status="ok",
        total_followers=current.total,
        baseline_followers=baseline.total,
        change=change,
        change_pct=change / baseline.total * 100 if baseline.total else None,
        baseline_at=baseline.taken_at,
        boards=growth[:BOARDS_LISTED],
        note=f"{change:+d} followers across boards since {baseline.taken_at:%Y-%m-%d}.",
    )


# -- everything ------------------------------------------------------------------------------


def compute_metrics(
    inputs: InsightInputs,
    *,
    now: datetime,
    period_days: int,
    min_impressions: int = DEFAULT_MIN_IMPRESSIONS,
    min_pins_per_hour: int = DEFAULT_MIN_PINS_PER_HOUR,
) -> ChannelMetrics:
    """All the measured figures of one run."""
    account = inputs.account
    period = insight_period(account.window, period_days)
    totals, completeness = period_totals(account.daily, period, period_days)
    index = inputs.index if inputs.index is not None else build_index(inputs.pins)
    pins = aggregate_pins(inputs.pin_analytics, index, min_impressions=min_impressions)
    by_model, disagreements = category_tally(index)
    records = inputs.by_id if inputs.by_id is not None else {p.id: p for p in inputs.pins}
    return ChannelMetrics(
        period=period,
        totals=totals,
        data=completeness,
        top_pins=top_pins_by_save_rate(pins, records, lifetime=inputs.lifetime),
        followers=follower_growth(inputs.boards, inputs.history, now, period_days),
        peak_days=peak_days(account.daily),
        peak_hours=peak_hours(pins, min_pins=min_pins_per_hour),
        categories=category_stats(pins),
        category_sources={"llm": by_model, "rules": len(inputs.pins) - by_model},
        category_disagreements=disagreements,
        pins_total=len(inputs.pins),
        pins_with_analytics=pins.analysed,
        pins_missing=inputs.pins_missing,
    )
