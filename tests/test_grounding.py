"""Grounding: the Pin states nothing the brief does not (URLs, prices, numbers, claims)."""

from __future__ import annotations

import pytest

from pinterest_agent.agents.design.designer import DesignSpec, FocalPoint, Layout, design_problems
from pinterest_agent.agents.design.scene_map import PINTEREST
from pinterest_agent.agents.grounding import CLAIMS, Grounds, brief_grounds, grounding_problems
from pinterest_agent.agents.llm import LLMOutputInvalidError, ScriptedLLM
from pinterest_agent.agents.messages import PinBrief
from pinterest_agent.agents.writer import PinCopy, copy_problems, write_copy
from tests.conftest_llm import load_brief

LINEN = load_brief("product")  # "A stonewashed European linen throw, 130 x 170 cm, ..."


def found(brief: PinBrief, text: str) -> list[tuple[str, str]]:
    return [(item.kind, item.text) for item in brief_grounds(brief).ungrounded(text)]


def grounds(text: str) -> Grounds:
    return Grounds(text)


# -- what a real model invented ------------------------------------------------------------------


def test_the_small_models_linen_throw_is_caught() -> None:
    # Given the copy Gemma 3 270M wrote for the linen throw (its brief says neither)
    text = "Soft eco-friendly cotton throw blanket. Made in USA."
    # Then both the material and the origin are named
    assert found(LINEN, text) == [("claim", "Made in USA"), ("claim", "cotton"),
                                  ("claim", "eco friendly")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Only $19.99 today", [("price", "$19.99")]),
        ("Yours for 24,99 €", [("price", "24,99 €")]),
        ("Just 30 dollars", [("price", "30 dollars")]),
        ("100% organic", [("number", "100%"), ("claim", "organic")]),
        ("Ready in 5 minutes", [("number", "5 minutes")]),
        ("Sold as a 3-pack", [("number", "3-pack")]),
        ("A 2-in-1 throw and blanket", [("number", "2"), ("number", "1")]),
        ("The best throw of 2025", [("number", "2025")]),
        ("Ready in five minutes", [("number", "five minutes")]),
        ("A two-pack for twenty-five guests",
         [("number", "two pack"), ("number", "twenty five guests")]),
        ("Serves six", [("number", "six")]),
        ("Award-winning and #1 bestselling", [("claim", "#1"), ("claim", "award winning"),
                                             ("claim", "bestselling")]),
        ("Free shipping for a limited time only", [("claim", "free shipping"),
                                                   ("claim", "limited time")]),
        ("Handmade in small batches, made in the USA",
         [("claim", "made in the USA"), ("claim", "handmade")]),
        ("Clinically proven, non-toxic and guaranteed",
         [("claim", "non toxic"), ("claim", "clinically proven"), ("claim", "guaranteed")]),
        ("Vegan leather trim, BPA-free", [("claim", "vegan leather"), ("claim", "vegan"),
                                         ("claim", "leather"), ("claim", "bpa free")]),
        ("Sustainable bamboo and wool", [("claim", "wool"), ("claim", "bamboo"),
                                         ("claim", "sustainable")]),
        ("See evil.example.net for more", [("url", "evil.example.net")]),
        ("Gluten-free and dairy-free", [("claim", "gluten free"), ("claim", "dairy free")]),
    ],
)
def test_what_the_brief_does_not_say_is_named(text: str, expected: list[tuple[str, str]]) -> None:
    assert sorted(found(LINEN, text)) == sorted(expected)


def test_hashtags_are_read_word_by_word() -> None:
    assert found(LINEN, "#OrganicCotton #MadeInUSA #Top10Gifts") == [
        ("claim", "Made In USA"), ("number", "10"), ("claim", "cotton"), ("claim", "organic")]


def test_case_hyphens_and_plurals_do_not_hide_a_claim() -> None:
    assert found(LINEN, "ECO FRIENDLY Cottons") == [("claim", "cotton"),
                                                    ("claim", "eco friendly")]
    assert found(LINEN, "Wools and silks") == [("claim", "wool"), ("claim", "silk")]


# -- what must NOT be flagged --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Linen Throw Blanket in Sage Green",
        "A stonewashed European linen throw, 130 x 170 cm, softer with every wash.",
        "130x170cm of natural flax fibres",                  # the brief's numbers and material
        "Stonewashed LINENS, Oeko-Tex certified",              # case, plural, hyphen
        "One soft throw for two seasons",                      # number words that are prose
        "Shop the look at shop.example.com",                   # the brief's own domain
        "A calm, cozy living room with sage green decor",      # ordinary words
        "#LinenThrowBlanket #SageGreenDecor",
    ],
)
def test_the_briefs_own_facts_are_grounded(text: str) -> None:
    assert found(LINEN, text) == []


def test_numbers_in_the_brief_are_grounded_in_any_form() -> None:
    brief = load_brief("recipe")  # "in 20 minutes ... Serves four; vegetarian"
    assert found(brief, "A 20-minute vegetarian dinner, ready in twenty minutes") == []
    assert found(brief, "Serves 4") == []
    assert found(brief, "Made In A Single Pot") == []  # "made in" a pot is not an origin
    assert found(brief, "Ready in 30 minutes") == [("number", "30 minutes")]


