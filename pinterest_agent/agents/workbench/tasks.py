"""What each kind of suite runs: a case's data -> the template's variables, the output model,
the worker's own checks (for ``repair: true``) and what assertions may look at.

The variables are built by the same functions the worker uses (``copy_variables``,
``design_variables``, the insight writer's), so a suite exercises the template exactly as a job
renders it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from pinterest_agent.agents.design.designer import DesignSpec, design_problems, design_variables
from pinterest_agent.agents.design.scene_map import SCENE_MAP
from pinterest_agent.agents.insights.figures import figure_table
from pinterest_agent.agents.insights.metrics import PEAK_HOURS_BASIS
from pinterest_agent.agents.insights.models import ChannelInsight, ChannelMetrics, FigureValue
from pinterest_agent.agents.insights.writer import InsightDraft, draft_problems
from pinterest_agent.agents.llm.cache import FrozenVariables
from pinterest_agent.agents.messages import PinBrief
from pinterest_agent.agents.workbench.errors import SuiteError
from pinterest_agent.agents.workbench.suites import Case, TaskName
from pinterest_agent.agents.writer import PinCopy, copy_problems, copy_variables

__all__ = ["OUTPUTS", "Prepared", "prepare"]

OUTPUTS: dict[str, type[BaseModel]] = {
    "pin_copy": PinCopy,
    "design_spec": DesignSpec,
    "channel_insight": InsightDraft,
}
"""The output model each task asks the model for."""

Check = Callable[[Any], list[str]]


@dataclass(frozen=True)
class Prepared:
    variables: Mapping[str, Any]
    check: Check
    brief: PinBrief | None = None
    figures: Mapping[str, FigureValue] | None = None


def prepare(task: TaskName, case: Case) -> Prepared:
    """The case ready for its task (``SuiteError`` naming the case when its data is wrong)."""
    try:
        if task == "pin_copy":
            prepared = _pin_copy(case)
        elif task == "design_spec":
            prepared = _design_spec(case)
        else:
            prepared = _channel_insight(case)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                             for e in exc.errors(include_url=False)[:4])
        raise SuiteError(f"case {case.id!r} has data the {task} task cannot use: {problems}",
                         case=case.id) from exc
    # Frozen: the run keys each case's call twice (reading answers ahead, then running it).
    return Prepared(FrozenVariables({**prepared.variables, **case.vars}), prepared.check,
                    prepared.brief, prepared.figures)


def _brief(case: Case) -> PinBrief:
    data = case.data.get("brief")
    if not isinstance(data, Mapping):
        raise SuiteError(f"case {case.id!r} needs a brief", case=case.id)
    return PinBrief.model_validate({"brief_id": case.id, "schema_version": 1, **data})


def _pin_copy(case: Case) -> Prepared:
    brief = _brief(case)
    return Prepared(copy_variables(brief), lambda copy: copy_problems(copy, brief), brief=brief)


def _design_spec(case: Case) -> Prepared:
    brief = _brief(case)
    given = case.data.get("copy")
    if isinstance(given, Mapping):
        copy = PinCopy.model_validate({"link": brief.destination_url, "hashtags": [], **given})
    else:  # the copy the design sees: the brief's own words
        copy = PinCopy(
            title=brief.name[:100], description=brief.summary[:500],
            alt_text=f"Photo of {brief.name}"[:500], link=brief.destination_url,
            keywords=brief.keywords[:8], hashtags=[],
        )
    scene = SCENE_MAP["pinterest"]
    return Prepared(design_variables(brief, copy, scene),
                    lambda spec: design_problems(spec, brief, scene), brief=brief)


def _channel_insight(case: Case) -> Prepared:
    raw = case.data.get("figures")
    if not isinstance(raw, Mapping):
        raise SuiteError(f"case {case.id!r} needs figures (a figure table, inline or a JSON "
                         "file)", case=case.id)
    figures = _figure_table(raw)
    top_ids = [str(value) for name, value in figures.items()
               if name.startswith("top_pins.") and name.endswith(".pin_id")]
    period = figures.get("period.days", 30)
    variables = {"figures": figures, "period_days": int(period) if isinstance(period, int) else 30,
                 "peak_hours_basis": PEAK_HOURS_BASIS}
    return Prepared(variables, lambda draft: draft_problems(draft, figures, top_ids),
                    figures=figures)


def _figure_table(raw: Mapping[str, Any]) -> dict[str, FigureValue]:
    """A figure table as given, or the one inside a stored ``ChannelInsight`` or built from a
    ``ChannelMetrics``."""
    if "figures" in raw and "channel_id" in raw:
        return dict(ChannelInsight.model_validate(raw).figures)
    if "totals" in raw and "period" in raw:
        return figure_table(ChannelMetrics.model_validate(raw))
    table: dict[str, FigureValue] = {}
    for name, value in raw.items():
        if not isinstance(value, int | float | str) or isinstance(value, bool):
            raise SuiteError(f"figure {name!r} must be a number or a string, not {value!r}")
        table[str(name)] = value
    return table
