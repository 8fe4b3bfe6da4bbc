"""Pin categories on the hand-labelled sets: the rules, a model alone, the worker's combination.

    python benchmarks/categories.py                      # replays the local model's recordings
    python benchmarks/categories.py --model-base-url http://127.0.0.1:8089/v1 [--record]
    python benchmarks/categories.py --sets holdout2 --misses

For each set of ``fixtures/categories`` (``holdout2.jsonl``: 121 Pins labelled before anything
was run on them; ``holdout.jsonl``: 40 written after the rules were tuned; ``pins.jsonl``: the
280 the rules were tuned on) it prints the accuracy of each source, the recall of each category
and the confusion matrices of the first set:

- **rules alone**: ``classify``; also what the worker does with no key (``RuleCategorizer``);
- **local model alone**: the model's own answers, taken from the requests ``LLMCategorizer``
  makes (template ``pin_categories``, ``--batch-size`` Pins a request, the answer check and its
  repair round); a Pin of a batch that failed counts as unanswered (wrong);
- **worker, local model**: ``LLMCategorizer``'s decision (the rules where they are sure, the
  model where they are not and it is trusted), at ``--batch-size`` and at the worker's default
  of 50 Pins a request;
- **stand-in alone / worker, stand-in**: the same with the sandbox's stand-in model as the
  "model" (what the worker does offline with the sandbox's settings: a key and its base URL);
- **worker, a perfect model**: the combination given the labels as the model's answers (no
  request): the most it can reach, since the rules keep the Pins they are sure of.

The local model is asked with the settings ``pinterest-agent model serve`` prints (``json_object``
with the schema, temperature 0, at most 600 output tokens). With ``--model-base-url`` it is asked
live (``--record`` also writes the recordings); without, the recordings of the bundled Gemma 3
270M (``fixtures/cassettes/local_model/gemma-3-270m_categories_*.yaml``) are replayed through the
real ``openai`` client, so the figures are reproducible without a model. The stand-in runs in
process (``SandboxServer``), no recording needed.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import sys
import textwrap
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from pydantic import BaseModel  # noqa: E402

from pinterest_agent.agents.insights.categories import CATEGORIES, Category, classify  # noqa: E402
from pinterest_agent.agents.insights.categorizer import (  # noqa: E402
    DEFAULT_BATCH_SIZE,
    LLMCategorizer,
    PinCategories,
    RuleCategorizer,
)
from pinterest_agent.agents.insights.pin_records import LLM_SOURCE, PinRecord  # noqa: E402
from pinterest_agent.agents.llm import (  # noqa: E402
    LLMResult,
    OpenAIStructuredLLM,
    StructuredLLM,
    make_openai_client,
)
from pinterest_agent.agents.llm.local_server import (  # noqa: E402
    LOCAL_MAX_OUTPUT_TOKENS,
    LOCAL_MODEL_NAME,
    LOCAL_TIMEOUT_S,
)
from pinterest_agent.prompts.loader import PromptLibrary  # noqa: E402
from pinterest_agent.providers.sandbox.server import SandboxServer  # noqa: E402
from tests.categories_fixture import fixture_records, labelled  # noqa: E402
from tests.conftest_llm import (  # noqa: E402
    CASSETTES,
    LOCAL_MODEL_BASE_URL,
    SANDBOX_MODEL,
    TEST_API_KEY,
    llm_vcr,
)

SETS: dict[str, str] = {
    "holdout2": "new hold-out (121)",
    "holdout": "holdout (40)",
    "pins": "pins, tuned on (280)",
}
LOCAL_BATCH_SIZE = 10
"""Pins a request for the local model: what it answers within its 600-token output cap."""
NO_ANSWER = "none"


def cassette(set_name: str, batch_size: int) -> str:
    """The recording of the local model's categories for a set, relative to the cassettes."""
    return f"local_model/gemma-3-270m_categories_{set_name}_batch{batch_size}.yaml"


