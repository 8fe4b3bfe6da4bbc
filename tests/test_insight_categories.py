"""Content categories on hand-labelled Pins: the keyword rules, and the model path (cassette).

``fixtures/categories/pins.jsonl`` (280 Pins, written for these tests and labelled by meaning; the
rules were tuned on it) and ``holdout.jsonl`` (40 Pins written after the tuning, never tuned on).
A failing accuracy test prints its confusion matrix and every Pin it got wrong.

The model path replays ``fixtures/cassettes/categories_fixture.yaml``, recorded against the
sandbox's OpenAI-compatible endpoint (``python fixtures/cassettes/record.py``), whose answers
come from a small stand-in decision list (``providers/sandbox/category_answers.py``), not a
model: its figure measures the wiring (batches, numbering, the check), not a real model.
"""

from __future__ import annotations

from collections import Counter

import pytest

from pinterest_agent.agents.insights.categories import (
    CATEGORIES,
    RULES_VERSION,
    Category,
    classify,
)
from pinterest_agent.agents.insights.categorizer import LLMCategorizer
from tests.categories_fixture import fixture_records, labelled
from tests.conftest_llm import replay


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
