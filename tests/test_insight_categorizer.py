"""The rules decide the Pins they are sure of; a trusted model the rest; an untrusted one none.

A scripted model (``ScriptedLLM``) answers; the same ``generate`` loop as the real client runs
(render ``pin_categories``, validate, check, one repair round). The combination is judged on the
rules' own verdicts (``verdict``: the category and its lead), so each story names which Pins the
rules are sure of.
"""

from __future__ import annotations

import logging

import pytest

from pinterest_agent.agents.insights.categories import RULES_VERSION, Category, Verdict, verdict
from pinterest_agent.agents.insights.categorizer import (
    DEFAULT_SURE_LEAD,
    Agreement,
    LLMCategorizer,
    PinCategories,
    PinCategory,
    answer_problems,
    combine,
)
from pinterest_agent.agents.insights.pin_records import LLM_SOURCE, PinRecord, text_hash
from pinterest_agent.agents.llm import LLMUnavailableError, ScriptedLLM
from tests.categories_fixture import mixed_batch
from tests.conftest_llm import replay

SURE = [  # the rules lead by 4 to 12 on each
    ("DIY Sourdough Wall Art", "A linocut print of a bread-scoring pattern."),
    ("Lemon Bars", "Shortbread and lemon curd, dusted with sugar."),
    ("Linen Apron", "Pre-washed linen. $34, free shipping."),
    ("Boho Bedroom Inspiration", "Rattan, macrame and warm neutrals."),
    ("Our Studio Update", "New desks and a new intern."),
]
UNSURE = [  # the rules: recipe by 2, recipe by 0 (a tie); by meaning how-to, lifestyle
    ("Homemade All-Purpose Cleaner with Lemon Peels",
     "Steep citrus peels in white vinegar for two weeks, strain and dilute."),
    ("Dinner Party Aesthetic", "Taper candles, linen and mismatched vintage plates."),
]


def pins(titles: list[tuple[str, str]]) -> list[PinRecord]:
    return [PinRecord(id=str(n), title=title, description=description,
                      text_hash=text_hash(title, description))
            for n, (title, description) in enumerate(titles, start=1)]


def answer(*categories: str) -> PinCategories:
    return PinCategories(pins=[PinCategory.model_validate({"n": n, "category": c})
                               for n, c in enumerate(categories, start=1)])


def rules_of(records: list[PinRecord]) -> list[Category]:
    return [verdict(r.title, r.description).category for r in records]


def test_the_fixture_pins_are_as_sure_as_the_stories_say() -> None:
    assert all(verdict(t, d).lead >= DEFAULT_SURE_LEAD for t, d in SURE)
    assert [verdict(t, d) for t, d in UNSURE] == [Verdict("recipe", 2), Verdict("recipe", 0)]


# -- one Pin's decision ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "answer", "trusted", "decided"),
    [
        # sure rules keep their category, whatever a trusted model says
        (Verdict("recipe", 3), "how-to", True, ("recipe", LLM_SOURCE)),
        (Verdict("recipe", 12), "recipe", True, ("recipe", LLM_SOURCE)),
        # unsure rules (a small lead, a tie, no phrase) give way to a trusted model
        (Verdict("recipe", 2), "how-to", True, ("how-to", LLM_SOURCE)),
        (Verdict("other", 0), "lifestyle", True, ("lifestyle", LLM_SOURCE)),
        # an untrusted model, or no answer, decides nothing
        (Verdict("other", 0), "lifestyle", False, ("other", RULES_VERSION)),
        (Verdict("recipe", 1), None, True, ("recipe", RULES_VERSION)),
    ],
)
def test_the_rules_decide_where_they_are_sure_a_trusted_model_elsewhere(
    rules: Verdict, answer: Category | None, trusted: bool, decided: tuple[str, str]
) -> None:
    assert combine(rules, answer, trusted=trusted) == decided


