"""The real-model tier: the bundled local model (Gemma 3 270M on llama.cpp's server, started
once for this module on a free loopback port) through the real ``openai`` client, with the
settings ``pinterest-agent model serve`` prints.

It judges the LLM half against a model nobody here wrote: each job ends either with output that
passes every guard (after the one repair round) or with a typed ``LLMError``, never an untyped
exception; and the judge below, written apart from the project's guards (it imports none of
them), checks that no URL, price, number or claim the brief does not state reaches a Pin. A small
model failing the guards is a finding (a typed failure), never a reason to loosen them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from pinterest_agent.agents.design.designer import design_result
from pinterest_agent.agents.design.scene_map import SCENE_MAP
from pinterest_agent.agents.insights.categorizer import LLMCategorizer
from pinterest_agent.agents.insights.writer import InsightDraft
from pinterest_agent.agents.llm import LLMError, OpenAIStructuredLLM, make_openai_client
from pinterest_agent.agents.llm.local_server import LocalModel, local_model_env, serve_local_model
from pinterest_agent.agents.workbench.suites import load_suite
from pinterest_agent.agents.workbench.tasks import prepare
from pinterest_agent.agents.writer import PinCopy, write_copy
from pinterest_agent.prompts.loader import PromptLibrary
from pinterest_agent.queues.entry.cli import main
from pinterest_agent.queues.settings import Settings
from tests.categories_fixture import fixture_records
from tests.conftest_llm import SAMPLE_BRIEFS, load_brief
from tests.grounding_judge import copy_texts, ungrounded

pytestmark = [pytest.mark.real_model, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def local_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalModel]:
    log_file = tmp_path_factory.mktemp("local-model") / "server.log"
    with serve_local_model(log_file=log_file) as model:
        yield model


@pytest.fixture(scope="module")
def settings(local_model: LocalModel) -> Settings:
    """The settings `model serve` prints, read as the worker reads its environment."""
    env = local_model_env(local_model)
    fields = {name.removeprefix("PINTEREST_AGENT_").lower(): value for name, value in env.items()}
    return Settings.model_validate(fields)


def real_llm(settings: Settings) -> OpenAIStructuredLLM:
    """The model as the worker's runtime builds it from *settings*."""
    key = settings.openai_api_key
    assert key is not None
    client = make_openai_client(api_key=key.get_secret_value(), base_url=settings.openai_base_url,
                                timeout_s=settings.openai_timeout_s, max_retries=0)
    return OpenAIStructuredLLM(client, model=settings.openai_model, prompts=PromptLibrary(),
                               mode=settings.openai_output_mode,
                               max_output_tokens=settings.openai_max_output_tokens,
                               temperature=settings.openai_temperature)


def test_the_judge_catches_what_a_model_invents() -> None:
    brief = load_brief("product")
    assert ungrounded(["Linen throw, 130 x 170 cm", brief.destination_url], brief) == []
    caught = ungrounded(["Eco-friendly cotton, made in USA, now $19.99 at deals.example.com"],
                        brief)
    assert {c.split()[0] for c in caught} == {"url", "price", "number", "claim"}


# -- the tier ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLE_BRIEFS)
def test_the_writer_ends_in_guarded_copy_or_a_typed_failure(
    settings: Settings, name: str
) -> None:
    brief = load_brief(name)
    try:
        result = write_copy(brief, real_llm(settings))
    except LLMError as exc:  # a weak model's honest failure: typed, with its code
        assert exc.code.startswith("llm_"), exc
        return
    copy = result.copy
    assert copy.link == brief.destination_url
    assert len(copy.title) <= 100
    assert ungrounded(copy_texts(copy), brief) == [], copy


def test_with_trends_offered_every_keyword_comes_from_the_brief_or_the_trends(
    settings: Settings,
) -> None:
    from pinterest_agent.agents.messages import TrendKeyword
    from pinterest_agent.agents.writer import keyword_source

    offered = [TrendKeyword(keyword="sage green bedroom ideas", trend_type="growing",
                            region="US", pct_growth_wow=12.0, pct_growth_mom=48.0),
               TrendKeyword(keyword="linen bedding", trend_type="growing", region="US",
                            pct_growth_mom=30.0)]
    brief = load_brief("product").model_copy(update={"trend_keywords": offered})
    try:
        result = write_copy(brief, real_llm(settings))
    except LLMError as exc:  # e.g. an invented keyword sent back twice: typed, with its code
        assert exc.code.startswith("llm_"), exc
        return
    assert all(keyword_source(keyword, brief) is not None for keyword in result.copy.keywords), \
        result.copy.keywords
    assert ungrounded(copy_texts(result.copy), brief) == [], result.copy


def test_the_designer_ends_in_a_guarded_spec_or_a_typed_failure(settings: Settings) -> None:
    brief = load_brief("recipe")
    copy = PinCopy(title="One-Pot Lemon Garlic Orzo", description="Creamy lemon garlic orzo.",
                   alt_text="A pot of orzo", link=brief.destination_url,
                   keywords=[k for k in brief.keywords[:3]] or ["orzo"], hashtags=[])
    try:
        result = design_result(brief, copy, real_llm(settings), SCENE_MAP["pinterest"])
    except LLMError as exc:
        assert exc.code.startswith("llm_"), exc
        return
    assert ungrounded([result.spec.headline], brief) == [], result.spec


def test_the_categoriser_gives_every_pin_a_category(settings: Settings) -> None:
    records = fixture_records("holdout.jsonl")[:6]
    categorised = LLMCategorizer(real_llm(settings), batch_size=6).categorize(records)
    assert [r.id for r in categorised] == [r.id for r in records]
    assert all(r.category in {"recipe", "how-to", "product", "lifestyle", "other"}
               for r in categorised)


def test_the_insight_writer_ends_in_a_grounded_draft_or_a_typed_failure(
    settings: Settings
) -> None:
    suite = load_suite("channel_insight")
    prepared = prepare("channel_insight", suite.cases[0])
    try:
        result = real_llm(settings).generate(template="channel_insight",
                                             variables=prepared.variables,
                                             output=InsightDraft, check=prepared.check)
    except LLMError as exc:
        assert exc.code.startswith("llm_"), exc
        return
    assert prepared.check(result.value) == []  # the writer's own grounding, after the repair


def test_prompts_eval_grades_the_real_model_and_names_it(
    settings: Settings, local_model: LocalModel, tmp_path: Path
) -> None:
    # A two-case copy of the packaged suite (a few minutes on one core)
    packaged = (ROOT / "pinterest_agent" / "prompts" / "evals" / "pin_copy.yaml").read_text()
    spec = yaml.safe_load(packaged)
    spec["cases"] = [c for c in spec["cases"] if c["id"] in ("linen-throw", "injected-brief")]
    (tmp_path / "two.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    env = {**local_model_env(local_model), "PINTEREST_AGENT_LLM_CACHE": "false"}
    result = CliRunner().invoke(main, ["prompts", "eval", str(tmp_path / "two.yaml"),
                                       "--concurrency", "1", "--json", str(tmp_path / "r.json")],
                                env=env, catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output  # the gate's verdict, never a crash
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["model"] == local_model.model and report["endpoint"] == local_model.base_url
    for run in report["runs"]:
        assert run["error"] is None or "[llm_" in run["error"]
