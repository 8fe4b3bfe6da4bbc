"""Two runs of one suite side by side (``prompts compare``): version A against version B.

Per assertion: the pass rate with A and with B and the difference (in percentage points); per
case run: the ones whose verdict changed (passed with one version, failed with the other), with
the assertions that flipped and why; and the totals (pass rate, tokens, estimated cost).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from pinterest_agent.agents.prompting.tables import text_table
from pinterest_agent.agents.workbench.reports import FAIL, PASS
from pinterest_agent.agents.workbench.results import CaseRun, SuiteResult

__all__ = ["ColumnDelta", "SuiteComparison", "VerdictChange", "compare_results",
           "comparison_report"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnDelta(_Model):
    column: str
    a_passed: int
    a_total: int
    b_passed: int
    b_total: int
    a_rate: float | None
    b_rate: float | None
    difference: float | None
    """``b_rate - a_rate`` (fractions)."""


class VerdictChange(_Model):
    case: str
    repeat: int
    a_passed: bool
    b_passed: bool
    flipped: dict[str, str]
    """Column -> what happened (``passes with B``, or B's failure detail)."""


class SuiteComparison(_Model):
    suite: str
    a: SuiteResult
    b: SuiteResult
    columns: list[ColumnDelta]
    changed: list[VerdictChange]

    @property
    def difference(self) -> float:
        return self.b.pass_rate - self.a.pass_rate


def _rate(passed: int, total: int) -> float | None:
    return passed / total if total else None


def compare_results(a: SuiteResult, b: SuiteResult) -> SuiteComparison:
    rates_a, rates_b = a.column_rates(), b.column_rates()
    columns = []
    for column in dict.fromkeys([*rates_a, *rates_b]):
        pa, ta = rates_a.get(column, (0, 0))
        pb, tb = rates_b.get(column, (0, 0))
        ra, rb = _rate(pa, ta), _rate(pb, tb)
        columns.append(ColumnDelta(
            column=column, a_passed=pa, a_total=ta, b_passed=pb, b_total=tb, a_rate=ra,
            b_rate=rb, difference=rb - ra if ra is not None and rb is not None else None,
        ))
    by_key = {(run.case, run.repeat): run for run in a.runs}
    changed = []
    for run_b in b.runs:
        run_a = by_key.get((run_b.case, run_b.repeat))
        if run_a is None or run_a.passed == run_b.passed:
            continue
        changed.append(VerdictChange(case=run_b.case, repeat=run_b.repeat, a_passed=run_a.passed,
                                     b_passed=run_b.passed, flipped=_flipped(run_a, run_b)))
    return SuiteComparison(suite=a.suite, a=a, b=b, columns=columns, changed=changed)


def _flipped(run_a: CaseRun, run_b: CaseRun) -> dict[str, str]:
    outcomes_a = {o.column: o for o in run_a.assertions}
    flipped: dict[str, str] = {}
    if run_a.error != run_b.error:
        flipped["(call)"] = run_b.error or "answers with B"
    for outcome in run_b.assertions:
        before = outcomes_a.get(outcome.column)
        if before is not None and before.passed != outcome.passed:
            flipped[outcome.column] = ("passes with B" if outcome.passed
                                       else f"fails with B: {outcome.detail}")
    return flipped


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.0%}"


def _points(difference: float | None) -> str:
    if difference is None:
        return "-"
    points = difference * 100
    return "0" if abs(points) < 0.05 else f"{points:+.0f} pt"


def comparison_report(comparison: SuiteComparison) -> list[str]:
    a, b = comparison.a, comparison.b
    rows = [["assertion", "A", "B", "B - A"]]
    for delta in comparison.columns:
        rows.append([delta.column, f"{delta.a_passed}/{delta.a_total} {_pct(delta.a_rate)}",
                     f"{delta.b_passed}/{delta.b_total} {_pct(delta.b_rate)}",
                     _points(delta.difference)])
    rows.append(["every assertion (case runs)",
                 f"{a.cases_passed}/{len(a.runs)} {_pct(a.pass_rate)}",
                 f"{b.cases_passed}/{len(b.runs)} {_pct(b.pass_rate)}",
                 _points(comparison.difference)])
    lines = [
        f"suite {a.suite}: A = {a.templates} ({a.template} {a.template_hash}), "
        f"B = {b.templates} ({b.template} {b.template_hash}), model {b.model}",
        "",
        *text_table(rows, right=(1, 2, 3)),
        "",
    ]
    if comparison.changed:
        lines.append("cases whose verdict changed:")
        for change in comparison.changed:
            name = change.case if b.repeat == 1 else f"{change.case}#{change.repeat + 1}"
            lines.append(f"  {name}: {PASS if change.a_passed else FAIL} A -> "
                         f"{PASS if change.b_passed else FAIL} B")
            for column, what in change.flipped.items():
                lines.append(f"    {column}: {what}")
    else:
        lines.append("no case changed its verdict")
    lines += [
        "",
        f"tokens A {a.input_tokens:,} in / {a.output_tokens:,} out (${a.cost_usd:.4f}), "
        f"B {b.input_tokens:,} in / {b.output_tokens:,} out (${b.cost_usd:.4f})",
        f"gate (threshold {b.threshold:.0%}): A {'passes' if a.passed else 'fails'}, "
        f"B {'passes' if b.passed else 'fails'}",
    ]
    return lines
