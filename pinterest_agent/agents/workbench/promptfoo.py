"""Export a suite for promptfoo: its config, a Python prompt function and Python assertions that
run this project's own code, so a team already on promptfoo runs the same templates and checks.

``export_promptfoo(suite, library, out_dir)`` writes::

    promptfooconfig.yaml   prompts: file://prompt.py:render; the provider with the task's strict
                           JSON schema as response_format; one test per case with its variables;
                           the assertions (rubric -> promptfoo's llm-rubric, every other one ->
                           a Python assertion in asserts.py), plus is-json
    prompt.py              render(context): the two chat messages, rendered by this project's
                           Jinja2 loader (prompts.loader.PromptLibrary) from templates/
    templates/NAME.j2      the exact template version the suite ran with
    asserts.py             assert_N(output, context): agents.workbench.assertions on the output
    assertions.json        the assertion specs asserts.py evaluates
    README.md              how to run it

promptfoo renders with Nunjucks; here it only calls the Python function, so the Jinja2 template
is rendered exactly as the worker renders it. The Python side needs this project installed
(``pip install pinterest-agent-worker``) in the interpreter promptfoo uses (``PROMPTFOO_PYTHON``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter

from pinterest_agent.agents.insights.models import FigureValue
from pinterest_agent.agents.llm import response_format
from pinterest_agent.agents.messages import PinBrief
from pinterest_agent.agents.workbench.assertions import (
    Assertion,
    Context,
    Novelty,
    Rubric,
    TitleSource,
)
from pinterest_agent.agents.workbench.suites import Suite
from pinterest_agent.agents.workbench.tasks import OUTPUTS, prepare
from pinterest_agent.prompts.loader import PromptLibrary

__all__ = ["CASE_VAR", "export_promptfoo", "grade"]

CASE_VAR = "workbench_case"
"""The test variable carrying what assertions need (the brief, the figures); not rendered."""
_ADAPTER: TypeAdapter[Assertion] = TypeAdapter(Assertion)

_PROMPT_PY = '''"""promptfoo prompt function: {template}, rendered by pinterest-agent's loader."""

import json
from pathlib import Path

from prompts.loader import PromptLibrary

LIBRARY = PromptLibrary(Path(__file__).parent / "templates")


def render(context):
    variables = {{k: v for k, v in context["vars"].items() if k != "{case_var}"}}
    prompt = LIBRARY.render("{template}", variables)
    return json.dumps([
        {{"role": "system", "content": prompt.system}},
        {{"role": "user", "content": prompt.user}},
    ])
'''

_ASSERTS_HEADER = '''"""promptfoo Python assertions: pinterest-agent's eval assertions."""

import json
from pathlib import Path

from agents.workbench.promptfoo import grade