# -- the model's own answers -------------------------------------------------------------------


@dataclass
class Tap:
    """A ``StructuredLLM`` that passes each request on and keeps the model's own categories, in
    the order the Pins were asked (the categorizer asks them in order)."""

    inner: StructuredLLM
    answers: list[Category] = field(default_factory=list)
    requests: int = 0
    output_tokens: int = 0
    seconds: float = 0.0

    def generate(self, *, template: str, variables: Mapping[str, Any], output: type[Any],
                 check: Callable[[Any], list[str]] | None = None,
                 images: Sequence[str] = ()) -> LLMResult[Any]:
        self.requests += 1
        started = time.perf_counter()
        try:
            result = self.inner.generate(template=template, variables=variables, output=output,
                                         check=check, images=images)
        finally:
            self.seconds += time.perf_counter() - started
        self.output_tokens += result.output_tokens
        value: BaseModel = result.value
        if isinstance(value, PinCategories):
            chosen = {pin.n: pin.category for pin in value.pins}
            self.answers += [chosen[pin["n"]] for pin in variables["pins"]]
        return result


@dataclass
class Oracle:
    """A "model" answering each Pin with its label (the Pins are asked in order)."""

    labels: list[str]
    asked: int = 0

    def generate(self, *, template: str, variables: Mapping[str, Any], output: type[Any],
                 check: Callable[[Any], list[str]] | None = None,
                 images: Sequence[str] = ()) -> LLMResult[Any]:
        count = len(variables["pins"])
        value = PinCategories.model_validate({"pins": [
            {"n": pin["n"], "category": self.labels[self.asked + index]}
            for index, pin in enumerate(variables["pins"])]})
        self.asked += count
        return LLMResult(value=value, template=template, template_hash="", model="labels",
                         input_tokens=0, output_tokens=0, latency_ms=0.0, cached=False,
                         repaired=False)


@dataclass
class Run:
    """One source's guesses for a set (``none`` where the model gave no answer)."""

    guesses: list[str]
    note: str = ""


def model_runs(llm: StructuredLLM, records: list[PinRecord], batch_size: int
               ) -> tuple[Run, Run]:
    """The model alone and the worker's combination, from one ``LLMCategorizer`` run."""
    tap = Tap(llm)
    done = LLMCategorizer(tap, batch_size=batch_size, max_pins=len(records)).categorize(records)
    alone = tap.answers + [NO_ANSWER] * (len(records) - len(tap.answers))
    used = sum(r.category_by == LLM_SOURCE and r.category != r.rules_category for r in done)
    trusted = sum(r.category_by == LLM_SOURCE for r in done)
    timing = ""
    if tap.seconds > 5:  # asked live (a replay takes milliseconds)
        timing = (f"; {tap.seconds / max(tap.requests, 1):.0f} s a request"
                  + (f", {tap.output_tokens / len(tap.answers):.0f} output tokens a Pin"
                     if tap.answers else ""))
    return (Run(alone, f"answered {len(tap.answers)} of {len(records)} in {tap.requests} "
                       f"requests{timing}"),
            Run([r.category or "other" for r in done],
                f"model path trusted for {trusted}; its answer used against the rules on {used}"))


# -- the local model: live, recorded or replayed ------------------------------------------------


def _local_llm(base_url: str, model: str, transport: httpx.BaseTransport | None = None
               ) -> OpenAIStructuredLLM:
    client = make_openai_client(api_key=TEST_API_KEY, base_url=base_url,
                                timeout_s=LOCAL_TIMEOUT_S, max_retries=0, transport=transport)
    return OpenAIStructuredLLM(client, model=model, prompts=PromptLibrary(), mode="json_object",
                               temperature=0.0, max_output_tokens=LOCAL_MAX_OUTPUT_TOKENS)


