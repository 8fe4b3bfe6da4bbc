"""Content categories on hand-labelled Pins: the rules, and the worker's decision with a model.

``fixtures/categories/pins.jsonl`` (280 Pins, written for these tests and labelled by meaning; the
rules were tuned on it), ``holdout.jsonl`` (40 Pins written after the tuning, never tuned on) and
``holdout2.jsonl`` (121 Pins labelled before anything was run on them, never tuned on). A failing
accuracy test prints its confusion matrix and every Pin it got wrong.

The worker's decision is replayed from two kinds of recording: the sandbox's stand-in model
(``fixtures/cassettes/categories_fixture.yaml``, ``python fixtures/cassettes/record.py``), a
keyword list of its own, and a real model, the bundled Gemma 3 270M
(``fixtures/cassettes/local_model/gemma-3-270m_categories_*.yaml``,
``python benchmarks/categories.py --model-base-url ... --record``). On every set the worker's
decision must be at least as good as the rules alone.
"""

from __future__ import annotations

from collections import Counter

import httpx
import pytest

from pinterest_agent.agents.insights.categories import (
    CATEGORIES,
    RULES_VERSION,
    Category,
    classify,
    verdict,
)
from pinterest_agent.agents.insights.categorizer import DEFAULT_SURE_LEAD, LLMCategorizer
from pinterest_agent.agents.llm import OpenAIStructuredLLM, make_openai_client
from pinterest_agent.agents.llm.local_server import LOCAL_MAX_OUTPUT_TOKENS, LOCAL_MODEL_NAME
from pinterest_agent.prompts.loader import PromptLibrary
from pinterest_agent.providers.sandbox.server import SandboxServer
from tests.categories_fixture import fixture_records, labelled
from tests.conftest_llm import LOCAL_MODEL_BASE_URL, SANDBOX_MODEL, TEST_API_KEY, llm_vcr, replay

RULES_ON_HOLDOUT2 = 89 / 121
"""The rules on ``holdout2.jsonl`` when it was first measured (73.6%), after it was committed."""


def confusion(rows: list[dict[str, str]], guesses: list[Category]) -> str:
    """A confusion matrix (rows: the label, columns: the guess) and the misses, as text."""
    counts = Counter((row["label"], guess) for row, guess in zip(rows, guesses, strict=True))
    width = max(len(c) for c in CATEGORIES) + 2
    lines = ["label \\ guess".ljust(width + 4) + "".join(c.rjust(width) for c in CATEGORIES)]
    for label in CATEGORIES:
        lines.append(label.ljust(width + 4)
                     + "".join(str(counts[(label, guess)]).rjust(width) for guess in CATEGORIES))
    lines += [f"  {row['label']:>9} -> {guess:<9} {row['title']!r}"
              for row, guess in zip(rows, guesses, strict=True) if guess != row["label"]]
    return "\n".join(lines)


def accuracy(rows: list[dict[str, str]], guesses: list[Category]) -> float:
    return sum(g == r["label"] for r, g in zip(rows, guesses, strict=True)) / len(rows)


def test_the_fixtures_cover_every_category_and_are_big_enough() -> None:
    rows = labelled("pins.jsonl")
    assert len(rows) >= 200
    counts = Counter(row["label"] for row in rows)
    assert set(counts) == set(CATEGORIES) and min(counts.values()) >= 40
    assert len({row["title"] for row in rows}) == len(rows)
    held_out = labelled("holdout.jsonl")
    assert not {row["title"] for row in held_out} & {row["title"] for row in rows}
    later = labelled("holdout2.jsonl")
    assert len(later) >= 100 and len({row["title"] for row in later}) == len(later)
    assert min(Counter(row["label"] for row in later).values()) >= 20
    assert not {row["title"] for row in later} & {row["title"] for row in rows + held_out}


