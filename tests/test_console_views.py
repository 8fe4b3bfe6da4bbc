"""The console's view models: figures -> chart series, tables, rows (pure, no I/O)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from pinterest_agent.agents.insights.followers import FollowerSnapshot
from pinterest_agent.agents.insights.models import FigureValue
from pinterest_agent.agents.insights.recorder import RecordingAnalytics
from pinterest_agent.agents.insights.snapshot import (
    ChannelFigures,
    DayFigures,
    PinFigures,
    build_figures,
    thumbnail_url,
    top_pins,
)
from pinterest_agent.providers.pinterest.analytics_models import (
    AccountAnalytics,
    DailyMetrics,
    DateWindow,
    PinAnalytics,
)
from pinterest_agent.providers.pinterest.models import Board, Pin
from pinterest_agent.queues.console.charts import (
    PROVISIONAL_LABEL,
    daily_series,
    follower_series,
    render_chart,
)
from pinterest_agent.queues.console.compare import parse_range, sparkline
from pinterest_agent.queues.console.figure_words import figure_in_words
from pinterest_agent.queues.console.views import (
    event_channel,
    event_rows,
    overview_view,
    post_view,
    top_pins_view,
)

START = date(2026, 9, 1)
NOW = datetime(2026, 11, 30, 6, tzinfo=UTC)


def _days(statuses: list[str]) -> list[DayFigures]:
    return [DayFigures(date=START + timedelta(days=i), data_status=status, impressions=100 + i,
                       saves=10 + i, outbound_clicks=i)
            for i, status in enumerate(statuses)]


def _figures(**overrides: object) -> ChannelFigures:
    values: dict[str, object] = {
        "channel_id": "shop", "generated_at": NOW, "status": "ok",
        "days": _days(["READY"] * 5 + ["ESTIMATE", "PROCESSING"]),
    }
    values.update(overrides)
    return ChannelFigures.model_validate(values)


def test_daily_series_marks_provisional_days_and_leaves_gaps_for_days_without_data() -> None:
    # Given five final days, one without figures yet, then an estimate and a processing day
    figures = _figures(days=_days(["READY"] * 4 + ["BEFORE_PIN_CREATED", "ESTIMATE",
                                                   "PROCESSING"]))
    # When the saves chart's series is built
    series = daily_series(figures, "saves", "Saves")
    # Then every day with data is a point, the day without data is a gap, and exactly the
    # provisional days are marked
    assert series.values == (10, 11, 12, 13, None, 15, 16)
    assert series.marked == (None, None, None, None, None, 15, 16)
    assert series.points == 6 and series.marked_points == 2
    assert series.labels[0] == "Sep 01" and series.marked_label == PROVISIONAL_LABEL


def test_final_days_only_have_no_marked_series() -> None:
    series = daily_series(_figures(days=_days(["READY"] * 3)), "impressions", "Impressions")
    assert series.marked == ()


def test_rendered_chart_is_svg_with_a_point_per_day_and_no_script() -> None:
    # Given a series of seven days, two provisional
    series = daily_series(_figures(), "impressions", "Impressions")
    # When it is drawn
    svg = render_chart(series)
    # Then it is inline SVG carrying each value, the provisional legend, and no script
    assert svg.startswith("<svg") and "<script" not in svg
    assert svg.count('class="dot ') == series.points + series.marked_points
    assert PROVISIONAL_LABEL in svg


def test_follower_series_orders_snapshots_oldest_first() -> None:
    snapshots = [
        FollowerSnapshot(taken_at=NOW, boards={"1": 30, "2": 12}),
        FollowerSnapshot(taken_at=NOW - timedelta(days=7), boards={"1": 25, "2": 10}),
    ]
    series = follower_series(snapshots)
    assert series.values == (35, 42)


def test_overview_totals_and_provisional_note() -> None:
    figures = _figures(pins_total=3, username="shop_owner",
                       boards=[{"board_id": "1", "name": "Recipes", "follower_count": 40},
                               {"board_id": "2", "name": "Decor", "follower_count": 2}])
    view = overview_view(figures, [FollowerSnapshot(taken_at=NOW, boards={"1": 42})],
                         range_days=7)
    stats = {stat.label: stat.value for stat in view.stats}
    assert stats["Total Pins"] == "3" and stats["Board followers"] == "42"
    assert stats["Impressions (7 days)"] == f"{sum(100 + i for i in range(7)):,}"
    assert stats["Account"] == "@shop_owner"
    # one follower snapshot is explained, not drawn as one lone dot
    assert [chart.name for chart in view.charts] == ["impressions", "saves", "outbound clicks"]
    assert "one snapshot so far (2026-11-30, 42 board followers)" in view.follower_note
    assert "2 provisional day(s)" in view.provisional_note
    assert [board.label for board in view.boards] == ["Recipes", "Decor"]


def _pin(pin_id: str, impressions: int, saves: int, clicks: int = 0) -> PinFigures:
    return PinFigures(pin_id=pin_id, title=f"Pin {pin_id}", impressions=impressions, saves=saves,
                      outbound_clicks=clicks)


def test_top_pins_sort_by_each_column_and_save_rate_needs_enough_impressions() -> None:
    # Given a Pin with a huge save rate on few impressions and two well-seen Pins
    figures = _figures(top_pins=[_pin("lucky", 4, 3), _pin("big", 5000, 100, clicks=9),
                                 _pin("good", 400, 40, clicks=30)], min_impressions=100)
    # When sorted by save rate, the lucky Pin (4 impressions) comes after the ranked ones
    by_rate = top_pins_view(figures, "save_rate")
    assert [row.pin_id for row in by_rate.rows] == ["good", "big", "lucky"]
    assert [row.ranked_by_rate for row in by_rate.rows] == [True, True, False]
    assert by_rate.rows[0].save_rate == "10.00%"
    # And by impressions, ascending, and by outbound clicks
    assert [r.pin_id for r in top_pins_view(figures, "impressions", "asc").rows] == [
        "lucky", "good", "big"]
    assert top_pins_view(figures, "outbound_clicks").rows[0].pin_id == "good"
    # An unknown column falls back to saves
    assert top_pins_view(figures, "title; drop").sort == "saves"


def test_stored_top_pins_are_the_union_of_the_best_by_every_column() -> None:
    # Given 30 Pins whose ranks differ per column
    pins = [_pin(str(i), impressions=1000 - i, saves=i, clicks=(i * 7) % 30) for i in range(30)]
    # When three per column are kept
    kept = top_pins(pins, keep=3, min_impressions=100)
    ids = {p.pin_id for p in kept}
    # Then the best three by impressions, by saves, by save rate and by clicks are all there
    assert {"0", "1", "2"} <= ids and {"29", "28", "27"} <= ids
    assert {p.pin_id for p in sorted(pins, key=lambda p: -p.outbound_clicks)[:3]} <= ids
    assert len(kept) <= 5 * 3


def test_build_figures_from_what_the_insights_job_read() -> None:
    # Given the analytics answers of one run, recorded as the job read them
    window = DateWindow(start=START, end=START + timedelta(days=1))
    account = AccountAnalytics(window=window, daily=[
        DailyMetrics(date=START, data_status="READY",
                     metrics={"IMPRESSION": 50, "SAVE": 5, "OUTBOUND_CLICK": 1}),
        DailyMetrics(date=START + timedelta(days=1), data_status="PROCESSING",
                     metrics={"IMPRESSION": 20}),
    ])
    pin = Pin(id="11", title="Lemon cake", link="https://shop.example/cake",
              media={"images": {"150x150": {"url": "https://i.example/150.jpg", "width": 150},
                                "1200x": {"url": "https://i.example/1200.jpg", "width": 1200}}})
    stats = PinAnalytics(pin_id="11", window=window, summary={"IMPRESSION": 300, "SAVE": 30})
    figures = build_figures("shop", NOW, status="ok", account=account,
                            boards=[Board(id="1", name="Cakes", follower_count=9)],
                            pins=[pin, Pin(id="12")], pin_analytics={"11": stats},
                            pin_period=(START, START))
    # Then the snapshot keeps the days with their status, the Pin with its thumbnail, the boards
    assert [d.data_status for d in figures.days] == ["READY", "PROCESSING"]
    assert figures.provisional_days == [START + timedelta(days=1)]
    assert figures.pins_total == 2 and figures.followers_total == 9
    [top] = figures.top_pins
    assert (top.pin_id, top.saves, top.image_url) == ("11", 30, "https://i.example/150.jpg")
    assert top.save_rate == 0.1 and top.url == "https://www.pinterest.com/pin/11/"
    # And it survives a round trip through JSON (how it is stored)
    assert ChannelFigures.model_validate_json(figures.model_dump_json()) == figures


def test_thumbnail_is_the_smallest_image_at_least_150_wide() -> None:
    images = {"images": {"a": {"url": "https://i/600.jpg", "width": 600},
                         "b": {"url": "https://i/236.jpg", "width": 236},
                         "c": {"url": "https://i/75.jpg", "width": 75},
                         "d": {"url": "javascript:alert(1)", "width": 400}}}
    assert thumbnail_url(images) == "https://i/236.jpg"
    assert thumbnail_url({"images": {"c": {"url": "https://i/75.jpg", "width": 75}}}) == \
        "https://i/75.jpg"
    assert thumbnail_url(None) is None


class _Source:
    """A scripted analytics source counting its calls."""

    def __init__(self) -> None:
        self.call_count = 0
        self.window = DateWindow(start=START, end=START + timedelta(days=59))

    def account_daily(self, days: int, metric_types: object = None, *,
                      end: date | None = None) -> AccountAnalytics:
        self.call_count += 1
        return AccountAnalytics(window=DateWindow(start=START, end=START + timedelta(
            days=days - 1)), daily=[])

    def list_pins(self, *, board_id: str | None = None, pin_metrics: bool = False) -> list[Pin]:
        self.call_count += 1
        return [Pin(id="1")] if board_id is None else []

    def list_boards(self) -> list[Board]:
        self.call_count += 1
        return [Board(id="9")]

    def pins_analytics(self, pin_ids: object, start: date, end: date,
                       metric_types: object = None) -> object:
        from pinterest_agent.providers.pinterest.analytics_models import PinAnalyticsBatch

        self.call_count += 1
        window = DateWindow(start=start, end=end)
        return PinAnalyticsBatch(window=window, pins={"1": PinAnalytics(pin_id="1",
                                                                        window=window)})

    def pin_lifetime(self, pin_id: str) -> object:
        raise AssertionError("not used")


def test_recorder_passes_every_call_through_and_keeps_the_answers() -> None:
    source = _Source()
    recorder = RecordingAnalytics(source)  # type: ignore[arg-type]
    recorder.account_daily(60)
    recorder.account_daily(30)
    recorder.list_boards()
    recorder.list_pins(pin_metrics=True)
    recorder.list_pins(board_id="9")
    recorder.pins_analytics(["1"], START, START)
    assert recorder.call_count == source.call_count == 6
    assert recorder.account is not None and recorder.account.window.days == 60  # the longest
    assert [p.id for p in recorder.pins or []] == ["1"]  # the channel's listing, not a board's
    assert recorder.pin_period == (START, START) and set(recorder.pin_analytics) == {"1"}


def _event(event_type: str, subject: str, **payload: object) -> dict[str, object]:
    return {"stream_id": "1-0", "type": event_type, "id": subject,
            "payload": {"recorded_at": NOW.timestamp(), **payload}}


def test_events_are_filtered_by_channel_and_status_newest_first_as_given() -> None:
    events = [
        _event("post.failed", "p2", kind="post", error={"code": "board_not_found",
                                                        "message": "gone"},
               message={"channel_id": "shop"}),
        _event("insight.ready", "shop", kind="insight", summary="Saves up"),
        _event("post.published", "p1", kind="post", channel_id="other", pin_url="https://p/1"),
        _event("post.drafted", "p3", kind="brief", channel_id="shop", title="Lemon cake"),
    ]
    assert event_channel(events[0]) == "shop" and event_channel(events[1]) == "shop"
    rows = event_rows(events, channel="shop")
    assert [r.subject for r in rows] == ["p2", "shop", "p3"]
    assert rows[0].detail == "[board_not_found] gone" and rows[2].kind == "brief"
    assert [r.subject for r in event_rows(events, status="published")] == ["p1"]


def test_post_view_shows_the_draft_its_image_reference_and_its_events() -> None:
    draft = {"post_id": "b1", "channel_id": "shop", "title": "Lemon cake",
             "description": "Bright and easy.", "link": "https://shop.example/cake",
             "media": {"type": "image_ref", "sha256": "ab" * 32}}
    brief = {"status": "drafted", "provenance": {"model": "m", "templates": {"pin_copy": "h1"}}}
    view = post_view("b1", brief_outcome=brief, post_outcome=None, draft=draft,
                     events=[_event("post.drafted", "b1", channel_id="shop"),
                             _event("post.drafted", "other")])
    assert view is not None
    assert view.status == "drafted" and view.image_sha256 == "ab" * 32
    assert [s.label for s in view.copy] == ["Title", "Description", "Link"]
    assert ("templates.pin_copy", "h1") in [(s.label, s.value) for s in view.provenance]
    assert len(view.events) == 1
    assert post_view("nope", brief_outcome=None, post_outcome=None, draft=None, events=[]) is None


@pytest.mark.parametrize(("media", "image_url", "note"), [
    ({"type": "image_url", "url": "https://cdn.example/a.jpg"}, "https://cdn.example/a.jpg", None),
    ({"type": "carousel", "items": [{"url": "https://cdn.example/1.jpg"},
                                    {"url": "https://cdn.example/2.jpg"}]},
     "https://cdn.example/1.jpg", "A carousel of 2 images."),
    ({"type": "video", "url": "https://cdn.example/v.mp4",
      "cover_image_url": "https://cdn.example/c.jpg"}, "https://cdn.example/c.jpg",
     "A video; its cover is shown."),
    ({"type": "image_base64", "content_type": "image/png", "data_chars": 1200,
      "data_sha256": "ab" * 32}, None,
     "The image was sent inline (image/png, 1,200 base64 characters); its bytes are not kept, "
     "so it is not shown here."),
])
def test_an_upstream_posts_image_is_shown_or_said(
    media: dict[str, object], image_url: str | None, note: str | None,
) -> None:
    sent = {"post_id": "u1", "channel_id": "shop", "title": "Linen dress", "media": media}
    view = post_view("u1", brief_outcome=None, post_outcome={"status": "published",
                                                             "board_id": "77"},
                     draft=sent, events=[])
    assert view is not None
    assert (view.image_url, view.image_note) == (image_url, note)
    assert [(s.label, s.value) for s in view.copy] == [("Title", "Linen dress"), ("Board", "77")]


def test_each_card_compares_its_range_with_the_days_before_and_has_a_sparkline() -> None:
    # Given 14 final days (impressions 100..113) and two follower snapshots a week apart
    figures = _figures(days=_days(["READY"] * 14))
    snapshots = [FollowerSnapshot(taken_at=NOW - timedelta(days=7), boards={"1": 40}),
                 FollowerSnapshot(taken_at=NOW, boards={"1": 50})]
    # When the Overview shows the last 7 days
    view = overview_view(figures, snapshots, range_days=7)
    cards = {stat.label: stat for stat in view.stats}
    # Then each total is compared with the 7 days before, in words, with its direction
    last, before = sum(range(107, 114)), sum(range(100, 107))
    impressions = cards["Impressions (7 days)"]
    assert impressions.value == f"{last:,}"
    assert impressions.change == f"{(last - before) / before:+.1%} on the previous 7 days"
    assert impressions.direction == "up"
    assert cards["Board followers"].change == "+25.0% on 7 days before"
    # And a sparkline through its 7 days, lowest at the bottom, highest at the top
    points = impressions.spark.split()
    assert len(points) == 7 and points[0] == "0.0,22.0" and points[-1] == "100.0,2.0"
    # And the charts cover the same 7 days; the follower line has its two points
    assert [len(chart.values) for chart in view.charts] == [7, 7, 7, 2]


def test_a_range_longer_than_the_figures_says_there_is_nothing_to_compare() -> None:
    view = overview_view(_figures(days=_days(["READY"] * 10)), [], range_days=7)
    card = next(s for s in view.stats if s.label.startswith("Impressions"))
    assert card.change == "no full 7 days before to compare with" and card.direction == ""
    assert "no snapshot yet" in view.follower_note
    assert parse_range("90") == 90 and parse_range("12") == 30 and parse_range(None) == 30
    assert sparkline([None, 5]) == "" and sparkline([3, None, 3]) == "0.0,22.0 100.0,22.0"


def test_every_chart_point_has_a_tooltip_without_script() -> None:
    series = daily_series(_figures(days=_days(["READY"] * 2 + ["ESTIMATE"])), "impressions",
                          "Impressions")
    svg = render_chart(series)
    assert "<title>Sep 01: 100 impressions</title>" in svg
    assert "<title>Sep 03: 102 provisional (may still change)</title>" in svg
    assert svg.count('class="dot reactive tooltip-trigger"><title>') == \
        series.points + series.marked_points
    assert "<script" not in svg


def test_a_suggestions_figure_is_said_in_words_against_its_siblings_median() -> None:
    figures: dict[str, FigureValue] = {
        "top_pins.1.title": "Linen dress", "top_pins.1.save_rate_pct": 12.5,
        "top_pins.2.save_rate_pct": 4.0, "top_pins.3.save_rate_pct": 4.2,
        "top_pins.4.save_rate_pct": 3.9,
        "categories.recipe.save_rate_pct": 6.0, "categories.decor.save_rate_pct": 2.0,
        "peak_days.1.weekday": "tuesday", "peak_days.1.above_mean_pct": 31.4,
        "peak_hours.1.hour_utc": 18, "change.saves_pct": -12.4,
        "followers.change": 14, "followers.since": "2026-11-01",
    }

    def say(name: str) -> str:
        return figure_in_words(name, figures[name], figures)

    assert say("top_pins.1.save_rate_pct") == (
        'your #1 Pin, "Linen dress", was saved 12.5% of the times it was seen, '
        "3.0x the median of your top Pins (4.1%)")
    assert say("categories.recipe.save_rate_pct") == (
        "recipe Pins were saved 6% of the times they were seen, 1.5x the median of your "
        "categories (4%)")
    assert say("peak_days.1.above_mean_pct") == (
        "tuesday (your #1 day) gets 31.4% more engagement than the average day")
    assert say("peak_hours.1.hour_utc") == "18:00 UTC is your #1 hour"
    assert say("change.saves_pct") == "saves fell by 12.4% on the previous period"
    assert say("followers.change") == "board followers rose by 14 since 2026-11-01"
    assert figure_in_words("pins.total", 40) == "pins total: 40"
