"""What an eval checks in each output: per-field rules, Pinterest's rules, and a model-graded
rubric.

Every assertion is a mapping with a ``type`` (the names follow promptfoo's where they overlap),
an optional ``name`` (its column in the report) and, for per-field rules, a ``field``: a dotted
path into the output (``title``, ``next_pin.rationale``, ``suggestions.*.action``,
``suggestions.0.priority``) or a JSONPath (``$.suggestions[*].figure``). A rule on a field that
matches several values must hold for each; a field the output lacks fails.

==================  =============================================================================
``max_length``      ``value``: at most this many characters (items, for a list)
``min_length``      ``value``: at least this many
``keyword_within``  the brief's main keyword (``keyword`` to name another) starts within the
                    first ``value`` characters (default 40) of ``field`` (default ``title``)
``contains``        ``value`` (a string or a list: all of them) appears; ``ignore_case`` (true)
``not_contains``    none of ``value`` appears
``regex``           ``value`` matches somewhere (Python ``re.search``); ``ignore_case`` (false)
``hashtags``        ``min`` (0) to ``max`` hashtags in the whole output (or in ``field``)
``link_equals_brief``  ``field`` (``link``) is exactly the brief's ``destination_url``
``no_invented_url`` no URL or domain in any text (or in ``fields``) but the brief's link
``grounded_numbers`` every number stated in the text (or in ``fields``) is one of the case's
                    figures, as the insight writer's own check judges it (rounding allowed)
``json_path``       ``path`` matches; then any of ``equals``, ``min``, ``max``, ``matches``
                    (regex), ``count_min``, ``count_max``; ``exists: false`` for "absent"
``novelty``         ``field`` (``title``) is less similar than ``threshold`` (0.8: rapidfuzz's
                    ``ratio``, the normalised Indel similarity difflib's ``ratio`` approximates,
                    of the casefolded words) to each of the channel's recent Pin titles
                    (from the stored drafts; ``titles`` to give them inline, ``channel`` to name
                    another channel than the brief's)
``rubric``          a judge model grades the output against ``value``; passes at ``threshold``
                    (0.5) or more. The judge's template (``template``, default ``eval_rubric``)
                    is a template like any other: versioned, hashed, overridable
==================  =============================================================================
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import jsonpath
from pydantic import BaseModel, ConfigDict, Field
from rapidfuzz import fuzz, process

from pinterest_agent.agents.insights.figures import ungrounded_numbers
from pinterest_agent.agents.insights.models import FigureValue
from pinterest_agent.agents.messages import PinBrief
from pinterest_agent.agents.text_rules import find_urls, hashtags_in, keyword_position, normalise

__all__ = [
    "DEFAULT_JUDGE_TEMPLATE",
    "Assertion",
    "Context",
    "RubricVerdict",
    "Verdict",
    "assertion_key",
    "column_names",
    "field_values",
    "text_values",
]

DEFAULT_JUDGE_TEMPLATE = "eval_rubric"
Text = str | list[str]


class RubricVerdict(BaseModel):
    """The judge's answer for one output and rubric."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    score: float = Field(ge=0.0, le=1.0, description="0: fails the rubric, 1: meets all of it.")
    reason: str = Field(min_length=1, max_length=600, description="Why, in one or two sentences.")


@dataclass(frozen=True, slots=True)
class Verdict:
    passed: bool
    detail: str = ""
    score: float | None = None


_PASS = Verdict(True)


Judge = Callable[["Rubric", Mapping[str, Any]], RubricVerdict]
TitleSource = Callable[[str, int], Sequence[str]]


@dataclass(frozen=True)
class Context:
    """What an assertion may look at besides the output."""

    output: Mapping[str, Any]
    brief: PinBrief | None = None
    figures: Mapping[str, FigureValue] | None = None
    titles: TitleSource | None = None
    """``(channel_id, limit) -> recent Pin titles``, newest first."""
    judge: Judge | None = None

    _joined: dict[frozenset[str], str] = field(default_factory=dict, repr=False, compare=False)

    def all_text(self, skip: frozenset[str] = frozenset()) -> str:
        """Every string in the output but those equal to one in ``skip``, one a line (what
        whole-output rules search); joined once per case, however many rules ask."""
        joined = self._joined.get(skip)
        if joined is None:
            joined = self._joined[skip] = "\n".join(
                text for text in _strings(self.output) if text not in skip)
        return joined


# -- paths ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _compiled(path: str) -> jsonpath.JSONPath | jsonpath.CompoundJSONPath:
    if not path.startswith("$"):
        parts = []
        for part in path.split("."):
            parts.append(f"[{part}]" if part.isdigit() or part == "*" else f"['{part}']")
        path = "$" + "".join(parts)
    return jsonpath.compile(path)


