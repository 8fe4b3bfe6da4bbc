"""``ChannelInsight``: one channel's weekly insight, and the measured figures inside it.

Everything under :class:`ChannelMetrics` is computed deterministically from Pinterest's analytics
(:mod:`agents.insights.metrics`); the LLM only writes ``summary``, ``suggestions`` and the
concept behind
``next_pin``, from the flat table of named figures in ``figures`` (the exact values it was
shown). Each suggestion names the figure it rests on (``figure``), and ``figure_value`` repeats
that figure's value, filled in by the worker, not by the model.

Rates are fractions (0.042 = 4.2%) in the metric models; the figure table states them as
percentages (``..._pct``) because that is how people and models write them.

``status`` says whether there is an insight at all:

* ``ok``: metrics, summary, 3-5 suggestions and (when any Pin links to an https page) a next Pin.
* ``no_data``: the channel has no Pins or no impressions in the window yet.
* ``no_analytics_access``: Pinterest refused analytics (Trial app, Pinterest's API sandbox, a
  personal account); ``status_detail`` says what to change.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pinterest_agent.agents.insights.categories import Category
from pinterest_agent.agents.insights.searching import SearchTrend
from pinterest_agent.agents.messages import PinBrief
from pinterest_agent.agents.prompting.performance import TemplateVersionReport

__all__ = [
    "INSIGHT_SCHEMA_VERSION",
    "BoardGrowth",
    "CategoryStat",
    "ChannelInsight",
    "ChannelMetrics",
    "DataCompleteness",
    "FigureValue",
    "FollowerGrowth",
    "HourStat",
    "InsightPeriod",
    "InsightProvenance",
    "InsightStatus",
    "MetricChange",
    "MetricTotals",
    "PeakDays",
    "PeakHours",
    "PeriodTotals",
    "Suggestion",
    "TopPinStat",
    "TopPins",
    "WeekdayStat",
]

INSIGHT_SCHEMA_VERSION = 1
InsightStatus = Literal["ok", "no_data", "no_analytics_access"]
FigureValue = int | float | str


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InsightPeriod(_Model):
    """The measured period and the one before it (inclusive UTC dates)."""

    start: date
    end: date
    days: int
    previous_start: date | None = None
    previous_end: date | None = None
    previous_days: int = Field(
        default=0, description="Days of the previous period inside the API's 89-day reach."
    )


class MetricTotals(_Model):
    impressions: int
    saves: int
    pin_clicks: int
    outbound_clicks: int
    engagements: int
    engagement_rate: float | None = Field(description="engagements / impressions (fraction).")


class MetricChange(_Model):
    metric: str
    current: float
    previous: float | None
    change: float | None
    change_pct: float | None = Field(
        description="Percent change; None without a full previous period."
    )


class PeriodTotals(_Model):
    current: MetricTotals
    previous: MetricTotals | None = Field(
        description="None when the previous period lies (partly) beyond the API's 89 days."
    )
    changes: list[MetricChange]
    engagement_source: Literal["ENGAGEMENT", "saves+clicks"] = Field(
        description="Pinterest's ENGAGEMENT metric, or saves + pin clicks + outbound clicks."
    )


class DataCompleteness(_Model):
    """How final the current period's daily figures are."""

    final_days: int = Field(description="READY days.")
    provisional_days: int = Field(description="PROCESSING or ESTIMATE days: counted, may change.")
    unavailable_days: int = Field(description="Days without figures (BEFORE_*, missing rows).")
    provisional_dates: list[date]


class TopPinStat(_Model):
    rank: int
    pin_id: str
    title: str | None
    link: str | None
    board_id: str | None
    category: Category
    impressions: int
    saves: int
    save_rate: float
    pin_clicks: int
    outbound_clicks: int
    comments: int | None = None
    reactions: int | None = None
    created_at: datetime | None = None


class TopPins(_Model):
    min_impressions: int = Field(description="Pins below this many impressions are not ranked.")
    eligible_pins: int
    pins: list[TopPinStat]


class BoardGrowth(_Model):
    board_id: str
    name: str
    followers: int
    previous: int | None
    change: int | None


