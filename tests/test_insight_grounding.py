"""The grounding check reads numbers written in words too, and only "one" and ranks are free.

An independent check found "Make two more Pins" accepted: the check read digits only and let
whole numbers 1-10 through anywhere.
"""

from __future__ import annotations

import pytest

from pinterest_agent.agents.insights.figures import stated_numbers, ungrounded_numbers
from pinterest_agent.agents.insights.models import FigureValue

FIGURES: dict[str, FigureValue] = {
    "totals.saves": 220, "totals.impressions": 12_345, "change.saves_pct": 25.3,
    "categories.recipe.pins": 12, "top_pins.1.pin_id": "9001", "top_pins.5.saves": 40,
    "top_pins.1.title": "Ten-Minute Pasta", "peak_days.1.index": 1.38,
}


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("Make two more Pins.", ["two"]),
        ("Post 3 times a week.", ["3"]),
        ("Saves grew twenty-five percent.", []),
        ("Saves grew twenty-five per cent.", []),
        ("Saves grew thirty percent.", ["thirty percent"]),
        ("Saves grew 25 per cent.", []),
        ("Saves reached two hundred and twenty.", []),
        ("Saves reached two hundred.", ["two hundred"]),
        ("Impressions passed twelve thousand.", []),
        ("Impressions passed 12 thousand.", []),
        ("Impressions passed fifteen thousand.", ["fifteen thousand"]),
        ("A dozen recipe Pins did well.", []),
        ("Two dozen recipe Pins did well.", ["Two dozen"]),
        ("Twelve recipe Pins did well.", []),
        ("Your top 5 Pins earned most saves.", []),
        ("Your top five Pins earned most saves; Pin #1 leads.", []),
        ("Your top seven Pins earned most saves.", ["seven"]),
        ("One of your Pins leads; make one more like it.", []),
        ("Make a couple of Pins like the first and the second.", []),
        ("Dozens of Pins, hundreds of saves.", []),
        ("Repeat the ten-minute pasta idea.", []),  # a number inside a given title
        ("Saturday does 1.4 times a typical day.", []),
        ("Saturday does three times a typical day.", ["three"]),
    ],
)
def test_numbers_in_words_are_figures_too_and_small_counts_are_not_free(
    text: str, bad: list[str]
) -> None:
    assert ungrounded_numbers(text, FIGURES) == bad


def test_words_are_read_as_the_numbers_they_name() -> None:
    values = [(n.value, n.unit) for n in stated_numbers(
        "twenty-five percent, a hundred and five, three thousand, two dozen, 12 thousand, "
        "nine hundred ninety-nine thousand"
    )]
    assert sorted(values) == sorted([(25.0, "%"), (105.0, ""), (3000.0, ""), (24.0, ""),
                                     (12_000.0, ""), (999_000.0, "")])