def _header(name: str, batch_size: int, model: str) -> str:
    text = (f"Recorded from the bundled local model {model} (Gemma 3 270M, Q4_K_M: the GGUF of "
            f"google/gemma-3-270m) on llama-cpp-python's server as `pinterest-agent model "
            f"serve` runs it (Gemma 3's chat arrangement: the system text opens the first user "
            f"turn), by "
            f"benchmarks/categories.py --record: LLMCategorizer on fixtures/categories/"
            f"{name}.jsonl, {batch_size} Pins a request, json_object with the schema, "
            f"temperature 0, at most {LOCAL_MAX_OUTPUT_TOKENS} output tokens.")
    return textwrap.fill(text, width=98, initial_indent="# ", subsequent_indent="# ") + "\n"


@contextlib.contextmanager
def local_model(options: argparse.Namespace, name: str, batch_size: int
                ) -> Iterator[StructuredLLM]:
    path = CASSETTES / cassette(name, batch_size)
    if options.model_base_url is None:
        if not path.is_file():
            raise SystemExit(f"no recording {path.relative_to(ROOT)}: give --model-base-url")
        llm = _local_llm(LOCAL_MODEL_BASE_URL, options.model, httpx.HTTPTransport())
        with llm_vcr().use_cassette(cassette(name, batch_size),
                                    allow_playback_repeats=False) as played:
            yield llm
        if not played.all_played:
            raise SystemExit(f"{path.name}: recorded requests were not asked again (the "
                             "categorizer's requests changed: record again)")
        return
    live = options.model_base_url.rstrip("/")
    if not options.record:
        yield _local_llm(live, options.model)
        return
    recorder = llm_vcr(record_mode="all")
    scrub = recorder.before_record_request

    def rewrite(request: Any) -> Any:
        request.uri = request.uri.replace(live, LOCAL_MODEL_BASE_URL)
        if "host" in request.headers:
            request.headers["host"] = LOCAL_MODEL_BASE_URL.split("/")[2]
        return scrub(request)

    recorder.before_record_request = rewrite
    path.parent.mkdir(exist_ok=True)
    path.unlink(missing_ok=True)
    with recorder.use_cassette(cassette(name, batch_size)):
        yield _local_llm(live, options.model, httpx.HTTPTransport())
    path.write_text(_header(name, batch_size, options.model) + path.read_text())


# -- figures ------------------------------------------------------------------------------------


def accuracy(labels: Sequence[str], guesses: Sequence[str]) -> float:
    return sum(g == label for label, g in zip(labels, guesses, strict=True)) / len(labels)


def recall(labels: Sequence[str], guesses: Sequence[str], category: str) -> float:
    mine = [g for label, g in zip(labels, guesses, strict=True) if label == category]
    return sum(g == category for g in mine) / len(mine) if mine else float("nan")


