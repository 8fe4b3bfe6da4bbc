"""The sandbox LLM's answer for ``PinCategories`` (the insight's Pin categories), offline.

The worker asks a model for each Pin's content category, 50 numbered Pins a request, inside the
prompt's ``<pins>`` delimiters. This builder answers deterministically so the demo and the tests
run without a model. It is a stand-in, not a model: a short decision list of its own (it cannot
import the worker's rules, and should not: the worker checks the model against those), reading
the title first and the description only when the title says nothing:

    announcement words                       -> other
    selling words (price, shop, sale, ...)   -> product
    a dish or a cooking word, no craft word  -> recipe
    an instruction (how to, DIY, tutorial)   -> how-to
    decor, outfit, travel, wedding, ...      -> lifestyle
    nothing                                  -> other

Its accuracy on the hand-labelled fixture is what the "model path" figure of
``tests/test_insight_categories.py`` measures through the recorded cassette: the wiring (batches,
numbering, the check, the cache), not the quality of a real model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pinterest_agent.providers.sandbox.openai_compat import add_answer_builder, tagged_json
from pinterest_agent.providers.sandbox.routes import RouteRegistry

__all__ = ["category_answer", "register", "sandbox_category"]

_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (category, re.compile(r"\b(?:" + "|".join(words) + r")\b"))
    for category, words in (
        ("other", ("announc\\w*", "hiring", "meet our", "meet the", "thank you", "podcast",
                   "webinar", "our story", "behind the scenes", "update", "quote", "happy",
                   "merry", "founder", "team", "festival", "contest", "award", "closing",
                   "newsletter", "anniversary", "celebrating", "volunteer", "charity")),
        ("product", ("shop", "buy", "sale", "\\$\\d+", "\\d+% off", "price", "order",
                     "in stock", "new arrivals?", "gift guide", "reviews?", "deal", "discount",
                     "collection", "set of \\d+", "\\d+ pack", "candle", "mug", "kit",
                     "free shipping", "bestseller", "pre-order")),
        ("recipe", ("recipes?", "ingredients?", "bake[ds]?", "baking", "roasted", "dinner",
                    "lunch", "breakfast", "brunch", "dessert", "soup", "salad", "pasta", "cake",
                    "cookies", "bread", "muffins", "pancakes", "chicken", "salmon", "curry",
                    "cocktail", "smoothie", "latte", "sauce", "pie", "tacos", "noodles",
                    "minutes", "vegan", "one[- ]pot", "slow cooker", "air fryer")),
        ("how-to", ("how to", "diy", "tutorial", "step[- ]by[- ]step", "guide", "tips",
                    "pattern", "craft", "crochet", "knit", "sew", "paint", "clean", "repot",
                    "grow", "fix", "make your own", "hacks?", "learn")),
        ("lifestyle", ("decor", "inspiration", "aesthetic", "outfits?", "fashion", "style",
                       "travel", "wedding", "wellness", "self-care", "routine", "bedroom",
                       "living room", "boho", "minimalist", "cozy", "vacation", "trip")),
    )
)
_CRAFT = re.compile(r"\b(?:diy|craft|wall art|ornaments?|planter|coasters|garland|resin|clay)\b")


def sandbox_category(title: str, description: str) -> str:
    """The sandbox's category for one Pin."""
    for text in (title.lower(), description.lower()):
        for category, pattern in _RULES:
            if pattern.search(text):
                if category == "recipe" and _CRAFT.search(text):
                    return "how-to"
                return category
    return "other"


def category_answer(pins: Any) -> dict[str, Any]:
    """A valid ``PinCategories`` for the numbered Pins of a request."""
    answers = []
    for pin in pins if isinstance(pins, list) else []:
        if isinstance(pin, Mapping) and isinstance(pin.get("n"), int):
            answers.append({"n": pin["n"], "category": sandbox_category(
                str(pin.get("title") or ""), str(pin.get("description") or ""))})
    return {"pins": answers}


def _build(messages: list[Mapping[str, Any]], json_schema: Mapping[str, Any]) -> dict[str, Any]:
    return category_answer(tagged_json(messages, "pins"))


def register(registry: RouteRegistry) -> None:
    """No routes of its own: it teaches the OpenAI-compatible route the categories answer."""
    add_answer_builder("PinCategories", _build)
