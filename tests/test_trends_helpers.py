"""The pure trends helpers the writer, the planner and the console use."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from pinterest_agent.agents.trends import keyword_terms, matching_trends, rising_start, sparkline
from pinterest_agent.providers.pinterest.trends_models import TrendingKeyword


def trend(keyword: str, mom: int = 10) -> TrendingKeyword:
    return TrendingKeyword(keyword=keyword, pct_growth_mom=mom)


RANKED = [trend(k) for k in (
    "summer nails",
    "linen pants outfit",
    "summer linen dress",
    "Summer Linen Dresses",  # the same keyword again, written otherwise
    "wedding guest dresses summer",
    "easter brunch ideas",
    "dress",
    "christmas cookies",
)]


def keywords(brief: str, limit: int = 5) -> list[str]:
    return [match.keyword for match in matching_trends(brief, RANKED, limit)]


def test_terms_drop_filler_and_meet_across_plurals_and_case() -> None:
    assert keyword_terms("Easter brunch ideas") == ("easter", "brunch")
    assert keyword_terms("DRESSES, dress!") == keyword_terms("dress")
    assert keyword_terms("Christmas cookies") == keyword_terms("christmas cookie")
    assert keyword_terms("stories") == keyword_terms("story")
    assert keyword_terms("the best tips for you") == ()


def test_a_brief_matches_the_keywords_it_is_about_best_first() -> None:
    brief = "A breathable linen dress for summer weddings, with deep pockets"
    # every term of "summer linen dress" is in the brief, 3 of 4 of the guest one, and the
    # one-term "dress"; "summer nails" shares one term in two, "linen pants outfit" one in three
    assert keywords(brief) == ["summer linen dress", "dress", "wedding guest dresses summer"]


def test_matches_say_what_they_share_and_keep_pinterests_rank() -> None:
    [first, *_] = matching_trends("Summer linen dress", RANKED)
    assert first.shared == ("summer", "linen", "dress") and first.coverage == 1
    assert first.rank == 2 and first.trend.pct_growth_mom == 10


def test_matching_is_deterministic_and_honours_the_limit() -> None:
    brief = "Easter brunch table: linen dress for summer"
    assert keywords(brief) == keywords(brief)
    assert keywords(brief, limit=1) == ["summer linen dress"]
    assert keywords(brief, limit=0) == []
    assert keywords("Cast iron skillet cornbread") == []


def test_punctuation_and_hyphens_split_words() -> None:
    assert keywords("Easter-brunch menu (ideas!)") == ["easter brunch ideas"]


def weeks(values: list[int], start: date = date(2024, 6, 9)) -> dict[date, int]:
    return {start + timedelta(weeks=i): value for i, value in enumerate(values)}


def test_rising_start_is_the_first_week_clear_of_the_trough_toward_the_peak() -> None:
    series = weeks([30, 20, 10, 11, 30, 60, 100, 70])
    # trough 10 (week 2), peak 100 (week 6): 10% of the climb is 19, first reached at week 4
    assert rising_start(series, 0.1) == date(2024, 6, 9) + timedelta(weeks=4)
    # a zero threshold takes the first week after the trough, however small its rise
    assert rising_start(series, 0) == date(2024, 6, 9) + timedelta(weeks=3)
    # half the climb (55) first at week 5
    assert rising_start(series, 0.5) == date(2024, 6, 9) + timedelta(weeks=5)
    # the same as a list of pairs, in any order
    assert rising_start(sorted(series.items(), reverse=True), 0.1) == rising_start(series, 0.1)


def test_rising_start_takes_the_last_trough_before_the_peak() -> None:
    series = weeks([10, 40, 10, 10, 50, 100])
    assert rising_start(series, 0.1) == date(2024, 6, 9) + timedelta(weeks=4)


@pytest.mark.parametrize("values", [[], [50], [40, 40, 40], [100, 80, 50, 20]])
def test_nothing_to_climb_is_none(values: list[int]) -> None:
    assert rising_start(weeks(values)) is None


def test_a_curve_rising_from_its_start_starts_now() -> None:
    assert rising_start(weeks([10, 20, 40, 80, 100]), 0.1) == date(2024, 6, 16)


def test_the_threshold_is_a_share() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        rising_start(weeks([1, 2]), 1.5)


def test_sparkline_scales_to_eight_blocks_and_averages_down() -> None:
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert sparkline([5, 5, 5]) == "▄▄▄"
    assert sparkline([]) == ""
    year = list(range(52))
    line = sparkline(year, 26)
    assert len(line) == 26 and line[0] == "▁" and line[-1] == "█"
    assert sparkline([0, 100, 0, 100], 2) == "▄▄"
    # a fixed scale compares lines; values past it are clamped
    assert sparkline([0, 50, 100, 150], scale=(0, 100)) == "▁▅██"
    assert sparkline([20, 20], scale=(0, 100)) == "▂▂"


def test_season_rises_takes_the_earliest_predicted_rise_of_the_seasons_keywords() -> None:
    from datetime import date, timedelta

    from pinterest_agent.agents.trends import season_rises
    from pinterest_agent.providers.pinterest.trends_models import TrendingKeyword

    weeks = [date(2026, 12, 6) + timedelta(weeks=i) for i in range(13)]

    def trend(keyword: str, values: list[int]) -> TrendingKeyword:
        return TrendingKeyword(keyword=keyword, predicted_time_series=dict(zip(weeks, values,
                                                                              strict=True)))

    trends = [
        trend("easter brunch", [5, 5, 5, 5, 6, 10, 20, 40, 60, 80, 100, 90, 70]),
        trend("easter egg decorating", [5, 5, 5, 5, 5, 5, 5, 12, 30, 60, 100, 80, 50]),
        trend("mothers day gifts", [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 8, 20]),
        trend("christmas cookies", [100, 60, 20, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5]),  # past peak
        TrendingKeyword(keyword="valentines day nails"),  # no prediction
    ]
    rises = season_rises(["easter", "mothers-day", "christmas", "valentines"], trends)
    assert rises == {"easter": weeks[6], "mothers-day": weeks[11]}


def test_a_season_already_climbing_when_the_prediction_starts_rises_today() -> None:
    from datetime import date, timedelta

    from pinterest_agent.agents.trends import season_rises
    from pinterest_agent.providers.pinterest.trends_models import TrendingKeyword

    weeks = [date(2026, 12, 6) + timedelta(weeks=i) for i in range(4)]
    climbing = TrendingKeyword(keyword="christmas table decor",
                               predicted_time_series=dict(zip(weeks, [40, 70, 100, 30],
                                                              strict=True)))
    assert season_rises(["christmas"], [climbing]) == {"christmas": weeks[1]}
    assert season_rises(["christmas"], [climbing], today=date(2026, 12, 4)) == {
        "christmas": date(2026, 12, 4)}
