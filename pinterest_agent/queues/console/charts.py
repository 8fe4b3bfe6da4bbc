"""Figures -> chart series (pure), and series -> SVG with pygal (server-side, offline).

:func:`daily_series` turns the snapshot's days into one metric's series: every day with data on
the line, and the provisional days (``PROCESSING`` / ``ESTIMATE``: Pinterest still revises them)
repeated in a second series drawn as larger dots of their own colour, so they are marked in
the chart and its legend. Days without figures are gaps (``None``). :func:`follower_series` is
the board followers total of each stored follower snapshot.

:func:`render_chart` draws a series as inline SVG with pygal. The SVG carries no script
(pygal's tooltip loader would reach a CDN; its inline config is dropped by an XML filter,
pygal's post-processing hook), so it renders the same in the console, in a mailed report and
offline; every point carries an SVG ``<title>`` instead, the tooltip a browser shows without
script. It is memoised by the
series' value: a channel page drawn again from the same snapshot reuses its charts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, Literal

import pygal
from pygal.style import Style

from pinterest_agent.agents.insights.followers import FollowerSnapshot
from pinterest_agent.agents.insights.snapshot import ChannelFigures

__all__ = [
    "DAILY_METRICS",
    "ChartSeries",
    "daily_series",
    "follower_series",
    "render_chart",
    "series_digest",
]

DailyMetric = Literal["impressions", "saves", "outbound_clicks", "pin_clicks"]
DAILY_METRICS: dict[DailyMetric, str] = {
    "impressions": "Impressions",
    "saves": "Saves",
    "outbound_clicks": "Outbound clicks",
}
"""The daily charts of the Overview, in order, with their titles."""

PROVISIONAL_LABEL = "provisional (may still change)"
CHART_CACHE_SIZE = 256
CHART_VERSION = 2
"""Part of every chart's digest: bump it when the drawing changes, so stored charts are redrawn."""

_STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#2d2a26",
    foreground_strong="#2d2a26",
    foreground_subtle="#d9d4cc",
    opacity="1",
    opacity_hover="1",
    colors=("#b7081b", "#e0a100", "#3a6ea5"),
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    label_font_size=11,
    major_label_font_size=11,
    legend_font_size=12,
    title_font_size=14,
)


@dataclass(frozen=True)
class ChartSeries:
    """One chart's data: x labels, the values (``None`` = no figure that day) and the values
    to mark (only where ``marked_label`` applies, else ``None``)."""

    title: str
    name: str
    labels: tuple[str, ...]
    values: tuple[int | None, ...]
    marked: tuple[int | None, ...] = ()
    marked_label: str = ""

    @property
    def points(self) -> int:
        return sum(value is not None for value in self.values)

    @property
    def marked_points(self) -> int:
        return sum(value is not None for value in self.marked)


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_label(day: date) -> str:
    """``Sep 01`` (as ``strftime("%b %d")`` in English, without its cost per label)."""
    return f"{_MONTHS[day.month - 1]} {day.day:02d}"


def daily_series(figures: ChannelFigures, metric: DailyMetric, title: str, *,
                 last_days: int | None = None) -> ChartSeries:
    """``metric`` per day of the snapshot (its last ``last_days`` days when given),
    provisional days marked."""
    days = figures.days[-last_days:] if last_days else figures.days
    values = tuple(getattr(day, metric) if day.has_data else None for day in days)
    marked = tuple(value if day.provisional else None
                   for day, value in zip(days, values, strict=True))
    return ChartSeries(
        title=title,
        name=title.lower(),
        labels=tuple(day_label(day.date) for day in days),
        values=values,
        marked=marked if any(v is not None for v in marked) else (),
        marked_label=PROVISIONAL_LABEL,
    )


def follower_series(snapshots: Sequence[FollowerSnapshot]) -> ChartSeries:
    """Board followers in total at each stored snapshot, oldest first."""
    ordered = sorted(snapshots, key=lambda s: s.taken_at)
    return ChartSeries(
        title="Board followers",
        name="followers",
        labels=tuple(f"{day_label(s.taken_at.date())} {s.taken_at.year}" for s in ordered),
        values=tuple(s.total for s in ordered),
    )


def series_digest(series: ChartSeries) -> str:
    """A stable digest of the chart's data: the same series is the same chart."""
    parts = (series.title, series.name, series.labels, series.values, series.marked,
             series.marked_label, CHART_VERSION)
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


@lru_cache(maxsize=CHART_CACHE_SIZE)
def render_chart(series: ChartSeries) -> str:
    """The series as an inline ``<svg>`` (no XML declaration, no script)."""
    count = len(series.labels)
    chart = pygal.Line(
        style=_STYLE,
        width=900,
        height=300,
        title=series.title,
        js=[],
        disable_xml_declaration=True,
        show_minor_x_labels=False,
        x_labels_major_every=max(1, count // 6),
        truncate_label=-1,
        legend_at_bottom=True,
        legend_box_size=10,
        dots_size=2,
        stroke_style={"width": 2},
        show_y_guides=True,
        show_x_guides=False,
        allow_interruptions=True,
        print_values=False,
        margin=12,
        no_data_text="No figures yet",
        classes=("pygal-chart", "console-chart"),
    )
    chart.add_xml_filter(_without_scripts)
    names = [series.name] + ([series.marked_label] if series.marked else [])
    chart.add_xml_filter(lambda root: _point_titles(root, names))
    chart.x_labels = list(series.labels)
    chart.add(series.name, list(series.values))
    if series.marked:
        chart.add(series.marked_label, list(series.marked), stroke=False, dots_size=5)
    svg: str = chart.render(is_unicode=True)
    return svg


def _count(value: str | None) -> str:
    try:
        return f"{float(value or ''):,.0f}"
    except ValueError:
        return value or ""


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _point_titles(root: Any, names: Sequence[str]) -> Any:
    """pygal's ``xml_filters`` hook: give every dot an SVG ``<title>`` ("Sep 03: 1,204
    impressions"), the browser's own tooltip, which needs no script (pygal's needs one)."""
    namespace = root.tag[:-3] if isinstance(root.tag, str) and root.tag.endswith("svg") else ""
    for group in root.iter():
        classes = (group.get("class") or "").split()
        serie = next((c for c in classes if c.startswith("serie-")), None)
        if "series" not in classes or serie is None:
            continue
        index = int(serie.partition("-")[2])
        name = names[index] if index < len(names) else ""
        for dots in group:
            if (dots.get("class") or "") != "dots":
                continue
            descs = {(d.get("class") or ""): (d.text or "") for d in dots
                     if _local(d.tag) == "desc"}
            for circle in (c for c in dots if _local(c.tag) == "circle"):
                title = circle.makeelement(f"{namespace}title", {})
                title.text = f"{descs.get('x_label', '')}: {_count(descs.get('value'))} {name}"
                circle.append(title)
    return root


def _without_scripts(root: Any) -> Any:
    """pygal's ``xml_filters`` hook: drop its ``<script>`` elements (tooltip config)."""
    for parent in list(root.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return root
