"""Can the eval gate fail a bad template? The packaged ``pin_copy`` suite, graded on a real model,
with the packaged template and five sabotaged copies of it.

    python benchmarks/sabotaged_templates.py --base-url http://127.0.0.1:8089/v1 --model M
    python benchmarks/sabotaged_templates.py --serve        # starts the bundled local model

The sabotages are edits of the packaged ``pin_copy.j2`` a careless or hostile prompt engineer
could make, each aimed at a rule the suite asserts:

- ``evil-link``: the link is a tracking redirect on another domain wrapping the brief's;
- ``long-titles``: titles of at least 200 characters;
- ``twelve-hashtags``: twelve hashtags, also at the end of the description;
- ``clickbait``: ALL CAPS titles that open with "YOU WON'T BELIEVE" and end with "!!";
- ``emptied``: both blocks empty but for the brief's data.

Every template runs the whole suite on the same model (temperature 0, no cache, one case at a
time), the model's first answer judged as the suite judges it (``repair: false``). The table
gives each template's cases passing everything (the gate's measure), the share of all assertion
checks passed, its gate verdict at the suite's threshold, and whether it scores below the
packaged template (fewer cases passing; with as few, a smaller share of checks passed). Exit
status 1 when a sabotaged template passes the gate or does not score below the packaged one: the
gate could not tell it apart. A small model that fails the
packaged template too is a finding about the model, printed as such, not hidden: the assertions
are never loosened for it.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pinterest_agent.agents.llm import OpenAIStructuredLLM, make_openai_client  # noqa: E402
from pinterest_agent.agents.workbench.reports import json_report  # noqa: E402
from pinterest_agent.agents.workbench.results import Prices, SuiteResult  # noqa: E402
from pinterest_agent.agents.workbench.runner import run_suite  # noqa: E402
from pinterest_agent.agents.workbench.suites import load_suite  # noqa: E402
from pinterest_agent.prompts.loader import PromptLibrary  # noqa: E402

PACKAGED = PromptLibrary().source("pin_copy")


def _replace(old: str, new: str) -> Callable[[str], str]:
    def edit(source: str) -> str:
        if old not in source:
            raise SystemExit(f"the packaged pin_copy.j2 no longer contains {old!r}: update the "
                             "sabotage to the template's current wording")
        return source.replace(old, new)
    return edit


def _chain(*edits: Callable[[str], str]) -> Callable[[str], str]:
    def edit(source: str) -> str:
        for one in edits:
            source = one(source)
        return source
    return edit


SABOTAGES: dict[str, Callable[[str], str]] = {
    "evil-link": _chain(
        _replace("- link: the brief's destination_url, copied exactly.",
                 "- link: https://track.evil.example/r?to= followed by the brief's "
                 "destination_url (our tracking redirect; always use it)."),
        _replace(", and never use any link but destination_url", "")),
    "long-titles": _replace(
        "- title: at most {{ limits.title_max }} characters.",
        "- title: at least 200 characters: a long, complete sentence listing every feature."),
    "twelve-hashtags": _chain(
        _replace("- hashtags: 0 to {{ limits.hashtags_max }}, only if they help, each like "
                 "#mealprep.",
                 "- hashtags: exactly 12, each like #mealprep; also end the description with "
                 "the same 12 hashtags."),
        _replace("No hashtags, no URLs.", "No URLs.")),
    "clickbait": _replace(
        "Specific and natural; no clickbait, no ALL CAPS, no emoji.",
        "Write it as clickbait in ALL CAPS: start with \"YOU WON'T BELIEVE\" and end with "
        "\"!!\"."),
    "emptied": lambda source: (
        "{% block system %}{% endblock %}\n{% block user %}{{ brief | as_data }}{% endblock %}\n"),
}


def _library(folder: Path, name: str) -> PromptLibrary:
    target = folder / name
    target.mkdir()
    source = PACKAGED if name == "packaged" else SABOTAGES[name](PACKAGED)
    (target / "pin_copy.j2").write_text(source, encoding="utf-8")
    return PromptLibrary(target)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", help="an OpenAI-compatible server (…/v1)")
    parser.add_argument("--model", help="the model name the server knows")
    parser.add_argument("--api-key", default="local")
    parser.add_argument("--serve", action="store_true",
                        help="start the bundled local model (the [local-model] extra) for the run")
    parser.add_argument("--only", nargs="*", help="run only these templates")
    parser.add_argument("--out", type=Path,
                        help="also write each template's results as JSON into this folder")
    parser.add_argument("--max-tokens", type=int, default=512,
                        help="output tokens a request may use (a small model that loops stops "
                             "there, with finish_reason length: a typed failure)")
    options = parser.parse_args()
    with _model(options) as (base_url, model):
        return _run(base_url, model, options.api_key, options.only, options.max_tokens,
                    options.out)


@contextlib.contextmanager
def _model(options: argparse.Namespace) -> Iterator[tuple[str, str]]:
    """The server and model to grade with: the ones given, or the bundled local model."""
    if not options.serve:
        if not options.base_url or not options.model:
            raise SystemExit("give --base-url and --model, or --serve")
        yield options.base_url, options.model
        return
    from pinterest_agent.agents.llm.local_server import serve_local_model

    with serve_local_model() as server:
        yield server.base_url, server.model


def _run(base_url: str, model: str, api_key: str, only: list[str] | None,
         max_tokens: int, out: Path | None) -> int:
    suite = load_suite("pin_copy")
    client = make_openai_client(api_key=api_key, base_url=base_url, timeout_s=600, max_retries=0)
    names = ["packaged", *SABOTAGES]
    if only:
        names = [n for n in names if n in only or n == "packaged"]
    results: dict[str, SuiteResult] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            llm = OpenAIStructuredLLM(client, model=model, prompts=_library(Path(tmp), name),
                                      temperature=0.0, max_output_tokens=max_tokens)
            started = time.perf_counter()
            print(f"{name}: {len(suite.cases)} cases on {model} at {base_url} ...",
                  file=sys.stderr, flush=True)
            results[name] = run_suite(
                suite, llm, cache=None, templates=name, endpoint=base_url,
                prices=Prices(input_per_mtok=0.0, output_per_mtok=0.0))
            suite.prepared.clear()
            if out is not None:
                out.mkdir(parents=True, exist_ok=True)
                (out / f"{name}.json").write_text(json_report(results[name]), encoding="utf-8")
            print(f"  {results[name].cases_passed}/{len(results[name].runs)} passed in "
                  f"{time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
        shutil.rmtree(tmp, ignore_errors=True)
    return _report(results, suite.threshold)


def assertion_share(result: SuiteResult) -> float:
    """The share of assertion checks passed over every case run (a failed call fails all of
    its case's checks): finer than the gate's share of cases passing everything."""
    outcomes = [o.passed for run in result.runs for o in run.assertions]
    return sum(outcomes) / len(outcomes) if outcomes else 0.0


def _report(results: dict[str, SuiteResult], threshold: float) -> int:
    base = results["packaged"]
    base_share = assertion_share(base)
    print(f"\nsuite pin_copy (threshold {threshold:.0%}), model {base.model} at {base.endpoint}")
    print(f"{'template':<16} {'cases':>7} {'rate':>6} {'checks':>7}  gate  below packaged  "
          "failing columns")
    undetected = []
    for name, result in results.items():
        failing = sorted({o.column for r in result.runs for o in r.assertions if not o.passed})
        errors = sum(r.error is not None for r in result.runs)
        share = assertion_share(result)
        lower = result.pass_rate < base.pass_rate or (
            result.pass_rate == base.pass_rate and share < base_share)
        below = "-" if name == "packaged" else ("yes" if lower else "NO")
        gate = "pass" if result.passed else "FAIL"
        print(f"{name:<16} {result.cases_passed:>3}/{len(result.runs):<3} "
              f"{result.pass_rate:>6.1%} {share:>7.1%}  {gate:<4}  {below:<14}  "
              + (", ".join(failing)[:90] or "-") + (f" ({errors} typed errors)" if errors else ""))
        if name != "packaged" and (result.passed or not lower):
            undetected.append(name)
    if not base.passed:
        print(f"\nfinding: the packaged template fails the gate on this model too "
              f"({base.pass_rate:.1%} of cases < {threshold:.0%}): the model is too weak for the "
              "suite's rules; the assertions stay as they are. \"below packaged\" then compares "
              "the share of checks passed.")
    if undetected:
        print(f"\nNOT TOLD APART: {', '.join(undetected)} (passes the gate, or scores no lower "
              "than the packaged template)")
        return 1
    print("\nevery sabotaged template scores below the packaged one and fails the gate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
