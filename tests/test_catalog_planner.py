"""The cadence planner: per-board limits per day and per ISO week, peak days and hours first,
seasonal items 60-90 days ahead of their date and never on or after it, movable seasons per
year and region, and Pins past the horizon waiting for it."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from pinterest_agent.agents.catalog.planner import (
    DEFAULT_HOURS,
    CadenceLimits,
    Peaks,
    Planner,
    Slot,
    Unplaced,
    event_date,
)
from pinterest_agent.agents.catalog.seasons import Region, season_day

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # a Monday


def test_no_board_gets_more_than_its_daily_and_weekly_limit() -> None:
    # Given 40 Pins for one board and 5 for another, 2 a day and 10 a week per board
    planner = Planner(CadenceLimits(per_day=2, per_week=10), NOW)
    slots = [planner.place("Bedroom") for _ in range(40)] + \
        [planner.place("Kitchen") for _ in range(5)]
    assert all(slot is not None for slot in slots)
    per_day = Counter((s.board, s.at.date()) for s in slots if s)
    per_week = Counter((s.board, s.at.isocalendar()[:2]) for s in slots if s)
    # Then each board stays within both limits, and its Pins go out as early as they allow
    assert max(per_day.values()) <= 2 and max(per_week.values()) <= 10
    assert len({s.at.isocalendar()[:2] for s in slots[:40] if s}) == 4
    assert all(s.at > NOW for s in slots if s)
    # And the other board is not held back by the first
    assert [s.at.date() for s in slots[40:] if s][:2] == [NOW.date(), NOW.date()]


def test_pins_planned_earlier_count_against_the_limits() -> None:
    calendar = Counter({"Bedroom|2026-11-02": 2, "Bedroom|2026-11-03": 2, "Bedroom|2026-11-04": 2,
                        "Bedroom|2026-11-05": 2, "Bedroom|2026-11-06": 2})
    planner = Planner(CadenceLimits(per_day=2, per_week=10), NOW, calendar=calendar)
    slot = planner.place("Bedroom")
    assert slot is not None and slot.at.date() == date(2026, 11, 9)  # the week is full
    assert planner.added == Counter({"Bedroom|2026-11-09": 1})


def test_peak_days_fill_first_at_peak_hours() -> None:
    # Given an insight saying Saturday and Wednesday, 20:00 and 9:00 UTC
    peaks = Peaks.from_names(["Saturday", "Wednesday"], [20, 9])
    planner = Planner(CadenceLimits(per_day=2, per_week=10), NOW, peaks)
    slots = [planner.place("B") for _ in range(5)]
    days = [s.at.strftime("%a %H:%M") for s in slots if s]
    # Then each week's peak days are filled first, at the peak hours
    assert days == ["Sat 09:00", "Sat 20:00", "Wed 09:00", "Wed 20:00", "Mon 09:00"]


def test_default_hours_without_an_insight() -> None:
    slot = Planner(CadenceLimits(), NOW).place("B")
    assert slot is not None and slot.at.hour == DEFAULT_HOURS[0]


def test_seasonal_items_go_out_60_to_90_days_ahead() -> None:
    planner = Planner(CadenceLimits(), NOW)
    # Given a named season far enough ahead (Valentine's Day 2027) and an event date
    valentines = planner.place("B", tags=("season:valentines",))
    event = planner.place("B", tags=("event:2027-03-20",))
    assert valentines is not None and event is not None
    lead = (date(2027, 2, 14) - valentines.at.date()).days
    assert 60 <= lead <= 90 and valentines.seasonal == date(2027, 2, 14)
    assert 60 <= (date(2027, 3, 20) - event.at.date()).days <= 90 and not event.late
    # And one less than 60 days ahead goes out at once, marked late
    christmas = planner.place("B", tags=("season:christmas",))
    assert christmas is not None and christmas.late
    assert christmas.at.date() <= NOW.date() + timedelta(days=1)


def test_event_dates_from_tags() -> None:
    today = date(2026, 11, 2)
    assert event_date(["season:halloween"], today) == date(2027, 10, 31)  # this year's passed
    assert event_date(["Season:Black Friday"], today) == date(2026, 11, 27)
    assert event_date(["event:2020-01-01", "linen"], today) is None
    assert event_date(["event:soon"], today) is None


def test_a_full_season_is_never_planned_on_or_after_its_event() -> None:
    # Given 200 Pins for Christmas 2027 on one board (2 a day, 10 a week), planned in June
    now = datetime(2027, 6, 1, 8, 0, tzinfo=UTC)
    christmas = date(2027, 12, 25)
    planner = Planner(CadenceLimits(per_day=2, per_week=10), now)
    placed = [planner.place("Gifts", tags=("season:christmas",)) for _ in range(200)]
    slots = [p for p in placed if isinstance(p, Slot)]
    # Then none is planned on or after the event
    assert all(s.at.date() < christmas for s in slots)
    # And those in the 90-60 day window are on time, those after it marked late
    window = (christmas - timedelta(days=90), christmas - timedelta(days=60))
    assert all(window[0] <= s.at.date() <= window[1] for s in slots if not s.late)
    assert all(window[1] < s.at.date() for s in slots if s.late)
    on_time = sum(not s.late for s in slots)
    # The window, Sun 26 Sep - Tue 26 Oct: 2 + 4 weeks of 10 + 4 = 46; after it, to Fri 24
    # Dec: 6 (that week's rest) + 7 weeks of 10 + 10 = 86
    assert on_time == 46 and len(slots) - on_time == 86
    # And every other one is reported as not fitting, with the reason and when to try again
    missed = [p for p in placed if isinstance(p, Unplaced)]
    assert len(slots) + len(missed) == 200 and len(missed) == 68
    assert {(m.reason, m.retry_on) for m in missed} == {("season_full", date(2027, 12, 26))}
    assert "christmas 2027-12-25 window full on Gifts" in missed[0].detail
    assert [str(fit) for fit in planner.seasons.values()] == [
        "christmas 2027-12-25 on Gifts: 132 of 200 fit before the event (46 in the 90-60 day "
        "window, 86 late); 68 not planned (the window is full): raise the per-week limit or "
        "split the board"]


def test_a_season_whose_window_opens_past_the_horizon_waits_for_it() -> None:
    planner = Planner(CadenceLimits(horizon_days=30), NOW)
    waiting = planner.place("B", tags=("event:2027-06-01",))
    assert isinstance(waiting, Unplaced) and waiting.reason == "horizon"
    # The window opens on 2027-03-03; the 30-day horizon reaches it 30 days before
    assert waiting.retry_on == date(2027, 3, 3) - timedelta(days=30)


def test_pins_past_the_horizon_wait_until_the_horizon_reaches_their_day() -> None:
    # Given a 7-day horizon on a board taking 2 a day and 10 a week (Monday 2 November)
    planner = Planner(CadenceLimits(per_day=2, per_week=10, horizon_days=7), NOW)
    placed = [planner.place("B") for _ in range(16)]
    slots = [p for p in placed if isinstance(p, Slot)]
    waiting = [p for p in placed if isinstance(p, Unplaced)]
    # Then the week takes 10 (its limit), Monday 9 November 2 more, and the rest wait
    assert len(slots) == 12 and {w.reason for w in waiting} == {"horizon"}
    # each until the day the horizon reaches the day it could take: 10, 10, 11, 11 November
    assert [w.retry_on for w in waiting] == [date(2026, 11, 3), date(2026, 11, 3),
                                           date(2026, 11, 4), date(2026, 11, 4)]


@pytest.mark.parametrize(("season", "region", "published"), [
    ("easter", "US", ["2026-04-05", "2027-03-28", "2028-04-16", "2029-04-01", "2030-04-21"]),
    ("mothers-day", "US", ["2026-05-10", "2027-05-09", "2028-05-14", "2029-05-13",
                           "2030-05-12"]),
    ("mothers-day", "GB", ["2026-03-15", "2027-03-07", "2028-03-26", "2029-03-11",
                           "2030-03-31"]),
    ("fathers-day", "US", ["2026-06-21", "2027-06-20", "2028-06-18", "2029-06-17",
                           "2030-06-16"]),
    ("thanksgiving", "US", ["2026-11-26", "2027-11-25", "2028-11-23", "2029-11-22",
                            "2030-11-28"]),
    ("thanksgiving", "CA", ["2026-10-12", "2027-10-11", "2028-10-09", "2029-10-08",
                            "2030-10-14"]),
    ("black-friday", "US", ["2026-11-27", "2027-11-26", "2028-11-24", "2029-11-23",
                            "2030-11-29"]),
    ("christmas", "GB", ["2026-12-25", "2027-12-25", "2028-12-25", "2029-12-25",
                         "2030-12-25"]),
])
def test_movable_seasons_fall_on_their_published_dates(
    season: str, region: Region, published: list[str],
) -> None:
    # The dates as published (timeanddate.com, gov.uk, canada.ca) for 2026-2030
    for year, day in zip(range(2026, 2031), published, strict=True):
        assert season_day(season, year, region) == date.fromisoformat(day)
        assert event_date([f"season:{season}"], date(year, 1, 1), region) == \
            date.fromisoformat(day)


def test_a_seasonal_window_follows_pinterests_predicted_rise() -> None:
    # Given Pinterest predicts Easter 2027 searches (Easter is 2027-03-28) start rising on
    # 2027-02-01, 55 days ahead, and Mother's Day's (2027-05-09) on 2027-01-25, 104 days ahead
    rising = {"easter": date(2027, 2, 1), "mothers-day": date(2027, 1, 25)}
    fixed = Planner(CadenceLimits(), NOW)
    curve = Planner(CadenceLimits(), NOW, rising=rising)
    for name, day in (("easter", date(2027, 3, 28)), ("mothers-day", date(2027, 5, 9))):
        before = fixed.place("B", tags=(f"season:{name}",))
        after = curve.place("B", tags=(f"season:{name}",))
        assert isinstance(before, Slot) and isinstance(after, Slot)
        # Then the fixed rule plans it 60-90 days ahead, the curve from the day searches rise
        assert 60 <= (day - before.at.date()).days <= 90
        assert rising[name] <= after.at.date() <= rising[name] + timedelta(days=30)
        assert not after.late
        print(f"{name} {day}: fixed lead -> {before.at.date()}, predicted rise "
              f"{rising[name]} -> {after.at.date()}")


def test_a_predicted_rise_after_the_event_or_far_before_it_is_ignored() -> None:
    rising = {"easter": date(2027, 4, 2), "christmas": date(2025, 1, 1)}
    planner = Planner(CadenceLimits(), NOW, rising=rising)
    easter = planner.place("B", tags=("season:easter",))
    assert isinstance(easter, Slot)
    assert 60 <= (date(2027, 3, 28) - easter.at.date()).days <= 90
