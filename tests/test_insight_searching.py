"""The weekly insight's "what Pinners are searching": rising trends no Pin covers yet."""

from __future__ import annotations

from pinterest_agent.agents.insights.searching import covered, uncovered_rising
from pinterest_agent.agents.messages import TrendKeyword


def _trend(keyword: str, mom: float | None, wow: float | None = None) -> TrendKeyword:
    return TrendKeyword(keyword=keyword, trend_type="growing", region="US",
                        pct_growth_mom=mom, pct_growth_wow=wow)


PINS = ["Linen throw blankets for a calm living room", "Sage green bedding: soft, natural flax"]


def test_a_keyword_is_covered_when_one_pin_holds_all_its_words() -> None:
    assert covered("linen throw blanket", PINS)  # plural aside
    assert covered("Sage-Green Bedding", PINS)
    assert not covered("linen bedding", ["Linen throw", "Cotton bedding"])  # split over two Pins
    assert not covered("", PINS)


def test_rising_uncovered_keywords_fastest_first_with_their_series() -> None:
    trends = [
        (_trend("linen throw blankets", 80.0), [1.0, 2.0]),   # covered by a Pin
        (_trend("japandi bedroom", 45.0), [3.0, 4.0]),
        (_trend("boucle chair", -5.0, -1.0), [9.0]),           # falling
        (_trend("wabi sabi decor", 120.0), [5.0]),
        (_trend("Japandi bedrooms", 40.0), [6.0]),             # the same words again
        (_trend("quiet luxury", None, 3.0), []),               # rising week on week only
    ]
    found = uncovered_rising(trends, PINS)
    assert [f.trend.keyword for f in found] == ["wabi sabi decor", "japandi bedroom",
                                                "quiet luxury"]
    assert found[1].weekly == [3.0, 4.0]
    assert found[0].trend.pct_growth_mom == 120.0  # Pinterest's figure, copied


def test_at_most_five() -> None:
    trends = [(_trend(f"idea {chr(97 + i)}", float(i + 1)), []) for i in range(9)]
    assert len(uncovered_rising(trends, [])) == 5