def confusion(labels: Sequence[str], guesses: Sequence[str]) -> str:
    columns = [*CATEGORIES, NO_ANSWER] if NO_ANSWER in guesses else list(CATEGORIES)
    counts = collections.Counter(zip(labels, guesses, strict=True))
    lines = ["    label \\ guess " + "".join(f"{c:>10}" for c in columns)]
    lines += [f"    {label:<15}" + "".join(f"{counts[(label, g)]:>10}" for g in columns)
              for label in CATEGORIES]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-base-url", help="ask this model live (default: replay)")
    parser.add_argument("--model", default=LOCAL_MODEL_NAME, help="the model's name")
    parser.add_argument("--record", action="store_true",
                        help="with --model-base-url: write the recordings")
    parser.add_argument("--batch-size", type=int, default=LOCAL_BATCH_SIZE)
    parser.add_argument("--sets", nargs="+", choices=list(SETS), default=list(SETS))
    parser.add_argument("--no-default-batch", action="store_true",
                        help="skip the worker's default batch size on the local model")
    parser.add_argument("--misses", action="store_true", help="list each set's misses")
    options = parser.parse_args()
    if options.record and options.model_base_url is None:
        parser.error("--record needs --model-base-url")

    batch = options.batch_size
    sources = ["rules alone (= worker, no key)", f"local model alone ({batch} a request)",
               f"worker, local model ({batch} a request)"]
    if not options.no_default_batch:
        sources.append(f"worker, local model ({DEFAULT_BATCH_SIZE} a request, default)")
    sources += ["stand-in alone (sandbox)", "worker, stand-in (offline demo)",
                "worker, a perfect model (the ceiling)"]
    results: dict[str, dict[str, Run]] = {}
    labels: dict[str, list[str]] = {}
    with SandboxServer() as sandbox:
        client = make_openai_client(api_key=TEST_API_KEY, base_url=f"{sandbox.base_url}/openai/v1",
                                    timeout_s=30, max_retries=0)
        stand_in = OpenAIStructuredLLM(client, model=SANDBOX_MODEL, prompts=PromptLibrary())
        for name in options.sets:
            rows = labelled(f"{name}.jsonl")
            records = fixture_records(f"{name}.jsonl")
            labels[name] = [row["label"] for row in rows]
            runs: list[Run] = [Run([c.category or "other"
                                    for c in RuleCategorizer().categorize(records)])]
            assert runs[0].guesses == [classify(r.title, r.description) for r in records]
            print(f"{name}: the local model, {batch} a request ...", file=sys.stderr, flush=True)
            with local_model(options, name, batch) as llm:
                runs += model_runs(llm, records, batch)
            if not options.no_default_batch:
                print(f"{name}: the local model, {DEFAULT_BATCH_SIZE} a request ...",
                      file=sys.stderr, flush=True)
                with local_model(options, name, DEFAULT_BATCH_SIZE) as llm:
                    runs.append(model_runs(llm, records, DEFAULT_BATCH_SIZE)[1])
            runs += model_runs(stand_in, records, DEFAULT_BATCH_SIZE)
            runs.append(model_runs(Oracle(labels[name]), records, DEFAULT_BATCH_SIZE)[1])
            results[name] = dict(zip(sources, runs, strict=True))

    served = options.model_base_url or f"recordings of {LOCAL_MODEL_BASE_URL}"
    print(f"Pin categories: accuracy by source (local model {options.model}: {served})\n")
    width = max(map(len, sources)) + 2
    print("source".ljust(width) + "".join(f"{SETS[n]:>24}" for n in options.sets))
    for source in sources:
        print(source.ljust(width) + "".join(
            f"{accuracy(labels[n], results[n][source].guesses):>24.1%}" for n in options.sets))
    for name in options.sets:
        print(f"\n{SETS[name]}: recall by category")
        print("source".ljust(width) + "".join(f"{c:>11}" for c in CATEGORIES) + "   notes")
        for source in sources:
            run = results[name][source]
            print(source.ljust(width) + "".join(
                f"{recall(labels[name], run.guesses, c):>11.0%}" for c in CATEGORIES)
                + (f"   {run.note}" if run.note else ""))
    first = options.sets[0]
    print(f"\n{SETS[first]}: confusion (rows: the label, columns: the guess)")
    for source in sources:
        print(f"  {source}")
        print(confusion(labels[first], results[first][source].guesses))
    if options.misses:
        for name in options.sets:
            rows = labelled(f"{name}.jsonl")
            print(f"\n{SETS[name]}: misses of the rules or a worker (label: guesses by "
                  "source, in the order above)")
            checked = [s for s in sources if s.startswith(("rules", "worker"))]
            for index, row in enumerate(rows):
                guesses = [results[name][s].guesses[index] for s in sources]
                if any(results[name][s].guesses[index] != row["label"] for s in checked):
                    print(f"  {row['label']:>9}: {' '.join(f'{g:>9}' for g in guesses)}  "
                          f"{row['title']!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
