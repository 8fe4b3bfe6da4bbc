"""The measured figures, computed by hand for the recorded fixture channel.

The fixture (``fixtures/analytics``), read as of Tuesday 2024-06-11 09:00 UTC, period 7 days:

Account days (IMPRESSION / SAVE / PIN_CLICK / OUTBOUND_CLICK / ENGAGEMENT, status)::

    previous 05-28 Tue   800 16 20  8  50      current 06-04 Tue 1000 20 30 10  70
             05-29 Wed  1000 20 25 10  60              06-05 Wed 1200 25 35 12  80
             05-30 Thu   700 10 15  5  40              06-06 Thu  900 15 20  8  50
             05-31 Fri  1200 30 35 15  90              06-07 Fri 1500 40 45 20 120
             06-01 Sat  1500 45 40 20 110              06-08 Sat 2000 60 50 25 150 ESTIMATE
             06-02 Sun  1400 40 30 10  90              06-09 Sun 1800 50 40 15 120 PROCESSING
             06-03 Mon   400  4 10  2  20              06-10 Mon  600 10 10  5  30 PROCESSING
             sum        7000 165 175 70 460            sum       9000 220 230 95 620

Pins (period figures IMP / SAVE / PIN_CLICK / OUTBOUND_CLICK, published at UTC hour)::

    1 Easy Vegan Chocolate Cake Recipe        recipe     2000 100 50 20  18h  5.0%
    2 How to Repot a Monstera: Step by Step   how-to     1500  90 30 15  18h  6.0%
    3 Linen Summer Dress - Shop the Look      product    1200  30 40 30   9h  2.5%
    4 Scandinavian Living Room Decor Ideas    lifestyle  1000  45 20  5  18h  4.5%
    5 Weeknight Pasta Dinner                  recipe      800  40 25 10  12h  5.0%
    6 Our Studio Update                       other       500   5 10  2  12h  1.0%
    7 DIY Macrame Plant Hanger                how-to       99  30  5  1   9h  below the floor
    8 Tiny Test Pin                           other         2   1  0  0  12h  below the floor

Boards: Recipes 1,200 followers, Home & Garden 800.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from pinterest_agent.agents.insights.categories import RULES_VERSION, Category, classify
from pinterest_agent.agents.insights.followers import (
    FollowerSnapshot,
    InMemoryFollowerSnapshotStore,
)
from pinterest_agent.agents.insights.metrics import (
    InsightInputs,
    aggregate_pins,
    compute_metrics,
    follower_growth,
    insight_period,
    period_totals,
    top_pins_by_save_rate,
)
from pinterest_agent.agents.insights.pin_index import build_index
from pinterest_agent.agents.insights.pin_records import PinRecord
from pinterest_agent.providers.pinterest.analytics import AnalyticsAPI
from pinterest_agent.providers.pinterest.analytics_models import (
    DailyMetrics,
    DateWindow,
    PinAnalytics,
    PinLifetimeMetrics,
)
from pinterest_agent.providers.pinterest.models import Board, Pin
from tests.fake_analytics import FIXTURE_NOW, FixturePinterest

B1, B2 = "800000000000001", "800000000000002"


def pid(n: int) -> str:
    return f"90000000000000{n}"


def record(pin: Pin, category: Category | None = None) -> PinRecord:
    """The cached record of a listed Pin, categorised by the rules (or as given)."""
    chosen = category or classify(pin.title, pin.description)
    return PinRecord.from_pin(pin).categorised(chosen, RULES_VERSION, chosen)


def fixture_inputs(history: list[FollowerSnapshot] | None = None) -> InsightInputs:
    api = AnalyticsAPI(FixturePinterest().client(), clock=lambda: FIXTURE_NOW)
    account = api.account_daily(14)
    pins = api.list_pins(pin_metrics=True)
    period = insight_period(account.window, 7)
    batch = api.pins_analytics([p.id for p in pins], period.start, period.end)
    return InsightInputs(
        account=account, pins=[record(pin) for pin in pins], pin_analytics=batch.pins,
        boards=api.list_boards(), history=history or [],
        lifetime={pin.id: PinLifetimeMetrics.from_pin_metrics(pin.id, pin.pin_metrics)
                  for pin in pins if pin.pin_metrics is not None},
    )


def test_totals_of_the_period_and_the_previous_one_match_the_hand_sums() -> None:
    metrics = compute_metrics(fixture_inputs(), now=FIXTURE_NOW, period_days=7)
    period = metrics.period
    assert (period.start, period.end, period.days) == (date(2024, 6, 4), date(2024, 6, 10), 7)
    assert (period.previous_start, period.previous_end) == (date(2024, 5, 28), date(2024, 6, 3))
    current, previous = metrics.totals.current, metrics.totals.previous
    assert (current.impressions, current.saves, current.pin_clicks, current.outbound_clicks,
            current.engagements) == (9000, 220, 230, 95, 620)
    assert current.engagement_rate == pytest.approx(620 / 9000)
    assert previous is not None
    assert (previous.impressions, previous.saves, previous.pin_clicks, previous.outbound_clicks,
            previous.engagements) == (7000, 165, 175, 70, 460)
    changes = {c.metric: (c.change, c.change_pct) for c in metrics.totals.changes}
    assert changes["impressions"] == pytest.approx((2000, 2000 / 7000 * 100))
    assert changes["saves"] == pytest.approx((55, 55 / 165 * 100))
    assert changes["engagements"] == pytest.approx((160, 160 / 460 * 100))
    assert metrics.totals.engagement_source == "ENGAGEMENT"


def test_days_that_are_not_final_are_counted_and_listed() -> None:
    metrics = compute_metrics(fixture_inputs(), now=FIXTURE_NOW, period_days=7)
    assert metrics.data.final_days == 4
    assert metrics.data.provisional_days == 3
    assert metrics.data.unavailable_days == 0
    assert metrics.data.provisional_dates == [date(2024, 6, 8), date(2024, 6, 9), date(2024, 6, 10)]


def test_top_five_by_save_rate_above_the_impressions_floor() -> None:
    top = compute_metrics(fixture_inputs(), now=FIXTURE_NOW, period_days=7).top_pins
    # 6.0%, then the two 5.0% Pins (more saves first), 4.5%, 2.5%; Pins 7 and 8 are below 100
    assert [p.pin_id for p in top.pins] == [pid(2), pid(1), pid(5), pid(4), pid(3)]
    assert [p.save_rate for p in top.pins] == pytest.approx([0.06, 0.05, 0.05, 0.045, 0.025])
    assert (top.min_impressions, top.eligible_pins) == (100, 6)
    first = top.pins[1]
    assert (first.title, first.category, first.saves, first.comments, first.reactions) == (
        "Easy Vegan Chocolate Cake Recipe", "recipe", 100, 12, 40,
    )
    assert top.pins[0].comments is None  # the listing carried no pin_metrics for Pin 2


def test_one_save_of_two_impressions_does_not_win() -> None:
    window = DateWindow(start=date(2024, 6, 4), end=date(2024, 6, 10))
    pins = [record(Pin(id="1", title="lucky"), "other"),
            record(Pin(id="2", title="steady"), "other")]
    analytics = {
        "1": PinAnalytics(pin_id="1", window=window, summary={"IMPRESSION": 2, "SAVE": 1}),
        "2": PinAnalytics(pin_id="2", window=window, summary={"IMPRESSION": 1000, "SAVE": 40}),
    }
    index, by_id = build_index(pins), {pin.id: pin for pin in pins}
    ranked = top_pins_by_save_rate(aggregate_pins(analytics, index), by_id)
    assert [p.pin_id for p in ranked.pins] == ["2"]
    # without a floor the lucky Pin would have won
    unfloored = aggregate_pins(analytics, index, min_impressions=1)
    assert top_pins_by_save_rate(unfloored, by_id).pins[0].pin_id == "1"


def test_categories_with_save_rate_and_impressions() -> None:
    categories = compute_metrics(fixture_inputs(), now=FIXTURE_NOW, period_days=7).categories
    got = {c.category: (c.pins, c.impressions, c.saves) for c in categories}
    assert got == {
        "recipe": (2, 2800, 140),
        "how-to": (2, 1599, 120),
        "product": (1, 1200, 30),
        "lifestyle": (1, 1000, 45),
        "other": (2, 502, 6),
    }
    rates = {c.category: c.save_rate for c in categories}
    assert rates["recipe"] == pytest.approx(0.05)
    assert rates["how-to"] == pytest.approx(120 / 1599)
    shares = {c.category: c.impression_share for c in categories}
    assert shares["recipe"] == pytest.approx(2800 / 7101)


@pytest.mark.parametrize(
    ("title", "description", "category"),
    [
        ("How to bake sourdough", None, "recipe"),
        ("DIY gift guide", "Make it yourself", "how-to"),
        ("Shop our spring sale", "Home decor deals", "product"),
        ("Boho bedroom inspiration", None, "lifestyle"),
        ("Company news", "We moved offices", "other"),
        ("HOW-TO: Paint a Door", None, "how-to"),
        ("Reviewed: the best kettle", None, "other"),  # whole words only: not "review"
    ],
)
def test_content_categories_from_title_and_description(
    title: str, description: str | None, category: str
) -> None:
    assert classify(title, description) == category


def test_peak_days_average_engagements_per_weekday_over_both_periods() -> None:
    peak = compute_metrics(fixture_inputs(), now=FIXTURE_NOW, period_days=7).peak_days
    # Sat (150+110)/2 = 130; Fri and Sun 105 (Friday first in week order); Mon 25
    assert peak.peak == ["Saturday", "Friday"]
    assert peak.days_used == 14
    saturday = next(w for w in peak.weekdays if w.weekday == "Saturday")
    assert saturday.avg_engagements == 130
    assert saturday.index == pytest.approx(130 / (1080 / 14))


def test_peak_hours_are_an_estimate_from_publish_times_weighted_by_engagement() -> None:
    hours = compute_metrics(fixture_inputs(), now=FIXTURE_NOW, period_days=7).peak_hours
    assert hours.is_estimate and "Estimate" in hours.basis
    # 18h: Pins 1, 2, 4 = 170 + 135 + 70 = 375 over 3 Pins; 12h: 75 + 17 + 1 = 93 over 3 Pins;
    # 9h has only 2 Pins, under the 3-Pin floor
    assert [(h.hour_utc, h.pins, h.engagements) for h in hours.peak] == [(18, 3, 375), (12, 3, 93)]
    assert hours.peak[0].avg_engagements_per_pin == 125
    assert hours.peak[0].share == pytest.approx(375 / 604)
    assert (hours.pins_used, hours.min_pins_per_hour) == (8, 3)


def test_first_run_has_no_follower_history_yet() -> None:
    followers = compute_metrics(fixture_inputs(), now=FIXTURE_NOW, period_days=7).followers
    assert followers.status == "no_history"
    assert followers.total_followers == 2000
    assert followers.change is None
    assert "No history yet" in followers.note


def test_follower_growth_against_the_previous_runs_snapshot() -> None:
    # Given snapshots stored by the two previous weekly runs
    store = InMemoryFollowerSnapshotStore()
    store.save("shop", FollowerSnapshot(taken_at=datetime(2024, 6, 4, 6, tzinfo=UTC),
                                        boards={B1: 1150, B2: 790}))
    store.save("shop", FollowerSnapshot(taken_at=datetime(2024, 5, 28, 6, tzinfo=UTC),
                                        boards={B1: 1100, B2: 780}))
    # When this run measures growth (no snapshot falls inside the last 7 days)
    followers = compute_metrics(
        fixture_inputs(store.load("shop")), now=FIXTURE_NOW, period_days=7
    ).followers
    # Then the latest earlier snapshot is the baseline: 2,000 now against 1,940
    assert followers.status == "ok"
    assert (followers.baseline_followers, followers.change) == (1940, 60)
    assert followers.change_pct == pytest.approx(60 / 1940 * 100)
    assert followers.baseline_at == datetime(2024, 6, 4, 6, tzinfo=UTC)
    assert [(b.board_id, b.change) for b in followers.boards] == [(B1, 50), (B2, 10)]


def test_growth_uses_the_earliest_snapshot_inside_the_period() -> None:
    boards = [Board(id=B1, name="Recipes", follower_count=120)]
    now = datetime(2024, 6, 30, tzinfo=UTC)
    history = [
        FollowerSnapshot(taken_at=now - timedelta(days=d), boards={B1: 100 + 30 - d})
        for d in (40, 25, 10, 3)
    ]
    growth = follower_growth(boards, history, now, 30)
    assert growth.baseline_at == now - timedelta(days=25)
    assert growth.change == 120 - 105


def test_without_an_engagement_metric_engagements_are_saves_plus_clicks() -> None:
    day = date(2024, 6, 10)
    rows = [DailyMetrics(date=day, metrics={"IMPRESSION": 100, "SAVE": 3, "PIN_CLICK": 4,
                                            "OUTBOUND_CLICK": 1})]
    period = insight_period(DateWindow(start=day, end=day), 1)
    totals, _ = period_totals(rows, period, 1)
    assert totals.engagement_source == "saves+clicks"
    assert totals.current.engagements == 8
    assert totals.previous is None  # the previous day is outside the window fetched


def test_a_previous_period_beyond_the_apis_reach_is_not_compared() -> None:
    window = DateWindow(start=date(2024, 3, 14), end=date(2024, 6, 10))  # 89 days
    period = insight_period(window, 60)
    assert period.previous_days == 29
    totals, _ = period_totals([], period, 60)
    assert totals.previous is None
    assert all(c.change_pct is None for c in totals.changes)


def test_top_five_matches_a_full_sort_on_a_large_channel() -> None:
    # Given 3,000 Pins with many tied save rates (the one-pass top-5 prunes as it goes)
    import random

    rng = random.Random(7)
    window = DateWindow(start=date(2024, 6, 4), end=date(2024, 6, 10))
    pins = [record(Pin(id=str(10_000 + i), title=f"pin {i}"), "other") for i in range(3000)]
    analytics = {}
    for pin in pins:
        impressions = rng.choice([50, 100, 200, 400, 1000])
        saves = rng.choice([0, 1, 2, 5, 10, 20])
        analytics[pin.id] = PinAnalytics(pin_id=pin.id, window=window,
                                         summary={"IMPRESSION": impressions, "SAVE": saves})
    # When the top 5 is computed in one pass
    ranked = top_pins_by_save_rate(aggregate_pins(analytics, build_index(pins)),
                                   {pin.id: pin for pin in pins})
    # Then it equals sorting every eligible Pin by (save rate, saves, impressions, id)
    eligible = [p for p in pins if analytics[p.id].summary["IMPRESSION"] >= 100]
    expected = sorted(
        eligible,
        key=lambda p: (-analytics[p.id].summary["SAVE"] / analytics[p.id].summary["IMPRESSION"],
                       -analytics[p.id].summary["SAVE"], -analytics[p.id].summary["IMPRESSION"],
                       p.id),
    )[:5]
    assert [p.pin_id for p in ranked.pins] == [p.id for p in expected]
    assert ranked.eligible_pins == len(eligible)
