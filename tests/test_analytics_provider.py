"""The analytics provider against recorded responses in Pinterest's official shapes.

Every request goes through ``httpx.MockTransport`` and is checked against the OpenAPI contract
(``tests/fake_analytics.py``); no test reaches the network.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import httpx
import pytest

from providers.pinterest.analytics import (
    AnalyticsAPI,
    AnalyticsUnavailableError,
    Limiter,
    no_limit,
)
from providers.pinterest.client import PinterestClient
from providers.pinterest.contract import load_contract
from providers.pinterest.errors import PinterestError, PinterestRateLimitedError
from tests.fake_analytics import FIXTURE_NOW, FixturePinterest, error, load

PIN_IDS = [f"90000000000000{i}" for i in range(1, 9)]
PERIOD = (date(2024, 6, 4), date(2024, 6, 10))


def api_for(
    fake: FixturePinterest, now: datetime = FIXTURE_NOW, limiter: Limiter = no_limit
) -> AnalyticsAPI:
    return AnalyticsAPI(fake.client(), clock=lambda: now, limiter=limiter)


def test_recorded_fixtures_conform_to_the_official_response_schemas() -> None:
    contract = load_contract()
    bulk = load("pins_analytics_batch.json")
    cases = [
        ("/v5/user_account/analytics", load("user_account_analytics.json")),
        ("/v5/user_account/analytics/top_pins", load("top_pins.json")),
        ("/v5/pins/analytics", bulk),
        ("/v5/pins/900000000000001/analytics", bulk["900000000000001"]),
        ("/v5/pins", load("pins_page1.json")),
        ("/v5/boards", load("boards.json")),
    ]
    for path, body in cases:
        assert contract.validate_response("GET", path, 200, body) == [], path


def test_account_daily_reads_the_all_group_and_keeps_each_days_status() -> None:
    # Given the recorded account answer (14 days, the last three not final)
    fake = FixturePinterest()
    # When two periods of 7 days are read
    account = api_for(fake).account_daily(14)
    # Then the request is the documented one, with comma-separated metric types
    params = fake.requests[0].url.params
    assert params["start_date"] == "2024-05-28" and params["end_date"] == "2024-06-10"
    assert params["metric_types"] == "IMPRESSION,SAVE,PIN_CLICK,OUTBOUND_CLICK,ENGAGEMENT"
    assert params["split_field"] == "NO_SPLIT"
    # And every day is there with its status
    assert account.daily[0].date == date(2024, 5, 28)
    assert len(account.daily) == 14
    assert account.provisional_dates == [date(2024, 6, 8), date(2024, 6, 9), date(2024, 6, 10)]
    assert sum(row.is_final for row in account.daily) == 11
    assert account.summary["IMPRESSION"] == 16000


@pytest.mark.parametrize(
    ("now", "today"),
    [
        (datetime(2024, 6, 11, 23, 59, 59, tzinfo=UTC), date(2024, 6, 11)),
        (datetime(2024, 6, 12, 0, 0, 0, tzinfo=UTC), date(2024, 6, 12)),
        # 01:30 in UTC+2 is still 23:30 on the 11th in UTC: the UTC date decides.
        (datetime(2024, 6, 12, 1, 30, tzinfo=timezone(timedelta(hours=2))), date(2024, 6, 11)),
        # 20:00 in UTC-5 is already 01:00 on the 12th in UTC.
        (datetime(2024, 6, 11, 20, 0, tzinfo=timezone(timedelta(hours=-5))), date(2024, 6, 12)),
    ],
)
def test_start_is_clamped_to_89_days_back_at_the_utc_day_boundary(
    now: datetime, today: date
) -> None:
    # Given a clock on either side of midnight UTC
    fake = FixturePinterest()
    # When far more days are asked for than the API keeps
    api_for(fake, now).account_daily(365)
    # Then start is exactly 89 days before today in UTC, and end is yesterday
    params = fake.requests[0].url.params
    assert params["start_date"] == (today - timedelta(days=89)).isoformat()
    assert params["end_date"] == (today - timedelta(days=1)).isoformat()


def test_the_window_is_clamped_for_per_pin_requests_too() -> None:
    fake = FixturePinterest()
    api = api_for(fake)
    api.pins_analytics(["900000000000001"], date(2020, 1, 1), date(2030, 1, 1))
    params = fake.requests[0].url.params
    assert params["start_date"] == "2024-03-14"  # 2024-06-11 minus 89 days
    assert params["end_date"] == "2024-06-11"


def test_a_naive_clock_is_refused() -> None:
    api = AnalyticsAPI(FixturePinterest().client(), clock=lambda: datetime(2024, 6, 11, 9))
    with pytest.raises(ValueError, match="aware"):
        api.account_daily(7)


def test_pins_analytics_uses_the_batch_endpoint_100_pins_at_a_time() -> None:
    # Given 250 Pins (8 of them known to the fake)
    fake = FixturePinterest()
    ids = PIN_IDS + [str(800_000_000_000_000 + i) for i in range(242)]
    # When their period figures are read
    batch = api_for(fake).pins_analytics(ids, *PERIOD)
    # Then three batch requests carried 100, 100 and 50 ids, one pin_ids parameter per id
    # (the spec declares no style for pin_ids: form, exploded)
    sizes = [len(r.url.params.get_list("pin_ids")) for r in fake.requests]
    assert sizes == [100, 100, 50]
    assert fake.requests[0].url.params.get_list("pin_ids")[:2] == PIN_IDS[:2]
    assert all("," not in i for r in fake.requests for i in r.url.params.get_list("pin_ids"))
    assert fake.paths() == ["/pins/analytics"] * 3
    assert fake.requests[0].url.params["metric_types"] == "IMPRESSION,SAVE,PIN_CLICK,OUTBOUND_CLICK"
    # And the figures come from summary_metrics, daily rows kept with their status
    assert batch.used_batch_endpoint
    assert set(batch.pins) == set(PIN_IDS)
    pin = batch.pins["900000000000001"]
    assert (pin.get("IMPRESSION"), pin.get("SAVE")) == (2000, 100)
    assert [row.data_status for row in pin.daily][-3:] == ["ESTIMATE", "PROCESSING", "PROCESSING"]
    assert batch.pins["900000000000008"].daily[0].data_status == "BEFORE_PIN_CREATED"


def _summaries(api: AnalyticsAPI) -> dict[str, dict[str, float]]:
    batch = api.pins_analytics(PIN_IDS, *PERIOD)
    return {pin_id: dict(a.summary) for pin_id, a in batch.pins.items()}


@pytest.mark.parametrize(
    "refusal",
    [
        lambda: error(403, 403, "This endpoint is in beta and not available to your app."),
        lambda: error(401, 7, "Not authorized to access board or Pin."),
        lambda: error(404, 404, "Not found."),
        lambda: error(400, 1, "Invalid multi_pins analytics parameters."),
    ],
    ids=["403", "401-code-7", "404", "400"],
)
def test_batch_refused_falls_back_to_per_pin_calls_with_the_same_metrics(
    refusal: object,
) -> None:
    # Given the same recorded figures served with and without the batch endpoint
    expected = _summaries(api_for(FixturePinterest()))
    fake = FixturePinterest(batch_refusal=refusal)  # type: ignore[arg-type]
    api = api_for(fake)
    # When the batch is refused
    got = api.pins_analytics(PIN_IDS, *PERIOD)
    # Then every Pin was read one by one and the figures are identical
    assert {pin_id: dict(a.summary) for pin_id, a in got.pins.items()} == expected
    assert not got.used_batch_endpoint
    assert fake.paths()[0] == "/pins/analytics"
    assert fake.paths()[1:] == [f"/pins/{pin_id}/analytics" for pin_id in PIN_IDS]
    # And later batches go straight to per-Pin calls
    before = len(fake.requests)
    api.pins_analytics(PIN_IDS[:2], *PERIOD)
    assert fake.paths()[before:] == [f"/pins/{pin_id}/analytics" for pin_id in PIN_IDS[:2]]


def test_a_deleted_pin_in_a_batch_is_skipped_without_giving_up_the_batch_endpoint() -> None:
    # Given a batch that fails because one of its Pins is gone (404 code 50)
    fake = FixturePinterest()
    gone = "800000000000001"

    def once_refused() -> httpx.Response:
        fake.batch_refusal = None
        return error(404, 50, "Pin not found.")

    fake.batch_refusal = once_refused
    api = api_for(fake)
    # When the batch with that Pin is read
    batch = api.pins_analytics([*PIN_IDS[:2], gone], *PERIOD)
    # Then the other Pins were read one by one, the gone one is listed as missing
    assert set(batch.pins) == set(PIN_IDS[:2])
    assert batch.missing == [gone]
    # And the next batch uses the batch endpoint again
    api.pins_analytics(PIN_IDS[:2], *PERIOD)
    assert fake.paths()[-1] == "/pins/analytics"


def test_a_batch_naming_a_deleted_pin_is_split_until_the_pin_answers_alone() -> None:
    # Given 100 Pins in one batch, one of them deleted since it was listed (cached)
    gone = "800000000000999"
    others = [str(800_000_000_000_000 + i) for i in range(91)]  # unknown to the fake: no rows
    ids = [*others, *PIN_IDS[:4], gone, *PIN_IDS[4:]]
    fake = FixturePinterest(deleted={gone})
    # When their figures are read
    batch = api_for(fake).pins_analytics(ids, *PERIOD)
    # Then halves were asked again as batches (100, 50+50, 25+25, 12+13, 6+7) and the last
    # refused 7 Pin by Pin: 16 requests, not 101, and the deleted Pin is reported as not found
    assert len(fake.requests) == 16
    assert fake.paths().count("/pins/analytics") == 9
    assert batch.not_found == [gone] and batch.missing == [gone]
    assert set(batch.pins) == set(PIN_IDS)
    assert batch.used_batch_endpoint


def test_rate_limits_are_raised_not_taken_for_refusals() -> None:
    fake = FixturePinterest(batch_refusal=lambda: error(429, 8, "Too many requests."))
    with pytest.raises(PinterestRateLimitedError):
        api_for(fake).pins_analytics(PIN_IDS, *PERIOD)
    assert fake.paths() == ["/pins/analytics"]


def test_lifetime_and_period_metrics_never_share_a_request() -> None:
    # Given a caller asking for period and lifetime metrics together
    fake = FixturePinterest()
    # When they are read (the fake fails on any mixed request)
    batch = api_for(fake).pins_analytics(
        PIN_IDS[:3], *PERIOD, metric_types=("IMPRESSION", "SAVE", "TOTAL_COMMENTS")
    )
    # Then two requests went out, one per kind, and both answers are merged
    kinds = [r.url.params["metric_types"] for r in fake.requests]
    assert kinds == ["IMPRESSION,SAVE", "TOTAL_COMMENTS"]
    pin = batch.pins["900000000000001"]
    assert pin.get("SAVE") == 100
    assert pin.lifetime == {"TOTAL_COMMENTS": 12, "TOTAL_REACTIONS": 40}
    assert pin.daily  # the period request's rows are kept


def test_single_pin_request_refuses_a_mix() -> None:
    with pytest.raises(ValueError, match="lifetime"):
        api_for(FixturePinterest()).pin_analytics("1", *PERIOD, ("SAVE", "TOTAL_REACTIONS"))


def test_refused_account_analytics_is_reported_as_unavailable() -> None:
    fake = FixturePinterest(
        account_refusal=lambda: error(403, 403, "Not authorized to access the user account "
                                      "analytics.")
    )
    with pytest.raises(AnalyticsUnavailableError) as caught:
        api_for(fake).account_daily(14)
    assert caught.value.status == 403
    assert "Standard access" in caught.value.message


def test_top_pins_respects_the_50_pin_limit() -> None:
    fake = FixturePinterest()
    api = api_for(fake)
    with pytest.raises(ValueError, match=r"1\.\.50"):
        api.top_pins("SAVE", 51)
    top = api.top_pins("SAVE", 50, created_in_last_n_days=30)
    assert [p.pin_id for p in top.pins] == ["900000000000001", "900000000000002"]
    assert top.pins[0].data_status == {"SAVE": "READY", "IMPRESSION": "READY"}
    params = fake.requests[0].url.params
    assert (params["sort_by"], params["num_of_pins"]) == ("SAVE", "50")


def test_pins_and_boards_are_listed_across_bookmarks_with_lifetime_engagement() -> None:
    fake = FixturePinterest()
    api = api_for(fake)
    pins = api.list_pins(pin_metrics=True)
    boards = api.list_boards()
    assert len(pins) == 8 and pins[0].id == "900000000000008"
    assert fake.requests[1].url.params["bookmark"] == "cGFnZTI"
    assert fake.requests[0].url.params["page_size"] == "250"
    assert {b.id: b.follower_count for b in boards} == {
        "800000000000001": 1200, "800000000000002": 800,
    }
    lifetime = api.pin_lifetime("900000000000001")
    assert (lifetime.comments, lifetime.reactions) == (12, 40)
    assert fake.requests[-1].url.params["pin_metrics"] == "true"


def test_every_request_passes_the_limiter_of_its_category_and_is_counted() -> None:
    # Given a limiter recording the categories it is asked for
    seen: list[str] = []

    @contextlib.contextmanager
    def limiter(category: str) -> Iterator[None]:
        seen.append(category)
        yield

    fake = FixturePinterest()
    api = api_for(fake, limiter=limiter)
    # When analytics and listings are read
    api.account_daily(14)
    api.list_boards()
    api.pins_analytics(PIN_IDS, *PERIOD)
    # Then analytics went through org_analytics, listings through org_read
    assert seen == ["org_analytics", "org_read", "org_analytics"]
    assert api.call_count == 3
    assert api.calls["multi_pins/analytics"] == 1


def test_a_listed_pin_with_an_id_outside_the_spec_is_a_typed_error() -> None:
    # Given Pinterest lists a Pin whose id breaks the spec's digits-only pattern
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"items": [{"id": "1/../../v5/boards/"}],
                                         "bookmark": None})

    http = httpx.Client(base_url="https://api.pinterest.test/v5",
                        transport=httpx.MockTransport(answer))
    api = AnalyticsAPI(PinterestClient(http, "token"), clock=lambda: FIXTURE_NOW)
    # Then listing fails with the provider's error, not a pydantic traceback or a stored id
    with pytest.raises(PinterestError):
        api.list_pins()