class FollowerGrowth(_Model):
    status: Literal["ok", "no_history"]
    total_followers: int = Field(description="Sum of follower_count over the account's boards.")
    baseline_followers: int | None = None
    change: int | None = None
    change_pct: float | None = None
    baseline_at: datetime | None = None
    boards: list[BoardGrowth] = Field(default_factory=list)
    note: str


class WeekdayStat(_Model):
    weekday: str
    days: int
    avg_engagements: float
    avg_impressions: float
    index: float | None = Field(description="avg engagements / mean daily engagements.")


class PeakDays(_Model):
    days_used: int
    weekdays: list[WeekdayStat]
    peak: list[str]


class HourStat(_Model):
    hour_utc: int
    pins: int
    engagements: int
    avg_engagements_per_pin: float
    share: float | None = Field(description="Share of all Pin engagements (fraction).")


class PeakHours(_Model):
    """Best publishing hours, *estimated*: the API reports no hourly figures."""

    is_estimate: Literal[True] = True
    basis: str
    pins_used: int
    min_pins_per_hour: int
    peak: list[HourStat]


class CategoryStat(_Model):
    category: Category
    pins: int
    impressions: int
    saves: int
    save_rate: float | None
    impression_share: float | None


class ChannelMetrics(_Model):
    period: InsightPeriod
    totals: PeriodTotals
    data: DataCompleteness
    top_pins: TopPins
    followers: FollowerGrowth
    peak_days: PeakDays
    peak_hours: PeakHours
    categories: list[CategoryStat]
    category_sources: dict[str, int] = Field(
        default_factory=dict,
        description="Pins categorised with a trusted model's answer in hand (llm: the model's "
        "answer where the keyword rules were unsure, theirs elsewhere) and by the rules alone "
        "(rules).",
    )
    category_disagreements: int = Field(
        default=0,
        description="Pins whose category is the model's answer where the keyword rules, unsure, "
        "said otherwise.",
    )
    pins_total: int
    pins_with_analytics: int
    pins_missing: int = Field(description="Pins Pinterest would not report on (403/404).")


class Suggestion(_Model):
    priority: int = Field(ge=1, le=5, description="1 is the most important.")
    action: str = Field(min_length=1, max_length=300)
    rationale: str = Field(min_length=1, max_length=500)
    figure: str = Field(description="Name of the figure (a key of ChannelInsight.figures).")
    figure_value: FigureValue = Field(description="That figure's value, copied by the worker.")


class InsightProvenance(_Model):
    template: str
    template_hash: str
    model: str | None = None
    repaired: bool | None = None


class ChannelInsight(_Model):
    schema_version: Literal[1] = 1
    channel_id: str
    generated_at: datetime
    status: InsightStatus
    status_detail: str | None = None
    period: InsightPeriod | None = None
    metrics: ChannelMetrics | None = None
    figures: dict[str, FigureValue] = Field(default_factory=dict)
    summary: str
    suggestions: list[Suggestion] = Field(default_factory=list, max_length=5)
    next_pin: PinBrief | None = None
    next_pin_note: str | None = None
    provenance: InsightProvenance | None = None
    searching: list[SearchTrend] = Field(
        default_factory=list, max_length=5,
        description="What Pinners are searching: rising Pinterest Trends keywords in the "
        "channel's region and interests that none of its Pins covers yet "
        "(agents.insights.searching; Pinterest's figures).",
    )
    template_versions: TemplateVersionReport | None = Field(
        default=None,
        description="Prompt template versions compared by the measured figures of the Pins "
        "each wrote in the period (agents.prompting.performance).",
    )

    @model_validator(mode="after")
    def _complete_when_ok(self) -> Self:
        if self.status == "ok":
            if self.metrics is None:
                raise ValueError("an ok insight carries its metrics")
            if not 3 <= len(self.suggestions) <= 5:
                raise ValueError("an ok insight carries 3 to 5 suggestions")
        elif self.suggestions or self.next_pin is not None:
            raise ValueError(f"a {self.status} insight carries no suggestions or next Pin")
        return self
