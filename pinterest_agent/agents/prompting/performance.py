"""Template versions judged by real results: the measured figures of the Pins each wrote.

For one channel and period, every post drafted in the period (``agents.prompting.usage``) is
mapped to its Pin through the publish ledger and to Pinterest's per-Pin analytics for the period
(the same ``summary_metrics`` the weekly insight reads). Per template and version it sums
impressions, saves and outbound clicks and states the rates they give, with the counts behind
them (Pins written, published, measured). Nothing is estimated or modelled: a version with fewer
than ``min_pins`` measured Pins or ``min_impressions`` impressions is marked ``not_enough_data``
and its rates are still shown for what they are. Pins written with trending keywords (Pinterest
Trends) and without are compared the same way, as the rows "with trends" and "without trends" of
:data:`TRENDS_ROW`. The weekly insight carries this report
(``ChannelInsight.template_versions``) and ``pinterest-agent prompts report`` prints it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pinterest_agent.agents.prompting.tables import text_table
from pinterest_agent.agents.prompting.usage import PromptUse, UsageLog
from pinterest_agent.agents.prompting.versions import TemplateRef

__all__ = [
    "DEFAULT_MIN_IMPRESSIONS",
    "DEFAULT_MIN_PINS",
    "TRENDS_ROW",
    "PinFigures",
    "TemplateComparison",
    "TemplateVersionReport",
    "VersionReportHook",
    "VersionResult",
    "compare_versions",
    "report_lines",
    "version_report",
]

DEFAULT_MIN_PINS = 5
DEFAULT_MIN_IMPRESSIONS = 500
PinFigures = Mapping[str, float]
"""One Pin's period ``summary_metrics`` (``IMPRESSION``, ``SAVE``, ``OUTBOUND_CLICK``, ...)."""


