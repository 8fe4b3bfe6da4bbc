"""The sandbox LLM's answer for ``InsightDraft`` (the weekly insight), built from the figures.

Like the copy and design answers, it is deterministic and grounded: it reads the JSON inside the
prompt's ``<figures>`` tag and only ever states values found there, so the worker's
"every number must be a given figure" check passes through the real ``openai`` client path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pinterest_agent.providers.sandbox.openai_compat import add_answer_builder, tagged_json
from pinterest_agent.providers.sandbox.routes import RouteRegistry

__all__ = ["insight_draft_answer", "register"]

_KINDS = ("product", "recipe", "how-to", "article", "other")


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def insight_draft_answer(figures: Mapping[str, Any]) -> dict[str, Any]:
    """A valid ``InsightDraft`` citing only *figures*."""
    top_title = figures.get("top_pins.1.title")
    top_id = figures.get("top_pins.1.pin_id")
    top_category = str(figures.get("top_pins.1.category") or "other")
    rates = {name.split(".")[1]: value for name, value in figures.items()
             if name.startswith("categories.") and name.endswith(".save_rate_pct")
             and isinstance(value, int | float)}
    best_category = max(rates, key=lambda c: rates[c]) if rates else top_category
    summary_parts = [
        f"Over the last {_fmt(figures.get('period.days', 30))} days the account earned "
        f"{_fmt(figures.get('totals.impressions', 0))} impressions and "
        f"{_fmt(figures.get('totals.saves', 0))} saves."
    ]
    if top_title is not None and "top_pins.1.save_rate_pct" in figures:
        summary_parts.append(
            f"The strongest Pin, \u201c{top_title}\u201d, is saved at "
            f"{_fmt(figures['top_pins.1.save_rate_pct'])}% of its impressions."
        )
    if figures.get("followers.status") == "no_history":
        summary_parts.append("There is no follower history yet, so growth shows next week.")
    suggestions: list[dict[str, Any]] = []
    candidates = [
        ("top_pins.1.save_rate_pct",
         "Make more Pins in the style of the best-saved Pin.",
         "It has the highest save rate of the eligible Pins."),
        (f"categories.{best_category}.save_rate_pct",
         f"Publish more {best_category} Pins.",
         f"{best_category.capitalize()} Pins have the best save rate of the categories."),
        ("peak_days.1.weekday",
         f"Schedule new Pins for {figures.get('peak_days.1.weekday', 'the best weekday')}.",
         "That weekday has the most engagement per day."),
        ("peak_hours.1.hour_utc",
         "Publish around the estimated best hour (UTC).",
         "This is an estimate from publish times weighted by engagement."),
        ("totals.outbound_clicks",
         "Add a clear reason to click in each description.",
         "Outbound clicks are what turn saves into visits."),
    ]
    for figure, action, rationale in candidates:
        if figure in figures and len(suggestions) < 4:
            suggestions.append({"priority": len(suggestions) + 1, "action": action,
                                "rationale": rationale, "figure": figure})
    fallback = [name for name in ("totals.impressions", "totals.saves", "period.days")
                if name in figures]
    while len(suggestions) < 3 and fallback:
        figure = fallback.pop(0)
        suggestions.append({"priority": len(suggestions) + 1,
                            "action": "Keep publishing consistently every week.",
                            "rationale": "Steady publishing grows impressions and saves.",
                            "figure": figure})
    kind = top_category if top_category in _KINDS else "other"
    # The concept is named after the Pin it builds on (a working name, as the brief's `name`)
    name = top_title or "A fresh idea for this board"
    return {
        "summary": " ".join(summary_parts),
        "suggestions": suggestions,
        "next_pin": {
            "based_on_pin_id": top_id,
            "kind": kind,
            "name": name[:200],
            "summary": "A new variation on the best-saved Pin: same subject, a fresh angle and "
                       "a clear headline.",
            "audience": None,
            # naive: the first words of the Pin it builds on, then its kind
            "keywords": [" ".join(name.lower().split()[:3]) or kind, kind, "ideas"],
            "tone": "friendly",
            "rationale": "It builds on the Pin with the highest save rate.",
        },
    }


def _build(messages: list[Mapping[str, Any]], json_schema: Mapping[str, Any]) -> dict[str, Any]:
    figures = tagged_json(messages, "figures")
    return insight_draft_answer(figures if isinstance(figures, dict) else {})


def register(registry: RouteRegistry) -> None:
    """No routes of its own: it teaches the OpenAI-compatible route the insight answer."""
    add_answer_builder("InsightDraft", _build)
