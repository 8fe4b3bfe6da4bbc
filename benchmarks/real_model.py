"""The LLM half on a real model: each job kind on the bundled local model (or any server), with
the settings ``pinterest-agent model serve`` prints.

    python benchmarks/real_model.py                       # starts the bundled local model
    python benchmarks/real_model.py --base-url URL --model M [--api-key K]
    python benchmarks/real_model.py --copies 10           # more Pin copy jobs (minutes each)

Per job kind (Pin copy, design spec, a categories batch, the weekly insight) it prints the jobs
run, the first-pass guard pass rate (the model's first answer passed every check), the
after-repair pass rate (the one repair round included: what the worker keeps), the typed
failures by code, and input/output tokens and seconds per job. Then it judges every produced Pin
with the independent judge of ``tests/grounding_judge.py`` (no project guard imported): exit
status 1 when a URL, price, number or claim the brief does not state got through a guard.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pinterest_agent.agents.design.designer import design_result  # noqa: E402
from pinterest_agent.agents.design.scene_map import SCENE_MAP  # noqa: E402
from pinterest_agent.agents.insights.categorizer import LLMCategorizer  # noqa: E402
from pinterest_agent.agents.insights.pin_records import LLM_SOURCE  # noqa: E402
from pinterest_agent.agents.insights.writer import InsightDraft  # noqa: E402
from pinterest_agent.agents.llm import (  # noqa: E402
    LLMCallRecord,
    LLMError,
    OpenAIStructuredLLM,
    make_openai_client,
)
from pinterest_agent.agents.llm.local_server import (  # noqa: E402
    LOCAL_MAX_OUTPUT_TOKENS,
    LOCAL_TIMEOUT_S,
)
from pinterest_agent.agents.messages import PinBrief  # noqa: E402
from pinterest_agent.agents.workbench.suites import load_suite  # noqa: E402
from pinterest_agent.agents.workbench.tasks import prepare  # noqa: E402
from pinterest_agent.agents.writer import PinCopy, write_copy  # noqa: E402
from pinterest_agent.prompts.loader import PromptLibrary  # noqa: E402
from tests.categories_fixture import fixture_records  # noqa: E402
from tests.conftest_llm import SAMPLE_BRIEFS, load_brief  # noqa: E402
from tests.grounding_judge import copy_texts, ungrounded  # noqa: E402


@dataclass
class Kind:
    jobs: int = 0
    first_pass: int = 0
    after_repair: int = 0
    failures: collections.Counter[str] = field(default_factory=collections.Counter)
    tokens_in: int = 0
    tokens_out: int = 0
    seconds: float = 0.0


@contextlib.contextmanager
def _server(options: argparse.Namespace) -> Iterator[tuple[str, str]]:
    if options.base_url:
        yield options.base_url, options.model or "local"
        return
    from pinterest_agent.agents.llm.local_server import serve_local_model

    with serve_local_model() as running:
        yield running.base_url, running.model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url")
    parser.add_argument("--model")
    parser.add_argument("--api-key", default="local")
    parser.add_argument("--copies", type=int, default=len(SAMPLE_BRIEFS),
                        help="Pin copy jobs: the sample briefs, then the packaged suite's")
    parser.add_argument("--max-tokens", type=int, default=LOCAL_MAX_OUTPUT_TOKENS)
    options = parser.parse_args()
    briefs = _briefs(options.copies)
    kinds: dict[str, Kind] = collections.defaultdict(Kind)
    leaks: list[str] = []
    with _server(options) as (base_url, model):
        client = make_openai_client(api_key=options.api_key, base_url=base_url,
                                    timeout_s=LOCAL_TIMEOUT_S, max_retries=0)
        current: list[Kind] = []

        def on_call(record: LLMCallRecord) -> None:
            kind = current[-1]
            kind.tokens_in += record.input_tokens
            kind.tokens_out += record.output_tokens

        llm = OpenAIStructuredLLM(client, model=model, prompts=PromptLibrary(),
                                  mode="json_object", temperature=0.0,
                                  max_output_tokens=options.max_tokens, on_call=on_call)
        print(f"{model} at {base_url}; {len(briefs)} copy jobs", file=sys.stderr, flush=True)

        def job(name: str, label: str, run: Callable[[], tuple[bool, list[str]]]) -> None:
            kind = kinds[name]
            current.append(kind)
            started = time.perf_counter()
            try:
                repaired, found = run()
            except LLMError as exc:
                kind.failures[exc.code] += 1
                outcome = exc.code
            except _Fallback:
                kind.failures["rules_fallback"] += 1
                outcome = "rules_fallback"
            else:
                kind.after_repair += 1
                kind.first_pass += not repaired
                leaks.extend(f"{name} {label}: {item}" for item in found)
                outcome = "repaired" if repaired else "ok"
            kind.jobs += 1
            kind.seconds += time.perf_counter() - started
            print(f"  {name} {label}: {outcome} ({time.perf_counter() - started:.0f} s)",
                  file=sys.stderr, flush=True)

        for label, brief in briefs:
            def copy_job(brief: PinBrief = brief) -> tuple[bool, list[str]]:
                result = write_copy(brief, llm)
                return result.llm.repaired, ungrounded(copy_texts(result.copy), brief)
            job("pin copy", label, copy_job)
        for label, brief in briefs[:len(SAMPLE_BRIEFS)]:
            def design_job(brief: PinBrief = brief) -> tuple[bool, list[str]]:
                copy = PinCopy(title=brief.name[:100], description=brief.summary or brief.name,
                               alt_text=brief.name, link=brief.destination_url,
                               keywords=list(brief.keywords[:3]) or [brief.name[:60]],
                               hashtags=[])
                result = design_result(brief, copy, llm, SCENE_MAP["pinterest"])
                return result.llm.repaired, ungrounded([result.spec.headline], brief)
            job("design spec", label, design_job)

        def categories_job() -> tuple[bool, list[str]]:
            records = fixture_records("holdout.jsonl")[:10]
            done = LLMCategorizer(llm, batch_size=10).categorize(records)
            by_model = sum(r.category_by == LLM_SOURCE for r in done)
            if by_model == 0:
                raise _Fallback()
            return False, []
        job("categories", "10 Pins", categories_job)
        suite = load_suite("channel_insight")
        for case in suite.cases:
            def insight_job(case_id: str = case.id) -> tuple[bool, list[str]]:
                prepared = prepare("channel_insight",
                                   next(c for c in suite.cases if c.id == case_id))
                result = llm.generate(template="channel_insight", variables=prepared.variables,
                                      output=InsightDraft, check=prepared.check)
                return result.repaired, []
            job("insight", case.id, insight_job)
    _table(kinds)
    if leaks:
        print("\nLET THROUGH (a guard missed these):\n  " + "\n  ".join(leaks))
        return 1
    print("\nno produced Pin states a URL, price, number or claim its brief does not")
    return 0


class _Fallback(Exception):
    """The categoriser gave the batch to the rules (its typed fallback, logged)."""


def _briefs(count: int) -> list[tuple[str, PinBrief]]:
    briefs = [(name, load_brief(name)) for name in SAMPLE_BRIEFS]
    suite = load_suite("pin_copy")
    for case in suite.cases:
        prepared = prepare("pin_copy", case)
        assert prepared.brief is not None
        briefs.append((case.id, prepared.brief))
    return briefs[:count]


def _table(kinds: dict[str, Kind]) -> None:
    print(f"\n{'job kind':<12} {'jobs':>4} {'first pass':>10} {'after repair':>12} "
          f"{'tokens in/out per job':>22} {'s per job':>9}  typed failures")
    for name, kind in kinds.items():
        n = max(kind.jobs, 1)
        failures = ", ".join(f"{code} {count}" for code, count in kind.failures.items()) or "-"
        print(f"{name:<12} {kind.jobs:>4} {kind.first_pass / n:>10.0%} "
              f"{kind.after_repair / n:>12.0%} "
              f"{kind.tokens_in / n:>11.0f} / {kind.tokens_out / n:<8.0f} "
              f"{kind.seconds / n:>9.1f}  {failures}")


if __name__ == "__main__":
    sys.exit(main())