@pytest.mark.parametrize(
    ("title", "description", "category"),
    [
        # The two Pins the independent check found counted as recipes ("sourdough" came first)
        ("DIY Sourdough Wall Art", None, "how-to"),
        ("How to Make a Sourdough Planter", None, "how-to"),
        ("DIY Sourdough Wall Art", "A linocut print of a bread-scoring pattern.", "how-to"),
        # Making food is still a recipe, with or without the word
        ("How to Make Sourdough Bread at Home", "Flour, water, salt; baked in a Dutch oven.",
         "recipe"),
        ("Creamy Tuscan Chicken in 30 Minutes", "Sun-dried tomatoes in a garlicky cream sauce.",
         "recipe"),
        # Food words in product names and in crafts
        ("Lemon Verbena Soy Candle", "Hand-poured. Now $24.", "product"),
        ("Cookie Dough Scented Candle", "Smells like cookies in the oven. Only a few left.",
         "product"),
        ("Salt Dough Handprint Ornaments", "Flour, salt and water, painted by little hands.",
         "how-to"),
        ("How to Season a Cast Iron Skillet", "Oil it thinly and bake it upside down.", "how-to"),
        ("Recipe Contest Winners Announced", "Three winners from 400 entries.", "other"),
    ],
)
def test_intent_phrases_weigh_over_topic_words(
    title: str, description: str | None, category: Category
) -> None:
    assert classify(title, description) == category


def test_the_rules_categorise_the_hand_labelled_pins_at_95_percent_or_better() -> None:
    # Given 280 hand-labelled Pins across the five categories
    rows = labelled("pins.jsonl")
    # When the rules categorise them
    guesses = [classify(row["title"], row["description"]) for row in rows]
    # Then at least 95% are right (98.9% when written)
    score = accuracy(rows, guesses)
    print(f"\nrules on pins.jsonl: {score:.1%} of {len(rows)}")
    assert score >= 0.95, f"rules accuracy {score:.1%}\n{confusion(rows, guesses)}"


def test_the_rules_on_pins_they_were_not_tuned_on() -> None:
    # Given 40 Pins written after the rules were tuned, never used to tune them
    rows = labelled("holdout.jsonl")
    guesses = [classify(row["title"], row["description"]) for row in rows]
    # Then the rules do no worse than when this set was written (70%): keyword rules generalise
    # poorly, which is why the model decides where one is configured
    score = accuracy(rows, guesses)
    print(f"\nrules on holdout.jsonl: {score:.1%} of {len(rows)}\n{confusion(rows, guesses)}")
    assert score >= 0.70, f"rules accuracy {score:.1%}\n{confusion(rows, guesses)}"


def test_the_sandbox_stand_in_is_not_trusted_with_the_pins_the_rules_are_unsure_of() -> None:
    # Given the 280 hand-labelled Pins and the recorded answers of the sandbox's stand-in model
    # (a keyword list of its own, right on 72.9% of them)
    rows = labelled("pins.jsonl")
    records = fixture_records("pins.jsonl")
    # When the model path categorises them (50 Pins a request: 6 requests)
    with replay("categories_fixture") as llm:
        done = LLMCategorizer(llm, max_pins=len(records)).categorize(records)
    # Then every Pin was decided, in order, with the rules' answer kept
    assert [r.id for r in done] == [r.id for r in records]
    assert [r.rules_category for r in done] == [classify(r.title, r.description) for r in done]
    # And the stand-in agreed with the rules on too few of the Pins they are sure of (75%, under
    # the 80% a model needs), so the rules decided every Pin: the offline demo's categories are
    # the rules', not a keyword list's
    assert {r.category_by for r in done} == {RULES_VERSION}
    guesses: list[Category] = [r.category or "other" for r in done]
    assert guesses == [classify(row["title"], row["description"]) for row in rows]