def test_trust_needs_enough_sure_pins_and_enough_agreement() -> None:
    rules = [Verdict("recipe", 6)] * 10 + [Verdict("other", 0)] * 5
    agreeing: list[Category] = ["recipe"] * 7 + ["how-to"] * 3 + ["lifestyle"] * 5
    # the unsure Pins do not count: 7 of the 10 sure ones agree
    assert Agreement.of(rules, agreeing) == Agreement(sure=10, agreed=7)
    assert Agreement(10, 7).trusts(share=0.7, min_pins=10)
    assert not Agreement(10, 6).trusts(share=0.7, min_pins=10)
    assert not Agreement(9, 9).trusts(share=0.7, min_pins=10)  # too few to judge
    assert Agreement(4, 4) + Agreement(6, 3) == Agreement(10, 7)


# -- a run -------------------------------------------------------------------------------------


def test_a_trusted_model_decides_the_pins_the_rules_are_unsure_of() -> None:
    # Given ten Pins the rules are sure of and two they are not (and get wrong), and a model
    # that agrees on nine of the ten sure ones and reads the other two by meaning
    records = pins(SURE * 2 + UNSURE)
    sure = rules_of(records)[:10]
    llm = ScriptedLLM().enqueue(PinCategories, answer(
        *sure[:9], "lifestyle", "how-to", "lifestyle"))
    # When they are categorised
    done = LLMCategorizer(llm).categorize(records)
    # Then the sure Pins keep the rules' category (the tenth too, where the model disagreed)
    assert [r.category for r in done[:10]] == sure
    # And the unsure Pins take the model's, marked as the model path's, the rules' kept beside
    assert [(r.category, r.rules_category) for r in done[10:]] == [
        ("how-to", "recipe"), ("lifestyle", "recipe")]
    assert {r.category_by for r in done} == {LLM_SOURCE}
    # And the model saw the Pins numbered, as delimited data
    user = llm.calls[0].messages[1]["content"]
    assert user.startswith("<pins>[") and '"n": 1' in user and "DIY Sourdough Wall Art" in user


def test_a_model_that_disagrees_with_the_rules_sure_answers_decides_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given a model that calls nearly everything a recipe (as the bundled 270M model does)
    records = pins(SURE * 2 + UNSURE)
    llm = ScriptedLLM().enqueue(PinCategories, answer(*["recipe"] * 10, "how-to", "lifestyle"))
    # When the Pins are categorised
    with caplog.at_level(logging.WARNING):
        done = LLMCategorizer(llm).categorize(records)
    # Then the rules decide every Pin, even where the model happened to be right
    assert [r.category for r in done] == rules_of(records)
    assert {r.category_by for r in done} == {RULES_VERSION}  # asked again next run
    # And the warning says how often it agreed and what an operator can do
    assert "agreed with the rules on only 2 of 10" in caplog.text
    assert "PINTEREST_AGENT_INSIGHT_CATEGORIES=rules" in caplog.text


def test_too_few_sure_pins_to_judge_the_model_leaves_the_run_to_the_rules() -> None:
    # Given a warm run with a few new Pins: four the rules are sure of, one they are not
    records = pins(SURE[:4] + UNSURE[:1])
    llm = ScriptedLLM().enqueue(PinCategories, answer(*rules_of(records)[:4], "how-to"))
    # When they are categorised
    done = LLMCategorizer(llm).categorize(records)
    # Then the rules decide them for now, so the next run asks again with more Pins to judge by
    assert [(r.category, r.category_by) for r in done] == [
        (c, RULES_VERSION) for c in rules_of(records)]


def test_a_batch_read_shifted_by_one_pin_is_left_to_the_rules_in_a_trusted_run() -> None:
    # Given five batches of twelve: the model reads four well and the last one Pin off
    records = pins((SURE * 2 + UNSURE) * 5)
    rules = rules_of(records)
    good = answer(*rules[:10], "how-to", "lifestyle")
    last = rules[48:]
    shifted = answer(*last[1:], last[0])
    llm = ScriptedLLM().enqueue(PinCategories, good, good, good, good, shifted)
    # When they are categorised twelve a request
    done = LLMCategorizer(llm, batch_size=12).categorize(records)
    # Then the run trusts the model (40 of 50 sure Pins agree), so the good batches are the
    # model path's, and the shifted batch (none of its 10 agree) is the rules'
    assert [r.category for r in done[10:12]] == ["how-to", "lifestyle"]
    assert {r.category_by for r in done[:48]} == {LLM_SOURCE}
    assert [(r.category, r.category_by) for r in done[48:]] == [
        (c, RULES_VERSION) for c in rules[48:]]


