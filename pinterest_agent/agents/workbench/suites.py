"""Eval suites: YAML files naming a task, its cases and the assertions every output must pass.

A suite (``prompts/evals/pin_copy.yaml`` is a packaged example)::

    description: Pinterest copy for four kinds of brief
    task: pin_copy            # pin_copy | design_spec | channel_insight: what the template writes
    template: pin_copy        # the template to run (default: the task's name)
    threshold: 0.9            # the run fails (exit 1) when fewer cases than this pass everything
    repeat: 1                 # runs per case (variance); each repeat is cached apart
    repair: false             # true: the worker's checks and repair round run too
    recent_titles: [...]      # novelty compares with these, not the live channel's (hermetic)
    defaults:                 # merged under every case's inline data
      brief: {schema_version: 1, channel_id: shop, locale: en-US}
    cases:
      - id: linen-throw
        brief: {kind: product, name: ..., destination_url: https://..., keywords: [...]}
      - brief: ../briefs/recipe.json         # a file, relative to the suite
      - glob: ../briefs/*.json               # one case per matching file
        assert: [{type: contains, field: title, value: orzo}]   # this case's own assertions
    assert:                   # every case
      - {type: max_length, field: title, value: 100}

Cases hold the task's inputs: ``brief`` (a ``PinBrief``) for ``pin_copy``; ``brief`` and an
optional ``copy`` for ``design_spec``; ``figures`` (a figure table, inline or a JSON file; a stored
``ChannelInsight`` works too) for ``channel_insight``. Inline and file data are merged over
``defaults``. The assertion types are in :mod:`agents.workbench.assertions`.

A suite is named by its path, or by the name of a packaged suite (``pin_copy``).
"""

from __future__ import annotations

import glob as globbing
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pinterest_agent.agents.workbench.assertions import Assertion, assertion_key, column_names
from pinterest_agent.agents.workbench.errors import SuiteError

__all__ = [
    "Case",
    "CaseSpec",
    "Suite",
    "SuiteSpec",
    "TaskName",
    "load_suite",
    "packaged_suites",
]

TaskName = Literal["pin_copy", "design_spec", "channel_insight"]
_DATA_KEYS = ("brief", "copy", "figures")


class CaseSpec(BaseModel):
    """One entry of ``cases``: inline data, a file, or a glob of files."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str | None = Field(default=None, max_length=120)
    glob: str | None = None
    brief: dict[str, Any] | str | None = None
    copy_: dict[str, Any] | str | None = Field(default=None, alias="copy")
    figures: dict[str, Any] | str | None = None
    vars: dict[str, Any] = Field(
        default_factory=dict, description="Extra template variables (override the task's)."
    )
    assert_: list[Assertion] = Field(default_factory=list, alias="assert")


class SuiteSpec(BaseModel):
    """The YAML file, as written."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    description: str = ""
    task: TaskName
    template: str | None = None
    threshold: float = Field(default=1.0, ge=0.0, le=1.0)
    repeat: int = Field(default=1, ge=1, le=100)
    repair: bool = False
    defaults: dict[str, Any] = Field(default_factory=dict)
    cases: list[CaseSpec] = Field(min_length=1)
    assert_: list[Assertion] = Field(default_factory=list, alias="assert")
    recent_titles: list[str] | None = Field(
        default=None, max_length=1000,
        description="The channel's recent Pin titles as this suite states them: novelty "
                    "assertions compare with these instead of the live channel's, so the "
                    "suite's verdicts do not depend on what a channel has published.")


@dataclass(frozen=True)
class Case:
    """One case ready to run: its id, its data (``brief``, ``copy``, ``figures``), extra
    variables, and the assertions that apply to it (the suite's, then its own)."""

    id: str
    data: Mapping[str, Any]
    vars: Mapping[str, Any]
    assertions: tuple[Assertion, ...]


@dataclass(frozen=True)
class Suite:
    name: str
    source: str
    """The file it came from, or ``packaged:NAME``."""
    task: TaskName
    template: str
    threshold: float
    repeat: int
    repair: bool
    description: str
    cases: tuple[Case, ...]
    columns: Mapping[str, str] = field(default_factory=dict)
    """Assertion key -> its column name, in order (the suite's assertions first)."""
    column_of: Mapping[int, str] = field(default_factory=dict, compare=False, repr=False)
    """``id(assertion)`` -> its column, for every assertion object of every case."""
    recent_titles: tuple[str, ...] | None = None
    """The suite's own recent titles (novelty), or ``None`` to read the channel's."""
    prepared: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """Each case made ready for its task, by case id (filled by the runner, once per suite:
    ``prompts compare`` runs the same suite twice)."""


