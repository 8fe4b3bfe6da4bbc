"""A suite run as a terminal table, JSON, or a standalone HTML page.

The terminal table has one row per case run (``case#2`` for a second repeat) and one numbered
column per assertion (``✓``/``✗``, blank where it does not apply), then tokens, latency and
whether the answer came from the cache; under it, each assertion's name and pass rate, the
failures with their reasons, and the totals: the pass rate against the threshold, tokens and the
estimated cost.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from importlib import resources

from jinja2 import Environment, select_autoescape

from pinterest_agent.agents.prompting.tables import text_table
from pinterest_agent.agents.workbench.results import CaseRun, SuiteResult

__all__ = ["html_report", "json_report", "summary_line", "text_report"]

PASS, FAIL = "\u2713", "\u2717"


def _run_name(run: CaseRun, repeat: int) -> str:
    return run.case if repeat == 1 else f"{run.case}#{run.repeat + 1}"


def summary_line(result: SuiteResult) -> str:
    verdict = "PASSED" if result.passed else "FAILED"
    return (f"{verdict}: {result.cases_passed}/{len(result.runs)} case runs passed every "
            f"assertion ({result.pass_rate:.1%}), threshold {result.threshold:.0%}")


def text_report(result: SuiteResult) -> list[str]:
    numbers = {column: str(i) for i, column in enumerate(result.columns, start=1)}
    header = ["case", *numbers.values(), "in", "out", "ms", "cache"]
    rows: list[list[str]] = [header]
    for run in result.runs:
        marks = {o.column: PASS if o.passed else FAIL for o in run.assertions}
        rows.append([
            _run_name(run, result.repeat) + ("" if run.error is None else " (error)"),
            *(marks.get(column, "") for column in result.columns),
            f"{run.input_tokens + run.judge_input_tokens:,}",
            f"{run.output_tokens + run.judge_output_tokens:,}",
            f"{run.latency_ms:.0f}", "hit" if run.cached else "",
        ])
    width = len(header)
    lines = [
        f"suite {result.suite} ({result.source}): template {result.template} "
        f"{result.template_hash} [{result.templates}], model {result.model}"
        + (f" at {result.endpoint}" if result.endpoint else ""),
        "",
        *text_table(rows, right=range(width - 4, width - 1)),
        "",
        "assertions:",
    ]
    for column, (passed, total) in result.column_rates().items():
        rate = f"{passed / total:.0%}" if total else "-"
        lines.append(f"  {numbers.get(column, '?'):>2}  {column}  {passed}/{total} {rate}")
    failures = [(run, o) for run in result.runs for o in run.assertions if not o.passed]
    errors = [run for run in result.runs if run.error is not None]
    if failures or errors:
        lines += ["", "failures:"]
        for run in errors:
            lines.append(f"  {_run_name(run, result.repeat)}: {run.error}")
        for run, outcome in failures:
            if run.error is None:
                lines.append(f"  {_run_name(run, result.repeat)} / {outcome.column}: "
                             f"{outcome.detail}")
    latencies = [run.latency_ms for run in result.runs if run.error is None]
    lines += [
        "",
        f"tokens {result.input_tokens:,} in / {result.output_tokens:,} out, estimated cost "
        f"${result.cost_usd:.4f} (at ${result.prices.input_per_mtok:g} / "
        f"${result.prices.output_per_mtok:g} per 1M tokens); {result.cached_runs}/"
        f"{len(result.runs)} answers from the cache (free)",
        f"latency p50 {_median(latencies):.0f} ms, max {max(latencies, default=0):.0f} ms; "
        f"ran in {result.duration_s:.2f} s",
        summary_line(result),
    ]
    return lines


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def json_report(result: SuiteResult) -> str:
    return result.model_dump_json(indent=2)



_ENV = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
_HTML = resources.files("pinterest_agent.agents.workbench").joinpath("report.html.j2")


def html_report(result: SuiteResult) -> str:
    """One self-contained HTML page (no scripts, no external files); every value escaped."""
    return _ENV.from_string(_HTML.read_text(encoding="utf-8")).render(
        r=result, summary=summary_line(result), rates=result.column_rates(),
        names=[_run_name(run, result.repeat) for run in result.runs],
        outcomes=[{o.column: o for o in run.assertions} for run in result.runs],
    )