def test_a_sound_batch_a_little_under_the_runs_agreement_keeps_the_model() -> None:
    # Given a run of three batches: two agree on all ten sure Pins, one on six of ten
    records = pins((SURE * 2 + UNSURE) * 3)
    rules = rules_of(records)
    good = answer(*rules[:10], "how-to", "lifestyle")
    wobbly = answer(*rules[:6], *["other"] * 4, "how-to", "lifestyle")
    llm = ScriptedLLM().enqueue(PinCategories, good, wobbly, good)
    # When they are categorised twelve a request
    done = LLMCategorizer(llm, batch_size=12).categorize(records)
    # Then the run is trusted (26 of 30) and the wobbly batch is not taken for a misread one
    # (that takes agreeing on less than 40%, as a batch shifted by a Pin does)
    assert {r.category_by for r in done} == {LLM_SOURCE}
    assert [r.category for r in done[22:24]] == ["how-to", "lifestyle"]


def test_an_answer_missing_a_pin_gets_one_repair_round() -> None:
    # Given a model that forgets Pin 3 at first
    incomplete = PinCategories.model_construct(pins=[
        PinCategory(n=1, category="how-to"), PinCategory(n=2, category="recipe"),
        PinCategory(n=4, category="lifestyle"), PinCategory(n=5, category="other"),
    ])
    records = pins(SURE)
    llm = ScriptedLLM().enqueue(
        PinCategories, incomplete, answer("how-to", "recipe", "product", "lifestyle", "other"))
    # When it categorises five Pins
    LLMCategorizer(llm).categorize(records)
    # Then the repair round named the missing Pin, and the repaired answer was taken
    assert "no category for Pin(s) [3]" in llm.calls[1].messages[-1]["content"]
    assert llm.remaining() == 0


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
    # Given 120 Pins, a budget of 100 a run, and a model that agrees with the rules
    records = pins((SURE * 24)[:120])
    rules = rules_of(records)
    llm = ScriptedLLM().enqueue(PinCategories, answer(*rules[:50]), answer(*rules[50:100]))
    # When they are categorised
    done = LLMCategorizer(llm, max_pins=100).categorize(records)
    # Then two requests of 50 went to the model and the last 20 got the rules
    assert len(llm.calls) == 2 and llm.remaining() == 0
    assert [r.category_by for r in done].count(LLM_SOURCE) == 100
    assert {r.category_by for r in done[100:]} == {RULES_VERSION}
    assert [r.category for r in done] == rules


def test_a_failing_model_leaves_the_rest_of_the_run_to_the_rules() -> None:
    # Given a model that answers the first batch and then is unavailable
    records = pins((SURE * 30)[:150])
    first = answer(*rules_of(records)[:50])
    llm = ScriptedLLM().enqueue(PinCategories, first, LLMUnavailableError("model overloaded"))
    # When 150 Pins are categorised
    done = LLMCategorizer(llm).categorize(records)
    # Then the first 50 are the model path's and the rest the rules', without a third request
    assert len(llm.calls) == 2
    assert [r.category_by for r in done].count(LLM_SOURCE) == 50
    assert {r.category_by for r in done[50:]} == {RULES_VERSION}


def test_a_batch_the_model_misread_is_decided_by_the_rules() -> None:
    # Given the recorded answer for 50 fixture Pins of every category, every answer moved one
    # Pin on (a misread batch: it disagrees with the rules on most Pins they are sure of)
    batch = mixed_batch()
    with replay("categories_shifted") as llm:
        done = LLMCategorizer(llm).categorize(batch)
    # Then the rules decided the batch
    assert {r.category_by for r in done} == {RULES_VERSION}
    assert [r.category for r in done] == rules_of(batch)


def test_the_settings_of_the_combination_are_checked() -> None:
    with pytest.raises(ValueError, match="share"):
        LLMCategorizer(ScriptedLLM(), trust_share=1.5)
    with pytest.raises(ValueError, match="at least 1"):
        LLMCategorizer(ScriptedLLM(), sure_lead=0)