SPECS = json.loads((Path(__file__).parent / "assertions.json").read_text(encoding="utf-8"))
'''

_README = """# {suite} for promptfoo

Exported by `pinterest-agent prompts export-promptfoo`. Run it with this project installed in
the Python promptfoo uses:

```bash
export PROMPTFOO_PYTHON=$(which python)      # the interpreter with pinterest-agent-worker
export OPENAI_API_KEY=...                    # or set apiBaseUrl in promptfooconfig.yaml
npx promptfoo@latest eval --repeat {repeat}
```

`templates/{template}.j2` is the template version exported ({hash}); `prompt.py` renders
it with the project's Jinja2 loader, and `asserts.py` runs the project's assertions. promptfoo
fails the run on any failed test; the suite's own gate is a pass rate of {threshold:.0%}
(`pinterest-agent prompts eval {suite}` applies it).
"""


def export_promptfoo(
    suite: Suite,
    library: PromptLibrary,
    out_dir: Path,
    *,
    model: str,
    titles: TitleSource | None = None,
    base_url: str | None = None,
) -> list[Path]:
    """Write the promptfoo project for ``suite`` (templates from ``library``) into ``out_dir``;
    returns the files written. ``titles`` fills novelty assertions' recent titles (promptfoo has
    no Redis to read them from)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "templates").mkdir(exist_ok=True)
    written: list[Path] = []

    def write(name: str, text: str) -> None:
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)

    write(f"templates/{suite.template}.j2", library.source(suite.template))
    specs: list[dict[str, Any]] = []
    index_of: dict[str, int] = {}

    def mapped(assertion: Assertion, case_brief: PinBrief | None) -> dict[str, Any]:
        if isinstance(assertion, Rubric):
            return {"type": "llm-rubric", "value": assertion.value,
                    "threshold": assertion.threshold}
        if isinstance(assertion, Novelty) and assertion.titles is None:
            channel = assertion.channel or (case_brief.channel_id if case_brief else None)
            recent = list(titles(channel, assertion.limit)) if titles and channel else []
            assertion = assertion.model_copy(update={"titles": recent})
        spec = assertion.model_dump(mode="json", exclude_none=True)
        key = json.dumps(spec, sort_keys=True)
        if key not in index_of:
            index_of[key] = len(specs)
            specs.append(spec)
        return {"type": "python", "value": f"file://asserts.py:assert_{index_of[key]}",
                "metric": assertion.name or assertion.label()}

    tests = []
    for case in suite.cases:
        prepared = prepare(suite.task, case)
        case_data: dict[str, Any] = {}
        if prepared.brief is not None:
            case_data["brief"] = prepared.brief.model_dump(mode="json", exclude_none=True)
        if prepared.figures is not None:
            case_data["figures"] = dict(prepared.figures)
        test_vars = _jsonable(prepared.variables)
        test_vars[CASE_VAR] = case_data
        tests.append({
            "description": case.id,
            "vars": test_vars,
            "assert": [mapped(a, prepared.brief) for a in case.assertions],
        })
    provider: dict[str, Any] = {
        "id": f"openai:chat:{model}",
        "config": {"response_format": response_format(OUTPUTS[suite.task])},
    }
    if base_url:
        provider["config"]["apiBaseUrl"] = base_url
    config = {
        "description": suite.description or f"{suite.name} (pinterest-agent)",
        "prompts": ["file://prompt.py:render"],
        "providers": [provider],
        "defaultTest": {"assert": [{"type": "is-json"}]},
        "tests": tests,
    }
    write("promptfooconfig.yaml",
          "# Exported by `pinterest-agent prompts export-promptfoo`; see README.md.\n"
          + yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=100))
    write("prompt.py", _PROMPT_PY.format(template=suite.template, case_var=CASE_VAR))
    write("assertions.json", json.dumps(specs, indent=2))
    functions = [f"\n\ndef assert_{i}(output, context):\n    return grade(SPECS[{i}], output, "
                 "context)\n" for i in range(len(specs))]
    write("asserts.py", _ASSERTS_HEADER + "".join(functions))
    write("README.md", _README.format(suite=suite.name, threshold=suite.threshold,
                                      repeat=suite.repeat, template=suite.template,
                                      hash=library.hash(suite.template)))
    return written


def _jsonable(variables: Mapping[str, Any]) -> dict[str, Any]:
    return dict(json.loads(json.dumps(dict(variables), default=str)))


def grade(spec: Mapping[str, Any], output: str, context: Mapping[str, Any]) -> dict[str, Any]:
    """One exported assertion on one promptfoo output: ``{"pass", "score", "reason"}``."""
    assertion = _ADAPTER.validate_python(spec)
    try:
        answer = json.loads(output)
    except (TypeError, ValueError):
        return {"pass": False, "score": 0.0, "reason": "the output is not JSON"}
    if not isinstance(answer, dict):
        return {"pass": False, "score": 0.0, "reason": "the output is not a JSON object"}
    case = (context.get("vars") or {}).get(CASE_VAR) or {}
    brief = PinBrief.model_validate(case["brief"]) if case.get("brief") else None
    figures: Mapping[str, FigureValue] | None = case.get("figures")
    verdict = assertion.evaluate(Context(output=answer, brief=brief, figures=figures))
    score = verdict.score if verdict.score is not None else float(verdict.passed)
    return {"pass": verdict.passed, "score": score,
            "reason": verdict.detail or ("passed" if verdict.passed else "failed")}
