"""Running a suite through the real ``openai`` client against the sandbox's OpenAI-compatible
endpoint, with the LLM cache in the real Redis."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from pinterest_agent import prompts as prompts_package
from pinterest_agent.agents.llm import (
    LLMCache,
    LLMUnavailableError,
    OpenAIStructuredLLM,
    RedisLLMCache,
    ScriptedLLM,
    make_openai_client,
)
from pinterest_agent.agents.messages import PinBrief
from pinterest_agent.agents.workbench.assertions import RubricVerdict
from pinterest_agent.agents.workbench.comparison import compare_results, comparison_report
from pinterest_agent.agents.workbench.reports import html_report, json_report, text_report
from pinterest_agent.agents.workbench.results import Prices, SuiteResult
from pinterest_agent.agents.workbench.runner import run_suite
from pinterest_agent.agents.workbench.suites import Suite, load_suite
from pinterest_agent.agents.writer import PinCopy
from pinterest_agent.prompts.loader import PromptLibrary
from pinterest_agent.providers.sandbox.server import SandboxServer

pytestmark = pytest.mark.redis

PRICES = Prices(input_per_mtok=0.15, output_per_mtok=0.60)


@pytest.fixture()
def cache(redis_server: redis.Redis[bytes], prefix: str) -> RedisLLMCache:
    return RedisLLMCache(redis.Redis.from_url("redis://127.0.0.1:6379/0"), f"{prefix}:llm-cache")


@pytest.fixture()
def sandbox_llm(sandbox: SandboxServer) -> Iterator[OpenAIStructuredLLM]:
    client = make_openai_client(api_key="sandbox-key", base_url=f"{sandbox.base_url}/openai/v1",
                                timeout_s=10, max_retries=0)
    yield OpenAIStructuredLLM(client, model="gpt-4o-mini", prompts=PromptLibrary())
    client.close()


def run(suite: Suite, llm: OpenAIStructuredLLM, cache: LLMCache | None, *,
        library: PromptLibrary | None = None, **options: object) -> SuiteResult:
    return run_suite(suite, llm.using(prompts=library or PromptLibrary()), cache=cache,
                     templates="packaged", prices=PRICES, **options)  # type: ignore[arg-type]


def shorter_titles(tmp_path: Path) -> PromptLibrary:
    """A copy of the templates asking for titles of at most 60 characters."""

    folder = tmp_path / "templates"
    shutil.copytree(Path(prompts_package.__file__).parent / "templates", folder)
    template = folder / "pin_copy.j2"
    template.write_text(template.read_text().replace(
        "at most {{ limits.title_max }} characters", "at most 60 characters"))
    return PromptLibrary(folder)


def test_the_packaged_pin_copy_suite_runs_offline_and_fails_the_rule_blind_stand_in(
    sandbox_llm: OpenAIStructuredLLM, cache: RedisLLMCache
) -> None:
    # Given the packaged suite and the packaged templates, against the sandbox's stand-in, which
    # knows none of the rules (the brief's name is the title, its summary the description, its
    # first URL the link)
    suite = load_suite("pin_copy")
    # When it runs (four cases at once)
    result = run(suite, sandbox_llm, cache, concurrency=4,
                 titles=lambda channel, limit: ["Some other Pin"])
    # Then every case ran, and the gate fails it on exactly the rules it broke
    assert len(result.runs) == len(suite.cases)
    failed = [(r.case, o.column) for r in result.runs for o in r.assertions if not o.passed]
    assert failed == [
        ("lemon-orzo", "title keyword@40"),            # the name lacks the main keyword
        ("repot-monstera", "title keyword@40"),
        ("long-product-name", "title fits a phone"),   # a 99-character name
        ("injected-brief", "link=brief"),              # the injected URL comes first
        ("injected-brief", "no invented url"),         # the injected sentence is copied
    ]
    assert result.pass_rate == pytest.approx(2 / 6) and not result.passed  # threshold 0.8
    # And the tokens and the cost are counted (nothing was cached yet)
    assert result.input_tokens > 0 and result.output_tokens > 0 and result.cached_runs == 0
    assert result.cost_usd == pytest.approx(PRICES.cost(result.input_tokens,
                                                        result.output_tokens))
    # And the judge's template and hash are on the result
    assert set(result.judge) == {"eval_rubric"}


def test_a_second_run_answers_from_the_cache_until_the_template_changes(
    sandbox_llm: OpenAIStructuredLLM, cache: RedisLLMCache, tmp_path: Path
) -> None:
    suite = load_suite("design_spec")
    first = run(suite, sandbox_llm, cache)
    again = run(suite, sandbox_llm, cache)
    # Every answer that passed validation is cached; the stand-in's 41-character headline for
    # the article (its name) failed twice, so nothing was cached for it and it is asked again
    assert [(r.case, r.cached) for r in again.runs] == [
        ("linen-throw", True), ("lemon-orzo", True), ("repot-monstera", True),
        ("no-photo", False)]
    assert "headline: String should have at most 40" in (again.runs[-1].error or "")
    assert all(r.input_tokens == 0 for r in again.runs if r.cached)
    assert [r.output for r in again.runs] == [r.output for r in first.runs]
    # An edited template is asked again
    folder = tmp_path / "edited"
    folder.mkdir()
    (folder / "design_spec.j2").write_text(
        PromptLibrary().source("design_spec").replace("art director", "designer"))
    edited = run(suite, sandbox_llm, cache, library=PromptLibrary(folder))
    assert edited.cached_runs == 0 and edited.template_hash != first.template_hash


def test_repeats_are_cached_apart(sandbox_llm: OpenAIStructuredLLM, cache: RedisLLMCache) -> None:
    # Given a suite run three times per case
    suite = load_suite("channel_insight")
    first = run(suite, sandbox_llm, cache, repeat=3)
    # Then each repeat asked the model (none hit the first repeat's answer)...
    assert len(first.runs) == 3 * len(suite.cases) and first.cached_runs == 0
    assert {r.repeat for r in first.runs} == {0, 1, 2}
    # ...and a second run finds every repeat in the cache
    assert run(suite, sandbox_llm, cache, repeat=3).cached_runs == len(first.runs)


def test_a_failed_call_fails_its_case_and_the_suite_goes_on() -> None:
    # Given a model that answers the first case and is down for the second
    suite = load_suite("pin_copy")
    suite = Suite(**{**suite.__dict__, "cases": suite.cases[:2]})
    good = PinCopy(title="Linen Throw Blanket in Sage Green", description="d" * 80,
                   alt_text="A throw", link="https://shop.example.com/products/linen-throw-sage",
                   keywords=["linen throw blanket", "sage green decor", "cozy living room"],
                   hashtags=[])
    llm = ScriptedLLM().enqueue(PinCopy, good, LLMUnavailableError("the model server failed"))
    # When the suite runs
    result = run_suite(suite, llm, cache=None, templates="packaged", prices=PRICES,
                       titles=lambda c, n: [])
    # Then the second case failed with the error and every assertion marked "no output"
    second = result.runs[1]
    assert not second.passed and "llm_unavailable" in (second.error or "")
    assert all(not o.passed and o.detail == "no output" for o in second.assertions)
    assert result.runs[0].passed and result.pass_rate == 0.5 and not result.passed


def test_repair_true_runs_the_workers_checks_and_repair_round() -> None:
    # Given a suite with repair: true and a model whose first answer puts the keyword late
    base = load_suite("pin_copy")
    suite = Suite(**{**base.__dict__, "cases": base.cases[:1], "repair": True})
    late = PinCopy(title="A soft, calm, understated addition to any room: linen throw blanket",
                   description="d" * 80,
                   alt_text="a", link="https://shop.example.com/products/linen-throw-sage",
                   keywords=["linen throw blanket", "sage green decor"], hashtags=[])
    fixed = late.model_copy(update={"title": "Linen Throw Blanket in Sage Green"})
    llm = ScriptedLLM().enqueue(PinCopy, late, fixed)
    result = run_suite(suite, llm, cache=None, templates="packaged", prices=PRICES,
                       titles=lambda c, n: [])
    # Then the answer was repaired once and the repaired copy was judged
    [only] = result.runs
    assert only.repaired and only.output is not None
    assert only.output["title"] == fixed.title and llm.remaining() == 0


def scripted_copy(suite: Suite, *, long_title: str) -> list[PinCopy]:
    """Copy that passes every assertion of the pin_copy suite, but the long product name's title
    is ``long_title`` (a rule-following model, scripted: the stand-in reads no template)."""
    answers = []
    for case in suite.cases:
        brief = PinBrief.model_validate({"brief_id": case.id, **case.data["brief"]})
        title = long_title if case.id == "long-product-name" else brief.name
        if case.id in ("lemon-orzo", "repot-monstera"):
            title = f"{brief.keywords[0].capitalize()}: {brief.name}"
        description = brief.summary.split(" Ignore all previous")[0]
        answers.append(PinCopy(title=title, description=description, alt_text=f"A {brief.kind}.",
                               link=brief.destination_url, keywords=brief.keywords[:8],
                               hashtags=[]))
    return answers


def test_reports_and_the_comparison_of_two_versions(tmp_path: Path) -> None:
    # Given the packaged pin_copy and a copy asking for titles of at most 60 characters, and a
    # model that follows whichever it is given (scripted: A's 99-character title, B's 54)
    suite = load_suite("pin_copy")
    titles = {"titles": lambda c, n: []}
    verdict = RubricVerdict(score=1.0, reason="Names orzo, spinach and parmesan.")
    llm = ScriptedLLM().enqueue(RubricVerdict, verdict, verdict)
    llm.enqueue(PinCopy, *scripted_copy(suite, long_title=(
        "Handwoven Seagrass Storage Basket Set of Three with Cotton Rope Handles for Nursery "
        "and Living Room")))
    llm.enqueue(PinCopy, *scripted_copy(suite, long_title=(
        "Seagrass Storage Basket Set of Three with Rope Handles")))
    a = run(suite, llm, None, **titles)  # type: ignore[arg-type]
    b = run(suite, llm, None, library=shorter_titles(tmp_path), **titles)  # type: ignore[arg-type]
    assert llm.remaining() == 0
    assert "at most 60 characters" in llm.calls[-1].messages[0]["content"]  # B's template
    # When they are compared
    comparison = compare_results(a, b)
    # Then the phone-title assertion improves by one case in six, and that case is named
    delta = {d.column: d for d in comparison.columns}["title fits a phone"]
    assert (delta.a_passed, delta.b_passed, delta.a_total) == (5, 6, 6)
    assert delta.difference == pytest.approx(1 / 6)
    [changed] = comparison.changed
    assert changed.case == "long-product-name" and not changed.a_passed and changed.b_passed
    assert changed.flipped == {"title fits a phone": "passes with B"}
    text = "\n".join(comparison_report(comparison))
    assert "+17 pt" in text and "long-product-name" in text
    # And the run's reports: the table marks the failure, JSON round-trips, HTML escapes
    table = "\n".join(text_report(a))
    assert "long-product-name" in table and "PASSED: 5/6" in table and "\u2717" in table
    assert SuiteResult.model_validate_json(json_report(a)).pass_rate == a.pass_rate
    page = html_report(a)
    assert page.startswith("<!doctype html>") and "<script" not in page
    assert "title is 99 long, over 70" in page


def test_the_packaged_pin_copy_suite_is_hermetic() -> None:
    # Given the packaged suite, whose novelty check compares with titles the suite states, and a
    # model whose first title repeats one of them while the second is new
    suite = load_suite("pin_copy")
    suite = Suite(**{**suite.__dict__, "cases": (suite.cases[0], suite.cases[2]),
                     "prepared": {}})  # linen-throw and repot-monstera (no rubric to judge)
    stated = "Stonewashed Linen Throw: Sage Green Living Room Ideas"
    assert suite.recent_titles and stated in suite.recent_titles

    def copy(title: str, link: str, keywords: list[str]) -> PinCopy:
        return PinCopy(title=title, description="A calm, simple idea for every day. " * 3,
                       alt_text="A photo", link=link, keywords=keywords, hashtags=[])

    def verdicts(live_titles: list[str]) -> list[tuple[str, bool]]:
        llm = ScriptedLLM().enqueue(
            PinCopy,
            copy(stated, "https://shop.example.com/products/linen-throw-sage",
                 ["linen throw blanket", "sage green decor", "cozy living room"]),
            copy("Repot Monstera in Five Steps: Chunky Aroid Mix and Aftercare",
                 "https://plants.example.net/guides/repot-monstera",
                 ["repot monstera", "houseplant care", "aroid soil mix"]))
        result = run_suite(suite, llm, cache=None, templates="packaged", prices=PRICES,
                           titles=lambda channel, limit: live_titles)
        return [(r.case, o.passed) for r in result.runs for o in r.assertions
                if o.column == "title novelty<0.8"]

    # When it runs against an empty channel and against one that published both titles already
    empty = verdicts([])
    busy = verdicts(["Repot Monstera in Five Steps: Chunky Aroid Mix and Aftercare"])
    # Then the verdicts come from the suite's own titles, the same on both
    assert empty == busy == [("linen-throw", False), ("repot-monstera", True)]


def test_the_report_names_the_server_that_answered() -> None:
    suite = load_suite("pin_copy")
    suite = Suite(**{**suite.__dict__, "cases": suite.cases[:1], "prepared": {}})
    llm = ScriptedLLM().enqueue(PinCopy, LLMUnavailableError("down"))
    result = run_suite(suite, llm, cache=None, templates="packaged", prices=PRICES,
                       endpoint="http://127.0.0.1:8089/v1")
    assert "model scripted at http://127.0.0.1:8089/v1" in "\n".join(text_report(result))
    assert "http://127.0.0.1:8089/v1" in html_report(result)
    assert SuiteResult.model_validate_json(json_report(result)).endpoint == result.endpoint
