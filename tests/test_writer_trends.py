"""Trending keywords in the copy, grounded: a Pin's keywords come from its brief or from the
trending keywords it was offered, and its record says which trend each came from."""

from __future__ import annotations

from pinterest_agent.agents.messages import PinBrief, TrendKeyword
from pinterest_agent.agents.writer import (
    PinCopy,
    copy_problems,
    copy_variables,
    keyword_source,
    trends_used,
)
from pinterest_agent.prompts.loader import PromptLibrary
from tests.conftest_llm import load_brief

LINEN = TrendKeyword(keyword="Sage green bedroom ideas", trend_type="growing", region="US",
                     pct_growth_wow=12.0, pct_growth_mom=48.5, pct_growth_yoy=210.0)
OTHER = TrendKeyword(keyword="summer linen outfits", trend_type="seasonal", region="US",
                     pct_growth_mom=30.0)


def _brief(**changes: object) -> PinBrief:
    return load_brief("product").model_copy(update={"trend_keywords": [LINEN, OTHER], **changes})


def _copy(brief: PinBrief, keywords: list[str], description: str = "") -> PinCopy:
    return PinCopy.model_construct(
        title="Linen throw blanket in sage green for calm rooms",
        description=description or "A stonewashed linen throw that gets softer every wash.",
        alt_text="A sage green linen throw folded over a pale sofa arm.",
        link=brief.destination_url, keywords=keywords, hashtags=[])


def test_keywords_from_the_brief_or_the_offered_trends_pass() -> None:
    brief = _brief()
    copy = _copy(brief, ["linen throw blankets", "sage green bedroom idea", "calm living room"])
    # plural and case aside; "calm living room" is in neither
    problems = copy_problems(copy, brief)
    assert problems == ["keywords must come from the brief's keywords or words or these trending "
                        "keywords: Sage green bedroom ideas; summer linen outfits; drop or "
                        "replace: 'calm living room'"]
    assert copy_problems(_copy(brief, ["linen throw blankets", "sage green bedroom idea",
                                       "natural living room"]), brief) == []


def test_an_invented_keyword_is_sent_back() -> None:
    brief = _brief()
    problems = copy_problems(_copy(brief, ["linen throw blanket", "boho wedding decor"]), brief)
    assert any("'boho wedding decor'" in problem for problem in problems)


def test_a_brief_that_opts_out_is_offered_no_trend_and_may_not_use_one() -> None:
    brief = _brief(use_trends=False)
    assert copy_variables(brief)["trends"] == []
    problems = copy_problems(_copy(brief, ["sage green bedroom ideas"]), brief)
    assert problems and "trending" not in problems[0]
    assert keyword_source("sage green bedroom ideas", brief) is None


def test_the_record_names_each_trend_the_copy_used_with_its_figures() -> None:
    brief = _brief()
    copy = _copy(brief, ["linen throw blanket", "sage green bedroom ideas"])
    assert trends_used(copy, brief) == [LINEN]
    assert keyword_source("Sage-green bedroom ideas", brief) == LINEN
    in_text = _copy(brief, ["linen throw blanket"],
                    description="Perfect for summer linen outfits and lazy afternoons.")
    assert trends_used(in_text, brief) == [OTHER]


def test_the_prompt_offers_the_trends_with_their_growth_only_when_there_are_some() -> None:
    library = PromptLibrary()
    with_trends = library.render("pin_copy", copy_variables(_brief()))
    assert '"Sage green bedroom ideas" (+12% week on week, +48% month on month, +210% year on ' \
           'year)' in with_trends.system
    plain = library.render("pin_copy", copy_variables(load_brief("product")))
    assert "trending" not in plain.system and "Pinners are searching" not in plain.system
