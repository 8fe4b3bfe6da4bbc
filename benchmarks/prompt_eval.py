"""An eval suite of 50 cases with the LLM cache warm, against rendering the same prompts alone
(target: the suite takes at most 2x the rendering: the harness adds little).

    python benchmarks/prompt_eval.py [--rounds 15]

The suite is ``pin_copy`` with 50 generated briefs and the packaged suite's assertions (lengths,
keyword placement, hashtags, the link, invented URLs, clickbait words, keyword count, novelty
against 30 recent titles). It runs once against the local sandbox's OpenAI-compatible endpoint
(in-process, through the real ``openai`` client) to fill the cache in the real Redis
(127.0.0.1:6379, under a throwaway key prefix removed afterwards), then ``rounds`` times with the
cache warm, one case after another: the run validates each case's brief and builds its
variables, reads every cached answer in one round trip, and per case renders the template,
computes the cache key, validates the cached answer and runs the assertions. The baseline makes
the same 50 prompts from the same cases alone: validate the brief, build the variables (the
writer's ``copy_variables``), render. Both are the median of the rounds, interleaved, in this
process (the suite file is loaded once, outside both). Exits 1 when the ratio misses the target.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
import yaml  # noqa: E402

from pinterest_agent.agents.llm import OpenAIStructuredLLM, RedisLLMCache, make_openai_client  # noqa: E402
from pinterest_agent.agents.workbench.results import Prices  # noqa: E402
from pinterest_agent.agents.workbench.runner import run_suite  # noqa: E402
from pinterest_agent.agents.workbench.suites import load_suite  # noqa: E402
from pinterest_agent.agents.workbench.tasks import prepare  # noqa: E402
from pinterest_agent.prompts.loader import PromptLibrary  # noqa: E402
from pinterest_agent.providers.sandbox.server import SandboxServer  # noqa: E402

TARGET = 2.0
CASES = 50
KINDS = ("product", "recipe", "how-to", "article", "other")
SUBJECTS = ("linen throw", "lemon orzo", "monstera repotting", "balcony garden", "oak shelf",
            "ceramic mug", "wool rug", "herb planter", "pasta salad", "reading nook")


def suite_file(folder: Path) -> Path:
    packaged = yaml.safe_load((ROOT / "prompts" / "evals" / "pin_copy.yaml").read_text())
    assertions: list[dict[str, Any]] = [
        a for a in packaged["assert"] if a["type"] != "novelty"]
    assertions.append({"type": "novelty", "field": "title", "threshold": 0.8,
                       "titles": [f"Recent Pin number {n} about home ideas" for n in range(30)]})
    cases = []
    for n in range(CASES):
        subject = SUBJECTS[n % len(SUBJECTS)]
        cases.append({"id": f"case-{n:02d}", "brief": {
            "kind": KINDS[n % len(KINDS)],
            "name": f"{subject.title()} idea {n}: a simple, lovely {subject} for every day",
            "summary": f"A {subject} that works in small homes. Easy to set up in ten minutes "
                       f"and made to last. Variation {n} of the collection.",
            "destination_url": f"https://shop.example.com/p/{subject.replace(' ', '-')}-{n}",
            "keywords": [subject, f"{subject} ideas", "small home"],
            "audience": "people in small homes",
        }})
    suite = {"task": "pin_copy", "threshold": 0.0,
             "defaults": {"brief": {"schema_version": 1, "channel_id": "bench"}},
             "cases": cases, "assert": assertions}
    path = folder / "bench_suite.yaml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    options = parser.parse_args()
    import tempfile

    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    client.ping()
    prefix = f"bench-eval-{uuid.uuid4().hex[:8]}"
    library = PromptLibrary()
    prices = Prices(input_per_mtok=0.15, output_per_mtok=0.60)
    with tempfile.TemporaryDirectory() as tmp, SandboxServer(validate_requests=False) as sandbox:
        suite = load_suite(suite_file(Path(tmp)))
        openai_client = make_openai_client(api_key="sandbox-key",
                                           base_url=f"{sandbox.base_url}/openai/v1")
        cache = RedisLLMCache(client, f"{prefix}:llm-cache")
        llm = OpenAIStructuredLLM(openai_client, model="gpt-4o-mini", prompts=library,
                                  cache=cache)
        try:
            cold = run_suite(suite, llm, cache=cache, templates="packaged", prices=prices)
            assert cold.cached_runs == 0 and len(cold.runs) == CASES

            def render_all() -> None:
                for case in suite.cases:
                    library.render(suite.template, prepare(suite.task, case).variables)

            def eval_all() -> None:
                suite.prepared.clear()  # a fresh run prepares its cases, as the baseline does
                warm = run_suite(suite, llm, cache=cache, templates="packaged", prices=prices)
                assert warm.cached_runs == CASES, warm.cached_runs

            render_all()  # compile the template once, as the first eval round did
            evals, renders = [], []
            for _ in range(options.rounds):  # interleaved, so drift hits both alike
                started = time.perf_counter()
                render_all()
                renders.append(time.perf_counter() - started)
                started = time.perf_counter()
                eval_all()
                evals.append(time.perf_counter() - started)
        finally:
            keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
            if keys:
                client.delete(*keys)
    render_s, eval_s = statistics.median(renders), statistics.median(evals)
    ratio = eval_s / render_s
    print(f"{CASES}-case suite, cache warm: eval {eval_s * 1000:.1f} ms "
          f"({eval_s / CASES * 1000:.2f} ms a case, {len(suite.columns)} assertions each) vs "
          f"making the same prompts alone {render_s * 1000:.1f} ms "
          f"({render_s / CASES * 1000:.2f} ms a prompt); median of {options.rounds} rounds")
    print(f"ratio {ratio:.2f}x, target <= {TARGET:.1f}x: {'met' if ratio <= TARGET else 'MISSED'}")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