def test_the_rules_on_pins_labelled_before_anything_ran_on_them() -> None:
    # Given 121 Pins written and labelled after the rules were tuned, before any run on them
    rows = labelled("holdout2.jsonl")
    guesses = [classify(row["title"], row["description"]) for row in rows]
    # Then the rules do no worse than when the set was first measured (73.6%)
    score = accuracy(rows, guesses)
    print(f"\nrules on holdout2.jsonl: {score:.1%} of {len(rows)}\n{confusion(rows, guesses)}")
    assert score >= RULES_ON_HOLDOUT2 - 1e-9, f"rules accuracy {score:.1%}"
    # And where the rules are sure they are right far more often than where they are not,
    # which is what lets a model decide only the unsure Pins
    sure = [(row, g) for row, g in zip(rows, guesses, strict=True)
            if verdict(row["title"], row["description"]).lead >= DEFAULT_SURE_LEAD]
    unsure = [(row, g) for row, g in zip(rows, guesses, strict=True)
              if verdict(row["title"], row["description"]).lead < DEFAULT_SURE_LEAD]
    right = [sum(row["label"] == g for row, g in part) / len(part) for part in (sure, unsure)]
    assert right[0] > 0.8 > 0.5 > right[1], right


def local_model_replay() -> OpenAIStructuredLLM:
    """The bundled local model's recorded answers, asked as they were recorded."""
    client = make_openai_client(api_key=TEST_API_KEY, base_url=LOCAL_MODEL_BASE_URL,
                                timeout_s=5, max_retries=0, transport=httpx.HTTPTransport())
    return OpenAIStructuredLLM(client, model=LOCAL_MODEL_NAME, prompts=PromptLibrary(),
                               mode="json_object", temperature=0.0,
                               max_output_tokens=LOCAL_MAX_OUTPUT_TOKENS)


@pytest.mark.parametrize("batch_size", [10, 50])
@pytest.mark.parametrize("name", ["holdout2", "holdout", "pins"])
def test_the_worker_with_the_local_model_is_never_worse_than_the_rules(
    name: str, batch_size: int
) -> None:
    # Given the Pins of a set and the bundled local model's recorded answers to the worker's
    # requests (Gemma 3 270M; its answer runs on until the output cap, at 10 or 50 a request)
    rows = labelled(f"{name}.jsonl")
    records = fixture_records(f"{name}.jsonl")
    cassette = f"local_model/gemma-3-270m_categories_{name}_batch{batch_size}.yaml"
    # When the worker categorises them through the real openai client
    with llm_vcr().use_cassette(cassette, allow_playback_repeats=False) as played:
        done = LLMCategorizer(local_model_replay(), batch_size=batch_size,
                              max_pins=len(records)).categorize(records)
    assert played.all_played, f"{cassette} has recorded requests that were not asked again"
    # Then every Pin is decided, in order, and the rules keep every Pin they are sure of
    assert [r.id for r in done] == [r.id for r in records]
    for record in done:
        rules = verdict(record.title, record.description)
        assert record.rules_category == rules.category
        if rules.lead >= DEFAULT_SURE_LEAD:
            assert record.category == rules.category
    # And the worker is at least as good as the rules alone
    guesses: list[Category] = [r.category or "other" for r in done]
    rules_score = accuracy(rows, [classify(r["title"], r["description"]) for r in rows])
    score = accuracy(rows, guesses)
    print(f"\n{name}: worker with the local model {score:.1%}, rules {rules_score:.1%}")
    assert score >= rules_score, f"worker {score:.1%} < rules {rules_score:.1%}\n" + confusion(
        rows, guesses)


@pytest.mark.parametrize("name", ["holdout2", "holdout"])
def test_the_worker_offline_with_the_stand_in_is_never_worse_than_the_rules(
    sandbox: SandboxServer, name: str
) -> None:
    # Given the Pins of a hold-out and the sandbox's stand-in model (the worker offline, with
    # the sandbox's key and base URL)
    rows = labelled(f"{name}.jsonl")
    records = fixture_records(f"{name}.jsonl")
    client = make_openai_client(api_key=TEST_API_KEY, base_url=f"{sandbox.base_url}/openai/v1",
                                timeout_s=30, max_retries=0)
    llm = OpenAIStructuredLLM(client, model=SANDBOX_MODEL, prompts=PromptLibrary())
    # When the worker categorises them
    done = LLMCategorizer(llm, max_pins=len(records)).categorize(records)
    # Then it is at least as good as the rules alone
    guesses: list[Category] = [r.category or "other" for r in done]
    rules_score = accuracy(rows, [classify(r["title"], r["description"]) for r in rows])
    assert accuracy(rows, guesses) >= rules_score, confusion(rows, guesses)
