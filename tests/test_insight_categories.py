"""Content categories: the keyword rules on hand-labelled Pins, intent before topic.

``fixtures/categories/pins.jsonl`` (280 Pins, written for these tests and labelled by meaning; the
rules were tuned on it) and ``holdout.jsonl`` (40 Pins written after the tuning, never tuned on).
A failing accuracy test prints its confusion matrix and every Pin it got wrong.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from agents.insights.categories import CATEGORIES, Category, classify

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "categories"


def labelled(name: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in (FIXTURES / name).read_text().splitlines() if line]


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