_SIMPLE = re.compile(r"^\$((?:\.[A-Za-z_][\w-]*|\[\d+\]|\[\*\]|\.\*)*)$")
_STEP = re.compile(r"\.([A-Za-z_][\w-]*|\*)|\[(\d+|\*)\]")


@functools.lru_cache(maxsize=256)
def _steps(path: str) -> tuple[str, ...] | None:
    """A path's names, indexes and ``*`` in order, or ``None`` when python-jsonpath must walk it."""
    if not path.startswith("$"):
        return tuple(path.split("."))
    simple = _SIMPLE.match(path)
    if simple is None:
        return None
    return tuple(name or index for name, index in _STEP.findall(simple.group(1)))


def field_values(output: Mapping[str, Any], path: str) -> list[Any]:
    """Every value ``path`` (dotted or JSONPath) matches in ``output``.

    Dotted paths and JSONPaths made only of names, indexes and wildcards (``$.keywords[*]``,
    ``$.suggestions[0].priority``) are walked directly; anything richer (filters, slices,
    recursive descent) goes to python-jsonpath."""
    steps = _steps(path)
    if steps is None:
        return list(_compiled(path).findall(output))
    nodes: list[Any] = [output]
    for step in steps:
        found: list[Any] = []
        for node in nodes:
            if step == "*":
                found += list(node.values()) if isinstance(node, dict | Mapping) else (
                    list(node) if isinstance(node, list) else [])
            elif isinstance(node, dict | Mapping) and step in node:
                found.append(node[step])
            elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
                found.append(node[int(step)])
        nodes = found
    return nodes


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return " ".join(value)
    return json.dumps(value, ensure_ascii=False)


