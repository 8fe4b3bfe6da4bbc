"""The cadence planner: per-board limits per day and per ISO week, peak days and hours first,
seasonal items 60-90 days ahead of their date."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from pinterest_agent.agents.catalog.planner import (
    DEFAULT_HOURS,
    CadenceLimits,
    Peaks,
    Planner,
    event_date,
)

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
