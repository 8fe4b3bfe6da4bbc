"""The model decides Pin categories in batches; the rules are its fallback and its check.

A scripted model (``ScriptedLLM``) answers; the same ``generate`` loop as the real client runs
(render ``pin_categories``, validate, check, one repair round).
"""

from __future__ import annotations

from pinterest_agent.agents.insights.categories import RULES_VERSION, classify
from pinterest_agent.agents.insights.categorizer import (
    LLMCategorizer,
    PinCategories,
    PinCategory,
    answer_problems,
)
from pinterest_agent.agents.insights.pin_records import LLM_SOURCE, PinRecord, text_hash
from pinterest_agent.agents.llm import LLMUnavailableError, ScriptedLLM
from tests.categories_fixture import mixed_batch
from tests.conftest_llm import replay

TITLES = [
    ("DIY Sourdough Wall Art", "A linocut print of a bread-scoring pattern."),
    ("Lemon Bars", "Shortbread and lemon curd, dusted with sugar."),
    ("Linen Apron", "Pre-washed linen. $34, free shipping."),
    ("Boho Bedroom Inspiration", "Rattan, macrame and warm neutrals."),
    ("Our Studio Update", "New desks and a new intern."),
]


def records(count: int = 5) -> list[PinRecord]:
    titles = (TITLES * (count // len(TITLES) + 1))[:count]
    return [PinRecord(id=str(n), title=title, description=description,
                      text_hash=text_hash(title, description))
            for n, (title, description) in enumerate(titles, start=1)]


def answer(*categories: str) -> PinCategories:
    return PinCategories(pins=[PinCategory.model_validate({"n": n, "category": c})
                               for n, c in enumerate(categories, start=1)])


def test_the_model_decides_and_the_rules_answer_is_kept_beside_it() -> None:
    # Given a model that reads the sourdough wall art as a craft and the studio update as news
    llm = ScriptedLLM().enqueue(
        PinCategories, answer("how-to", "recipe", "product", "lifestyle", "lifestyle"))
    # When five Pins are categorised
    done = LLMCategorizer(llm).categorize(records())
    # Then the model's answers are used, marked as the model's, the rules' kept for the check
    assert [r.category for r in done] == ["how-to", "recipe", "product", "lifestyle", "lifestyle"]
    assert {r.category_by for r in done} == {LLM_SOURCE}
    assert done[4].rules_category == "other"  # a disagreement: the model's answer stands
    # And the model saw the Pins numbered, as delimited data
    user = llm.calls[0].messages[1]["content"]
    assert user.startswith("<pins>[") and '"n": 1' in user and "DIY Sourdough Wall Art" in user


def test_an_answer_missing_a_pin_gets_one_repair_round() -> None:
    # Given a model that forgets Pin 3 at first
    incomplete = PinCategories.model_construct(pins=[
        PinCategory(n=1, category="how-to"), PinCategory(n=2, category="recipe"),
        PinCategory(n=4, category="lifestyle"), PinCategory(n=5, category="other"),
    ])
    llm = ScriptedLLM().enqueue(
        PinCategories, incomplete, answer("how-to", "recipe", "product", "lifestyle", "other"))
    # When it categorises five Pins
    done = LLMCategorizer(llm).categorize(records())
    # Then the repair round named the missing Pin, and the repaired answer was used
    assert "no category for Pin(s) [3]" in llm.calls[1].messages[-1]["content"]
    assert done[2].category == "product"


def test_the_check_names_missing_repeated_and_unknown_pins() -> None:
    problems = answer_problems(answer("recipe", "recipe", "other"), 4)
    assert problems == ["pins: no category for Pin(s) [4]; answer every Pin once."]
    repeated = PinCategories(pins=[PinCategory(n=1, category="recipe"),
                                   PinCategory(n=1, category="other"),
                                   PinCategory(n=7, category="other")])
    assert answer_problems(repeated, 2) == [
        "pins: no category for Pin(s) [2]; answer every Pin once.",
        "pins: Pin(s) [1] answered more than once; answer each once.",
        "pins: there is no Pin [7]; the Pins are numbered 1 to 2.",
    ]


def test_batches_of_fifty_and_a_budget_per_run_the_rest_by_the_rules() -> None:
    # Given 120 Pins and a budget of 100 a run
    llm = ScriptedLLM().enqueue(PinCategories, *[answer(*[
        classify(t, d) for t, d in (TITLES * 10)[:50]])] * 2)
    # When they are categorised
    done = LLMCategorizer(llm, max_pins=100).categorize(records(120))
    # Then two requests of 50 went to the model and the last 20 got the rules
    assert len(llm.calls) == 2 and llm.remaining() == 0
    assert [r.category_by for r in done].count(LLM_SOURCE) == 100
    assert {r.category_by for r in done[100:]} == {RULES_VERSION}
    assert all(r.category == classify(r.title, r.description) for r in done[100:])


def test_a_failing_model_leaves_the_rest_of_the_run_to_the_rules() -> None:
    # Given a model that answers the first batch and then is unavailable
    pins = records(150)
    first = answer(*[classify(r.title, r.description) for r in pins[:50]])
    llm = ScriptedLLM().enqueue(PinCategories, first, LLMUnavailableError("model overloaded"))
    # When 150 Pins are categorised
    done = LLMCategorizer(llm).categorize(pins)
    # Then the first 50 are the model's and the rest the rules', without a third request
    assert len(llm.calls) == 2
    assert [r.category_by for r in done].count(LLM_SOURCE) == 50
    assert {r.category_by for r in done[50:]} == {RULES_VERSION}


def test_a_batch_the_model_misread_is_decided_by_the_rules() -> None:
    # Given the recorded answer for 50 fixture Pins of every category, every answer moved one
    # Pin on (a misread batch: it disagrees with the rules on most Pins)
    batch = mixed_batch()
    with replay("categories_shifted") as llm:
        done = LLMCategorizer(llm).categorize(batch)
    # Then the rules decided the batch
    assert {r.category_by for r in done} == {RULES_VERSION}
    assert [r.category for r in done] == [classify(r.title, r.description) for r in batch]