def text_values(value: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """Every string inside ``value`` with its dotted path."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from text_values(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from text_values(item, f"{where}.{index}" if where else str(index))


def _strings(value: Any) -> list[str]:
    """Every string inside ``value`` (no paths: the fast walk for counting)."""
    found: list[str] = []
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, dict | Mapping):  # a dict is checked first, at C speed
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _listed(value: Text) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


# -- the assertions ---------------------------------------------------------------------------


class _Assertion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = Field(default=None, max_length=40, description="Its column name.")

    def label(self) -> str:
        raise NotImplementedError

    def evaluate(self, ctx: Context) -> Verdict:
        raise NotImplementedError


class _FieldRule(_Assertion):
    field: str

    def evaluate(self, ctx: Context) -> Verdict:
        values = field_values(ctx.output, self.field)
        if not values:
            return Verdict(False, f"the output has no {self.field}")
        for value in values:
            verdict = self.judge_value(value, ctx)
            if not verdict.passed:
                return verdict
        return _PASS

    def judge_value(self, value: Any, ctx: Context) -> Verdict:
        raise NotImplementedError


class MaxLength(_FieldRule):
    type: Literal["max_length"]
    value: int = Field(ge=0)

    def label(self) -> str:
        return f"{self.field}<={self.value}"

    def judge_value(self, value: Any, ctx: Context) -> Verdict:
        size = len(value) if isinstance(value, str | list) else len(_text(value))
        if size > self.value:
            return Verdict(False, f"{self.field} is {size} long, over {self.value}")
        return _PASS


class MinLength(_FieldRule):
    type: Literal["min_length"]
    value: int = Field(ge=0)

    def label(self) -> str:
        return f"{self.field}>={self.value}"

    def judge_value(self, value: Any, ctx: Context) -> Verdict:
        size = len(value) if isinstance(value, str | list) else len(_text(value))
        if size < self.value:
            return Verdict(False, f"{self.field} is {size} long, under {self.value}")
        return _PASS


class KeywordWithin(_FieldRule):
    type: Literal["keyword_within"]
    field: str = "title"
    value: int = Field(default=40, ge=1)
    keyword: str | None = None

    def label(self) -> str:
        return f"{self.field} keyword@{self.value}"

    def judge_value(self, value: Any, ctx: Context) -> Verdict:
        keyword = self.keyword
        if keyword is None:
            if ctx.brief is None or not ctx.brief.keywords:
                return Verdict(False, "no keyword to look for: the brief has none; set keyword")
            keyword = ctx.brief.keywords[0]
        position = keyword_position(keyword, _text(value))
        if position is None:
            return Verdict(False, f"{self.field} lacks the keyword {keyword!r}")
        if position > self.value:
            return Verdict(False, f"{keyword!r} starts at character {position} of {self.field}, "
                                  f"after {self.value}")
        return _PASS


class Contains(_FieldRule):
    type: Literal["contains"]
    value: Text
    ignore_case: bool = True

    def label(self) -> str:
        return f"{self.field}~{'+'.join(_listed(self.value))}"[:40]

    def judge_value(self, value: Any, ctx: Context) -> Verdict:
        text = _text(value)
        hay = text.casefold() if self.ignore_case else text
        missing = [v for v in _listed(self.value)
                   if (v.casefold() if self.ignore_case else v) not in hay]
        if missing:
            return Verdict(False, f"{self.field} lacks {', '.join(map(repr, missing))}")
        return _PASS


class NotContains(_FieldRule):
    type: Literal["not_contains"]
    value: Text
    ignore_case: bool = True

    def label(self) -> str:
        return f"{self.field}!~{'+'.join(_listed(self.value))}"[:40]

    def judge_value(self, value: Any, ctx: Context) -> Verdict:
        text = _text(value)
        hay = text.casefold() if self.ignore_case else text
        found = [v for v in _listed(self.value)
                 if (v.casefold() if self.ignore_case else v) in hay]
        if found:
            return Verdict(False, f"{self.field} contains {', '.join(map(repr, found))}")
        return _PASS


class Regex(_FieldRule):
    type: Literal["regex"]
    value: str
    ignore_case: bool = False

    def label(self) -> str:
        return f"{self.field}=~/{self.value}/"[:40]

    def judge_value(self, value: Any, ctx: Context) -> Verdict:
        flags = re.IGNORECASE if self.ignore_case else 0
        if re.search(self.value, _text(value), flags) is None:
            return Verdict(False, f"{self.field} does not match /{self.value}/")
        return _PASS


class Hashtags(_Assertion):
    type: Literal["hashtags"]
    field: str | None = None
    min: int = Field(default=0, ge=0)
    max: int = Field(ge=0)

    def label(self) -> str:
        return f"hashtags {self.min}-{self.max}" if self.min else f"hashtags<={self.max}"

    def evaluate(self, ctx: Context) -> Verdict:
        text = (ctx.all_text() if self.field is None
                else "\n".join(_strings(field_values(ctx.output, self.field))))
        count = len(hashtags_in(text))
        if not self.min <= count <= self.max:
            return Verdict(False, f"{count} hashtags, not {self.min} to {self.max}")
        return _PASS


class LinkEqualsBrief(_FieldRule):
    type: Literal["link_equals_brief"]
    field: str = "link"

    def label(self) -> str:
        return f"{self.field}=brief"

    def judge_value(self, value: Any, ctx: Context) -> Verdict:
        if ctx.brief is None:
            return Verdict(False, "the case has no brief to compare the link with")
        if value != ctx.brief.destination_url:
            return Verdict(False, f"{self.field} is {value!r}, not the brief's "
                                  f"{ctx.brief.destination_url}")
        return _PASS


class NoInventedUrl(_Assertion):
    type: Literal["no_invented_url"]
    fields: list[str] | None = None
    allowed: list[str] = Field(default_factory=list)

    def label(self) -> str:
        return "no invented url"

    def evaluate(self, ctx: Context) -> Verdict:
        allowed = set(self.allowed)
        if ctx.brief is not None:
            allowed.add(ctx.brief.destination_url)
        if self.fields is None and all(
                url in allowed for url in find_urls(ctx.all_text(skip=frozenset(allowed)))):
            return _PASS  # the common case, without building every field's path
        for where, text in _texts(ctx.output, self.fields):
            for url in find_urls(text):
                if url not in allowed:
                    return Verdict(False, f"{where} carries {url!r}, which the brief never gave")
        return _PASS


class GroundedNumbers(_Assertion):
    type: Literal["grounded_numbers"]
    fields: list[str] | None = None

    def label(self) -> str:
        return "grounded numbers"

    def evaluate(self, ctx: Context) -> Verdict:
        if ctx.figures is None:
            return Verdict(False, "the case gives no figures to ground numbers in")
        for where, text in _texts(ctx.output, self.fields):
            bad = ungrounded_numbers(text, ctx.figures)
            if bad:
                return Verdict(False, f"{where} states {', '.join(bad)}, not among the figures")
        return _PASS


class JsonPath(_Assertion):
    type: Literal["json_path"]
    path: str
    exists: bool = True
    equals: Any = None
    min: float | None = None
    max: float | None = None
    matches: str | None = None
    count_min: int | None = Field(default=None, ge=0)
    count_max: int | None = Field(default=None, ge=0)

    def label(self) -> str:
        checks = [f"=={json.dumps(self.equals)}" if self.equals is not None else "",
                  f">={self.min:g}" if self.min is not None else "",
                  f"<={self.max:g}" if self.max is not None else "",
                  f"~/{self.matches}/" if self.matches else "",
                  f" n>={self.count_min}" if self.count_min is not None else "",
                  f" n<={self.count_max}" if self.count_max is not None else ""]
        return (self.path + "".join(checks) if self.exists else f"!{self.path}")[:40]

    def evaluate(self, ctx: Context) -> Verdict:
        values = field_values(ctx.output, self.path)
        if not self.exists:
            return Verdict(not values, f"{self.path} is present" if values else "")
        if not values:
            return Verdict(False, f"{self.path} matches nothing")
        if self.count_min is not None and len(values) < self.count_min:
            return Verdict(False, f"{self.path} matches {len(values)}, under {self.count_min}")
        if self.count_max is not None and len(values) > self.count_max:
            return Verdict(False, f"{self.path} matches {len(values)}, over {self.count_max}")
        for value in values:
            problem = self._problem(value)
            if problem:
                return Verdict(False, f"{self.path}: {problem}")
        return _PASS

    def _problem(self, value: Any) -> str | None:
        if self.equals is not None and value != self.equals:
            return f"{value!r} is not {self.equals!r}"
        if self.min is not None or self.max is not None:
            if not isinstance(value, int | float) or isinstance(value, bool):
                return f"{value!r} is not a number"
            if self.min is not None and value < self.min:
                return f"{value} is under {self.min:g}"
            if self.max is not None and value > self.max:
                return f"{value} is over {self.max:g}"
        if self.matches is not None and re.search(self.matches, _text(value)) is None:
            return f"{_text(value)[:60]!r} does not match /{self.matches}/"
        return None


class Novelty(_FieldRule):
    type: Literal["novelty"]
    field: str = "title"
    threshold: float = Field(default=0.8, gt=0.0, le=1.0)
    titles: list[str] | None = None
    channel: str | None = None
    limit: int = Field(default=50, ge=1, le=1000)

    def label(self) -> str:
        return f"{self.field} novelty<{self.threshold:g}"

    def judge_value(self, value: Any, ctx: Context) -> Verdict:
        recent = self.titles
        if recent is None:
            channel = self.channel or (ctx.brief.channel_id if ctx.brief else None)
            if channel is None or ctx.titles is None:
                return Verdict(False, "cannot compare with the channel's recent titles: no "
                                      "store of drafts (Redis) to read them from; give titles")
            recent = list(ctx.titles(channel, self.limit))
        text = normalise(_text(value))
        found = process.extractOne(text, _normalised(tuple(recent)), scorer=fuzz.ratio)
        best = found[1] / 100 if found is not None else 0.0
        if found is not None and best >= self.threshold:
            closest = recent[found[2]]
            return Verdict(False, f"{self.field} is {best:.2f} similar to {closest!r}", best)
        return Verdict(True, f"closest {best:.2f}" if recent else "no recent titles", best)


@functools.lru_cache(maxsize=64)
def _normalised(titles: tuple[str, ...]) -> list[str]:
    return [normalise(title) for title in titles]


class Rubric(_Assertion):
    type: Literal["rubric"]
    value: str = Field(min_length=1, max_length=2000)
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    template: str = DEFAULT_JUDGE_TEMPLATE

    def label(self) -> str:
        return "rubric: " + self.value[:32]

    def evaluate(self, ctx: Context) -> Verdict:
        if ctx.judge is None:
            return Verdict(False, "no judge model to grade the rubric")
        verdict = ctx.judge(self, ctx.output)
        return Verdict(verdict.score >= self.threshold,
                       f"{verdict.score:.2f}: {verdict.reason}", verdict.score)


Assertion = Annotated[
    MaxLength | MinLength | KeywordWithin | Contains | NotContains | Regex | Hashtags
    | LinkEqualsBrief | NoInventedUrl | GroundedNumbers | JsonPath | Novelty | Rubric,
    Field(discriminator="type"),
]


def _texts(output: Mapping[str, Any], fields: Sequence[str] | None) -> Iterator[tuple[str, str]]:
    if fields is None:
        yield from text_values(output)
        return
    for path in fields:
        for value in field_values(output, path):
            yield from text_values(value, path)


def assertion_key(assertion: Assertion) -> str:
    """Equal assertions (the suite's, repeated for every case) share one key and one column."""
    return assertion.model_dump_json()


def column_names(assertions: Sequence[Assertion]) -> dict[str, str]:
    """Assertion key -> a unique column name (its ``name``, else its label), in order."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for assertion in assertions:
        key = assertion_key(assertion)
        if key in names:
            continue
        base = assertion.name or assertion.label()
        name, n = base, 2
        while name in taken:
            name, n = f"{base} #{n}", n + 1
        names[key] = name
        taken.add(name)
    return names
