"""What a suite run produced: one ``CaseRun`` per case and repeat, and the totals a report and
the CI gate read (``SuiteResult.pass_rate``, ``passed``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field

__all__ = ["AssertionOutcome", "CaseRun", "Prices", "SuiteResult"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Prices(_Model):
    """What the model costs, in US dollars per million tokens (the eval's cost estimate)."""

    input_per_mtok: float = Field(ge=0.0)
    output_per_mtok: float = Field(ge=0.0)

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / 1e6


@dataclass(frozen=True, slots=True)
class AssertionOutcome:
    """One assertion on one case run (a plain dataclass: a run makes one per assertion and
    case, and pydantic still serialises and loads it inside ``CaseRun``)."""

    column: str
    type: str
    passed: bool
    detail: str = ""
    score: float | None = None


class CaseRun(_Model):
    case: str
    repeat: int
    passed: bool = Field(description="Every assertion passed (and the call did not fail).")
    error: str | None = None
    output: dict[str, Any] | None = None
    assertions: list[AssertionOutcome]
    input_tokens: int = 0
    output_tokens: int = 0
    judge_input_tokens: int = 0
    judge_output_tokens: int = 0
    latency_ms: float = 0.0
    cached: bool = False
    repaired: bool = False


class SuiteResult(BaseModel):
    """One run of a suite. Its JSON (``prompts eval --json``) also carries the totals below;
    they are recomputed, not read, when it is loaded again."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    suite: str
    source: str
    task: str
    template: str
    template_hash: str
    templates: str = Field(description="Which versions ran: packaged, a folder, or vN.")
    judge: dict[str, str] = Field(default_factory=dict, description="Judge template -> hash.")
    model: str
    endpoint: str = Field(default="", description="The server that answered (a base URL, "
                                                  "OpenAI, or the sandbox's stand-in).")
    threshold: float
    repeat: int
    columns: list[str]
    runs: list[CaseRun]
    prices: Prices
    started_at: datetime
    duration_s: float

    @computed_field  # type: ignore[prop-decorator]
    @property
    def cases_passed(self) -> int:
        return sum(run.passed for run in self.runs)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def pass_rate(self) -> float:
        """Share of case runs that passed every assertion."""
        return self.cases_passed / len(self.runs) if self.runs else 0.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        """The CI gate: the pass rate reaches the suite's threshold."""
        return self.pass_rate >= self.threshold

    @computed_field  # type: ignore[prop-decorator]
    @property
    def input_tokens(self) -> int:
        return sum(run.input_tokens + run.judge_input_tokens for run in self.runs)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def output_tokens(self) -> int:
        return sum(run.output_tokens + run.judge_output_tokens for run in self.runs)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def cost_usd(self) -> float:
        """Estimated from the tokens this run paid for (a cached answer costs nothing)."""
        return self.prices.cost(self.input_tokens, self.output_tokens)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def cached_runs(self) -> int:
        return sum(run.cached for run in self.runs)

    def column_rates(self) -> dict[str, tuple[int, int]]:
        """Column -> (passed, evaluated), in column order."""
        rates = {column: [0, 0] for column in self.columns}
        for run in self.runs:
            for outcome in run.assertions:
                counts = rates.setdefault(outcome.column, [0, 0])
                counts[0] += outcome.passed
                counts[1] += 1
        return {column: (p, n) for column, (p, n) in rates.items()}