VersionReportHook = Callable[[date, date, Mapping[str, PinFigures]], "TemplateVersionReport"]
"""``(start, end, Pin id -> figures) -> report``: what the insight job calls with the per-Pin
figures it already fetched (``queues.runtime.Runtime.template_version_hook``)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VersionResult(_Model):
    version: str = Field(description="v3, or 'packaged 1a2b3c4d' for unpublished templates.")
    version_number: int | None
    arms: list[str] = Field(description="How Pins got it: label, candidate, packaged, override.")
    pins_written: int
    pins_published: int
    pins_measured: int = Field(description="Published Pins Pinterest reported figures for.")
    impressions: int
    saves: int
    outbound_clicks: int
    save_rate: float | None = Field(description="saves / impressions (fraction).")
    outbound_click_rate: float | None = Field(description="outbound clicks / impressions.")
    status: Literal["ok", "not_enough_data"]


class TemplateComparison(_Model):
    template: str
    versions: list[VersionResult]


class TemplateVersionReport(_Model):
    channel_id: str
    period_start: date
    period_end: date
    min_pins: int
    min_impressions: int
    posts_drafted: int
    templates: list[TemplateComparison]
    note: str


TRENDS_ROW = "trend keywords"
"""The comparison of Pins written with and without trending keywords (``PromptUse``)."""


@dataclass
class _Sums:
    ref: TemplateRef
    name: str | None = None
    """Shown instead of the version (the trend-keywords comparison's "with" and "without")."""
    arms: set[str] = field(default_factory=set)
    written: int = 0
    published: int = 0
    measured: int = 0
    impressions: float = 0.0
    saves: float = 0.0
    outbound: float = 0.0


def compare_versions(
    uses: Iterable[PromptUse],
    pins: Mapping[str, str],
    figures: Mapping[str, PinFigures],
    *,
    channel_id: str,
    start: date,
    end: date,
    min_pins: int = DEFAULT_MIN_PINS,
    min_impressions: int = DEFAULT_MIN_IMPRESSIONS,
) -> TemplateVersionReport:
    """``pins``: post id -> Pin id (published posts); ``figures``: Pin id -> the Pin's measured
    period figures. Posts drafted outside ``start``..``end`` are left out."""
    sums: dict[str, dict[str, _Sums]] = {}
    drafted = 0
    for use in uses:
        if not start <= use.drafted_at.date() <= end:
            continue
        drafted += 1
        pin_id = pins.get(use.post_id)
        measured = figures.get(pin_id) if pin_id is not None else None
        rows: list[tuple[str, str, _Sums]] = [(template, ref.key, _Sums(ref))
                                              for template, ref in use.templates.items()]
        if use.trend_keywords is not None and "pin_copy" in use.templates:
            name = "with trends" if use.trend_keywords else "without trends"
            rows.append((TRENDS_ROW, name, _Sums(use.templates["pin_copy"], name)))
        for template, key, fresh in rows:
            ref = fresh.ref
            row = sums.setdefault(template, {}).setdefault(key, fresh)
            row.arms.add(ref.arm)
            row.written += 1
            if pin_id is None:
                continue
            row.published += 1
            if measured is None:
                continue
            row.measured += 1
            row.impressions += measured.get("IMPRESSION", 0.0)
            row.saves += measured.get("SAVE", 0.0)
            row.outbound += measured.get("OUTBOUND_CLICK", 0.0)
    templates = [
        TemplateComparison(
            template=template,
            versions=[_result(s, min_pins, min_impressions)
                      for s in sorted(rows.values(), key=_order)],
        )
        for template, rows in sorted(sums.items())
    ]
    note = (
        f"Measured Pinterest figures ({start} to {end}) of the Pins written in that period, by "
        f"the template version that wrote them; a version needs {min_pins} measured Pins and "
        f"{min_impressions:,} impressions before its rates mean much."
    )
    if not drafted:
        note = f"No post of this channel was drafted between {start} and {end}: nothing to compare."
    return TemplateVersionReport(
        channel_id=channel_id, period_start=start, period_end=end, min_pins=min_pins,
        min_impressions=min_impressions, posts_drafted=drafted, templates=templates, note=note,
    )


def _order(s: _Sums) -> tuple[int, int, str]:
    if s.name is not None:
        return (0, 0, s.name)
    number = s.ref.version
    return (0 if number is None else 1, number or 0, s.ref.key)


def _result(s: _Sums, min_pins: int, min_impressions: int) -> VersionResult:
    impressions = round(s.impressions)
    enough = s.measured >= min_pins and impressions >= min_impressions
    return VersionResult(
        version=s.name or s.ref.key,
        version_number=None if s.name else s.ref.version,
        arms=sorted(s.arms),
        pins_written=s.written,
        pins_published=s.published,
        pins_measured=s.measured,
        impressions=impressions,
        saves=round(s.saves),
        outbound_clicks=round(s.outbound),
        save_rate=s.saves / s.impressions if s.impressions else None,
        outbound_click_rate=s.outbound / s.impressions if s.impressions else None,
        status="ok" if enough else "not_enough_data",
    )


def version_report(
    usage: UsageLog,
    pin_of: Callable[[str], str | None],
    measure: Callable[[list[str], date, date], Mapping[str, PinFigures]],
    *,
    channel_id: str,
    start: date,
    end: date,
    min_pins: int = DEFAULT_MIN_PINS,
    min_impressions: int = DEFAULT_MIN_IMPRESSIONS,
) -> TemplateVersionReport:
    """Gather and compare: the channel's records for the period, their Pins (``pin_of``: post id
    -> Pin id when published, from the ledger) and the Pins' figures (``measure``: Pinterest's
    per-Pin analytics, or the ones the insight job already fetched)."""
    uses = usage.uses(channel_id, since=datetime.combine(start, time.min, UTC),
                      until=datetime.combine(end, time.max, UTC))
    pins = {use.post_id: pin for use in uses if (pin := pin_of(use.post_id)) is not None}
    figures = measure(sorted(set(pins.values())), start, end) if pins else {}
    return compare_versions(uses, pins, figures, channel_id=channel_id, start=start, end=end,
                            min_pins=min_pins, min_impressions=min_impressions)


def report_lines(report: TemplateVersionReport) -> list[str]:
    """The report as a plain-text table (``prompts report``)."""
    lines = [f"Template versions on {report.channel_id}, {report.period_start} to "
             f"{report.period_end}: {report.posts_drafted} posts drafted", report.note]
    header = ["version", "arms", "written", "published", "measured", "impressions", "saves",
              "save rate", "outbound", "outbound rate", ""]
    for comparison in report.templates:
        rows = [header]
        for v in comparison.versions:
            rows.append([
                v.version, ",".join(v.arms), str(v.pins_written), str(v.pins_published),
                str(v.pins_measured), f"{v.impressions:,}", f"{v.saves:,}", _pct(v.save_rate),
                f"{v.outbound_clicks:,}", _pct(v.outbound_click_rate),
                "" if v.status == "ok" else "not enough data",
            ])
        lines += ["", f"{comparison.template}:", *text_table(rows, right=range(2, 10))]
    return lines


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.2f}%"

