"""Run a suite: every case (and repeat) through the template and the model, then its assertions.

The call is the worker's own (``StructuredLLM.generate`` with the task's output model), so the
answer is validated against the schema like a job's; with ``repair: true`` the worker's checks
and its one repair round run too (off by default: a suite judges what the template gets from the
model, before the worker would have patched it up). A failed call (refusal, truncation, a server
error) fails that case run with the error, and the suite goes on.

Answers come from the LLM cache when it has them (the key is the model, the template's hash,
the variables and the output schema, so an edited template is asked again): re-running a suite
costs nothing until something changes. The run reads every case's cached answer ahead in one
round trip when the cache can (``get_many``). Repeat ``n`` (``repeat: N``) is cached apart from
the others, so repeats measure the model's variance instead of hitting the first answer.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from pinterest_agent.agents.llm import LLMCache, LLMError, StructuredLLMBase
from pinterest_agent.agents.llm.cache import keyed_by
from pinterest_agent.agents.llm.schema import strict_schema_json
from pinterest_agent.agents.workbench.assertions import (
    Assertion,
    Context,
    Rubric,
    RubricVerdict,
    TitleSource,
)
from pinterest_agent.agents.workbench.results import AssertionOutcome, CaseRun, Prices, SuiteResult
from pinterest_agent.agents.workbench.suites import Case, Suite
from pinterest_agent.agents.workbench.tasks import OUTPUTS, Prepared, prepare

__all__ = ["RepeatCache", "run_suite"]


class RepeatCache:
    """The cache for repeat ``n`` (> 0) of a case: the same store under other keys."""

    def __init__(self, inner: LLMCache, repeat: int) -> None:
        self._inner = inner
        self._repeat = repeat

    @staticmethod
    def derive(key: str, repeat: int) -> str:
        """Where repeat ``repeat`` of the call keyed ``key`` is stored."""
        return key if repeat == 0 else hashlib.sha256(f"{key}:repeat-{repeat}".encode()).hexdigest()

    def get(self, key: str) -> str | None:
        return self._inner.get(self.derive(key, self._repeat))

    def set(self, key: str, value: str) -> None:
        self._inner.set(self.derive(key, self._repeat), value)


@runtime_checkable
class ReadsMany(Protocol):
    def get_many(self, keys: Sequence[str]) -> list[str | None]: ...


class _ReadAhead:
    """``inner`` with some answers already read (hits and misses); the rest go through."""

    def __init__(self, inner: LLMCache, read: Mapping[str, str | None]) -> None:
        self._inner = inner
        self._read = read

    def get(self, key: str) -> str | None:
        if key in self._read:
            return self._read[key]
        return self._inner.get(key)

    def set(self, key: str, value: str) -> None:
        self._inner.set(key, value)


def run_suite(
    suite: Suite,
    llm: StructuredLLMBase,
    *,
    cache: LLMCache | None,
    templates: str,
    prices: Prices,
    titles: TitleSource | None = None,
    repeat: int | None = None,
    concurrency: int = 1,
    on_run: Callable[[CaseRun], None] | None = None,
    endpoint: str = "",
) -> SuiteResult:
    """Run every case ``repeat`` times (the suite's ``repeat`` by default) with ``llm``'s model
    and templates; ``templates`` says which versions those are, for the report. ``on_run`` is
    called after each case run (a progress bar); ``endpoint`` names the server, for the report.
    A suite that states its own ``recent_titles`` is judged against those, never ``titles``."""
    started_at = datetime.now(UTC)
    started = time.perf_counter()
    for case in suite.cases:
        if case.id not in suite.prepared:
            suite.prepared[case.id] = prepare(suite.task, case)
    prepared: Mapping[str, Prepared] = suite.prepared
    if suite.recent_titles is not None:
        titles = _stated_titles(suite.recent_titles)
    judges = sorted({a.template for case in suite.cases for a in case.assertions
                     if isinstance(a, Rubric)})
    # One version of each template for the whole run (a missing one fails before any call).
    prompts = llm.prompts.pinned([suite.template, *judges])
    template_hash = prompts.hash(suite.template)
    judge_hashes = {name: prompts.hash(name) for name in judges}
    times = repeat or suite.repeat
    jobs = [(case, n) for case in suite.cases for n in range(times)]
    if cache is not None and isinstance(cache, ReadsMany):
        schema_json = strict_schema_json(OUTPUTS[suite.task])
        keys = [RepeatCache.derive(keyed_by(model=llm.model, template_hash=template_hash,
                                            variables=prepared[case.id].variables,
                                            schema_json=schema_json), n)
                for case, n in jobs]
        cache = _ReadAhead(cache, dict(zip(keys, cache.get_many(keys), strict=True)))
    caches = [cache if n == 0 or cache is None else RepeatCache(cache, n) for n in range(times)]
    models = [llm.using(cache=c, prompts=prompts) for c in caches]
    columns = suite.column_of

    def one(job: tuple[Case, int]) -> CaseRun:
        case, n = job
        run = _run_case(suite, case, n, prepared[case.id], models[n], titles, columns)
        if on_run is not None:
            on_run(run)
        return run

    if concurrency > 1 and len(jobs) > 1:
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="eval") as pool:
            runs = list(pool.map(one, jobs))
    else:
        runs = [one(job) for job in jobs]
    return SuiteResult(
        suite=suite.name, source=suite.source, task=suite.task, template=suite.template,
        template_hash=template_hash, templates=templates, judge=judge_hashes, model=llm.model,
        endpoint=endpoint,
        threshold=suite.threshold, repeat=times, columns=list(suite.columns.values()),
        runs=runs, prices=prices, started_at=started_at,
        duration_s=time.perf_counter() - started,
    )


def _stated_titles(stated: Sequence[str]) -> TitleSource:
    """The suite's own recent titles, whatever the channel."""
    def titles(channel: str, limit: int) -> list[str]:
        return list(stated[:limit])
    return titles


def _outcome(assertion: Assertion, column: str, passed: bool, detail: str = "",
             score: float | None = None) -> AssertionOutcome:
    return AssertionOutcome(column, assertion.type, passed, detail, score)


def _run_case(
    suite: Suite, case: Case, repeat: int, prepared: Prepared, llm: StructuredLLMBase,
    titles: TitleSource | None, columns: Mapping[int, str],
) -> CaseRun:
    output_model = OUTPUTS[suite.task]
    try:
        result = llm.generate(
            template=suite.template, variables=prepared.variables, output=output_model,
            check=prepared.check if suite.repair else None,
        )
    except LLMError as exc:
        failed = [_outcome(a, columns[id(a)], False, "no output") for a in case.assertions]
        return CaseRun(case=case.id, repeat=repeat, passed=False, error=str(exc),
                       assertions=failed)
    output = result.value.model_dump(mode="json")
    judge_tokens = [0, 0]

    def judge(rubric: Rubric, answer: Mapping[str, Any]) -> RubricVerdict:
        graded = llm.generate(
            template=rubric.template,
            variables={"rubric": rubric.value, "output": dict(answer), "task": suite.task},
            output=RubricVerdict,
        )
        judge_tokens[0] += graded.input_tokens
        judge_tokens[1] += graded.output_tokens
        return graded.value

    ctx = Context(output=output, brief=prepared.brief, figures=prepared.figures, titles=titles,
                  judge=judge)
    outcomes = []
    for assertion in case.assertions:
        try:
            verdict = assertion.evaluate(ctx)
        except LLMError as exc:  # the judge failed: the rubric is not met
            outcomes.append(_outcome(assertion, columns[id(assertion)], False,
                                     f"judge failed: {exc}"))
            continue
        outcomes.append(_outcome(assertion, columns[id(assertion)], verdict.passed,
                                 verdict.detail, verdict.score))
    return CaseRun.model_construct(
        case=case.id, repeat=repeat, passed=all(o.passed for o in outcomes), output=output,
        assertions=outcomes, input_tokens=result.input_tokens,
        output_tokens=result.output_tokens, judge_input_tokens=judge_tokens[0],
        judge_output_tokens=judge_tokens[1], latency_ms=result.latency_ms,
        cached=result.cached, repaired=result.repaired, error=None,
    )