def test_two_in_one_years_and_prices_in_the_brief_are_grounded() -> None:
    brief = LINEN.model_copy(update={
        "summary": "A 2-in-1 throw and picnic blanket, new for 2026, $49.99 or 1,200 points. "
                   "Made in Portugal from organic cotton; free shipping over $100.",
    })
    assert found(brief, "2-in-1 organic cotton throw, new for 2026") == []
    assert found(brief, "Only $49.99, 1200 points, made in Portugal") == []
    assert found(brief, "Free shipping over $100") == []
    assert found(brief, "Only $39.99") == [("price", "$39.99")]
    assert found(brief, "Made in Italy") == [("claim", "Made in Italy")]


def test_a_number_that_is_in_the_brief_only_as_a_price_is_still_a_number() -> None:
    brief = LINEN.model_copy(update={"summary": "A linen throw for $20."})
    assert found(brief, "20 colours to choose from") == []
    assert found(brief, "Ready in 20 minutes, $25") == [("price", "$25")]
    recipe = load_brief("recipe")  # 20 minutes, but no price
    assert found(recipe, "A $20 dinner") == [("price", "$20")]


def test_a_url_in_the_brief_text_is_grounded_and_one_elsewhere_is_not() -> None:
    brief = LINEN.model_copy(update={"summary": "Linen. See https://evil.example/steal now."})
    assert found(brief, "Visit https://evil.example/steal") == []
    assert found(brief, "Visit https://evil.example/other") == [
        ("url", "https://evil.example/other")]


def test_every_lexicon_term_is_caught_and_grounded_by_itself() -> None:
    for family, terms in CLAIMS.items():
        for term in terms:
            assert grounds("A plain item.").ungrounded(f"Now {term}!"), (family, term)
            assert grounds(f"It is {term}.").ungrounded(f"Now {term}!") == [], (family, term)


# -- as problems the model can act on ------------------------------------------------------------


def test_problems_are_one_sentence_per_field_naming_each_statement() -> None:
    problems = grounding_problems(
        {"title": "Cotton throw", "description": "Linen throw", "keywords": ["organic throw"],
         "hashtags": ["#MadeInUSA"]},
        brief_grounds(LINEN),
    )
    assert problems == [
        "title states what the brief does not: 'cotton' (claim); write only facts the brief "
        "gives (no invented materials, certifications, origins, prices, numbers or links)",
        "keywords states what the brief does not: 'organic' (claim); write only facts the brief "
        "gives (no invented materials, certifications, origins, prices, numbers or links)",
        "hashtags states what the brief does not: 'Made In USA' (claim); write only facts the "
        "brief gives (no invented materials, certifications, origins, prices, numbers or links)",
    ]


def copy_of(brief: PinBrief, **changes: str) -> PinCopy:
    values = {"title": "Linen throw blanket in sage green",
              "description": "A stonewashed linen throw, 130 x 170 cm.",
              "alt_text": "A sage green linen throw on a sofa.", "link": brief.destination_url,
              "keywords": ["linen throw blanket"], "hashtags": ["#LinenThrow"], **changes}
    return PinCopy.model_validate(values)


def test_copy_problems_include_grounding() -> None:
    invented = copy_of(LINEN, alt_text="An eco-friendly cotton throw, made in USA.")
    assert any("alt_text states what the brief does not" in p
               for p in copy_problems(invented, LINEN))
    assert copy_problems(copy_of(LINEN), LINEN) == []


def test_an_invented_claim_gets_the_repair_round_and_then_a_typed_failure() -> None:
    # Given a model that invents a claim, then drops it when told
    invented = copy_of(LINEN, description="Eco-friendly cotton, made in USA, only $19.99.")
    llm = ScriptedLLM().enqueue(PinCopy, invented, copy_of(LINEN))
    result = write_copy(LINEN, llm)
    # Then the repair round named each invention and the repaired copy is kept
    repair = llm.calls[1].messages[-1]["content"]
    assert "'cotton' (claim)" in repair and "'$19.99' (price)" in repair
    assert result.llm.repaired and "cotton" not in result.copy.description
    # And a model that invents twice fails with a typed, permanent error
    twice = ScriptedLLM().enqueue(PinCopy, invented, invented)
    with pytest.raises(LLMOutputInvalidError, match="states what the brief does not") as info:
        write_copy(LINEN, twice)
    assert info.value.code == "llm_output_invalid"


def test_the_designers_headline_is_grounded_too() -> None:
    spec = DesignSpec(headline="50% off organic linen", layout=Layout.BAND_TOP,
                      palette=["#1F3A4D"], dominant_color="#1F3A4D",
                      focal_point=FocalPoint(x=0.5, y=0.5), subject=None, image_prompt=None)
    problems = design_problems(spec, LINEN, PINTEREST)
    assert problems == [
        "headline states what the brief does not: '50%' (number), 'organic' (claim); write only "
        "facts the brief gives (no invented materials, certifications, origins, prices, numbers "
        "or links)"]
    grounded = spec.model_copy(update={"headline": "Soft stonewashed linen"})
    assert design_problems(grounded, LINEN, PINTEREST) == []