def packaged_suites() -> list[str]:
    folder = resources.files("pinterest_agent.prompts").joinpath("evals")
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir()
                  if p.name.endswith(".yaml"))


def load_suite(ref: str | Path) -> Suite:
    """The suite at path ``ref``, or the packaged suite named ``ref``."""
    path = Path(ref)
    base: Path | None
    if path.is_file():
        text, base = path.read_text(encoding="utf-8"), path.parent
        source, name = str(path), path.stem
    else:
        node = resources.files("pinterest_agent.prompts").joinpath("evals", f"{ref}.yaml")
        if not node.is_file():
            raise SuiteError(
                f"no eval suite at {ref!r}: give the path of a suite file, or one of the packaged "
                f"suites ({', '.join(packaged_suites())})"
            )
        text, base = node.read_text(encoding="utf-8"), None
        source, name = f"packaged:{ref}", str(ref)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SuiteError(f"{source} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise SuiteError(f"{source} must hold a mapping (task, cases, assert, ...)")
    try:
        spec = SuiteSpec.model_validate(raw)
    except ValidationError as exc:
        raise SuiteError(f"{source} does not describe a suite: {_errors(exc)}") from exc
    cases = _cases(spec, base, source)
    columns = column_names([*spec.assert_, *(a for c in spec.cases for a in c.assert_)])
    return Suite(
        name=name, source=source, task=spec.task, template=spec.template or spec.task,
        threshold=spec.threshold, repeat=spec.repeat, repair=spec.repair,
        description=spec.description, cases=cases, columns=columns,
        column_of={id(a): columns[assertion_key(a)] for case in cases for a in case.assertions},
        recent_titles=None if spec.recent_titles is None else tuple(spec.recent_titles),
    )


def _errors(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'suite'}: {e['msg']}"
        for e in exc.errors(include_url=False)[:5]
    )


def _cases(spec: SuiteSpec, base: Path | None, source: str) -> tuple[Case, ...]:
    cases: list[Case] = []
    seen: set[str] = set()
    for index, entry in enumerate(spec.cases, start=1):
        assertions = (*spec.assert_, *entry.assert_)
        if entry.glob is not None:
            if base is None:
                raise SuiteError(f"{source}: case {index} uses a glob, which a packaged suite "
                                 "cannot; copy the suite next to your files")
            files = sorted(Path(p) for p in globbing.glob(str(base / entry.glob)))
            if not files:
                raise SuiteError(f"{source}: case {index}'s glob {entry.glob!r} matches no file "
                                 f"(relative to {base})")
            for file in files:
                data = _merge(spec.defaults, {_glob_key(spec.task): _read(file, source)})
                cases.append(Case(_unique(file.stem, seen), data, entry.vars, assertions))
            continue
        data = dict(spec.defaults)
        stem = None
        for key in _DATA_KEYS:
            value = getattr(entry, "copy_" if key == "copy" else key)
            if isinstance(value, str):
                file = _resolve(value, base, source)
                stem = stem or file.stem
                value = _read(file, source)
            if value is not None:
                data = _merge(data, {key: value})
        cases.append(Case(_unique(entry.id or stem or f"case-{index}", seen), data, entry.vars,
                          assertions))
    return tuple(cases)


def _glob_key(task: str) -> str:
    return "figures" if task == "channel_insight" else "brief"


def _unique(name: str, seen: set[str]) -> str:
    candidate, n = name, 2
    while candidate in seen:
        candidate, n = f"{name}-{n}", n + 1
    seen.add(candidate)
    return candidate


def _resolve(value: str, base: Path | None, source: str) -> Path:
    if base is None:
        raise SuiteError(f"{source}: a packaged suite cannot name the file {value!r}; copy the "
                         "suite next to your files")
    path = base / value
    if not path.is_file():
        raise SuiteError(f"{source}: the case file {value!r} does not exist (relative to {base})")
    return path


def _read(path: Path, source: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SuiteError(f"{source}: cannot read {path} as JSON: {exc}") from exc


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` on top of ``base``, mappings merged key by key."""
    merged = dict(base)
    for key, value in over.items():
        below = merged.get(key)
        if isinstance(below, Mapping) and isinstance(value, Mapping):
            merged[key] = _merge(below, value)
        else:
            merged[key] = value
    return merged
