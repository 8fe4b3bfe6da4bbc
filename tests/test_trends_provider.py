"""The trends provider against the local sandbox: every request it sends and every answer it
gets conform to Pinterest's spec (openapi-core), answers parse into the typed models and have
plausible shapes, bad filters are refused before any request, and failures map into the
provider's error tree.

The sandbox's clock is pinned for each test, so its series and this test's dates agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from itertools import pairwise

import httpx
import pytest

from pinterest_agent.providers.pinterest.client import PinterestClient
from pinterest_agent.providers.pinterest.contract import load_contract
from pinterest_agent.providers.pinterest.errors import (
    PinterestAuthError,
    PinterestPermanentError,
    PinterestRateLimitedError,
    PinterestTransientError,
    PinterestValidationError,
)
from pinterest_agent.providers.pinterest.trends import OPERATION_ID, TrendsAPI
from pinterest_agent.providers.pinterest.trends_models import (
    INTERESTS,
    TrendFilters,
    TrendingKeyword,
)
from pinterest_agent.providers.sandbox.server import SandboxServer

NOW = datetime(2024, 6, 11, 9, 0, tzinfo=UTC)
ROUTE = "/v5/trends/keywords/{region}/top/{trend_type}"


class Channel:
    """A sandbox account and a client that keeps every response it got."""

    def __init__(self, sandbox: SandboxServer, token: str) -> None:
        self.sandbox = sandbox
        self.token = token
        self.responses: list[httpx.Response] = []
        self.http = httpx.Client(base_url=sandbox.api_base, timeout=30,
                                 event_hooks={"response": [self._keep]})

    def _keep(self, response: httpx.Response) -> None:
        response.read()
        self.responses.append(response)

    def api(self, token: str | None = None) -> TrendsAPI:
        return TrendsAPI(PinterestClient(self.http, token or self.token), clock=lambda: NOW)

    def get(self, path: str, params: object = None) -> httpx.Response:
        return self.http.get(path, params=params,  # type: ignore[arg-type]
                             headers={"Authorization": f"Bearer {self.token}"})

    @property
    def requests_sent(self) -> int:
        return self.sandbox.state.request_count("GET", ROUTE)


@pytest.fixture()
def channel(fresh_sandbox: SandboxServer) -> Iterator[Channel]:
    state = fresh_sandbox.state
    original = state.clock
    state.clock = NOW.timestamp
    try:
        account = state.seed_account("trend_watcher")
        yield Channel(fresh_sandbox, account.access_token)
    finally:
        state.clock = original


def only(api: TrendsAPI, keyword: str, **filters: object) -> TrendingKeyword:
    """The one trend ``keyword`` (asked for with include_keywords, ranked over the year)."""
    found = api.trending_keywords(TrendFilters(trend_type="yearly", include_keywords=(keyword,),
                                               **filters))
    match = found.keyword(keyword)
    assert match is not None, [t.keyword for t in found.trends]
    return match


def peak_month(series: list[tuple[date, int]]) -> int:
    return max(series, key=lambda point: point[1])[0].month


EVERY_PARAMETER_KIND = [
    TrendFilters(),
    TrendFilters(region="GB+IE", trend_type="seasonal", interests=("home_decor",)),
    TrendFilters(region="DE+AT+CH", trend_type="monthly",
                 interests=("food_and_drinks", "home_decor", "womens_fashion")),
    TrendFilters(region="AU+NZ", trend_type="yearly", genders=("female", "unknown"),
                 ages=("18-24", "65+")),
    TrendFilters(region="IT+ES+PT+GR+MT", include_keywords=("summer", "linen dress"), limit=5),
    TrendFilters(region="MX+AR+CO+CL", trend_type="growing", normalize_against_group=True,
                 include_prediction=True, include_demographics=True, limit=1),
    TrendFilters(region="US", trend_type="seasonal", interests=INTERESTS, genders=("male",),
                 ages=("25-34", "35-44", "45-49", "50-54", "55-64"),
                 include_keywords=("christmas",), normalize_against_group=True,
                 include_prediction=True, include_demographics=True, limit=50),
]


def test_every_trends_request_and_answer_conforms_to_the_spec(channel: Channel) -> None:
    # Given the provider and every kind of parameter it sends (path enums, exploded arrays,
    # booleans, the limit's bounds)
    api = channel.api()
    contract = load_contract()
    # When each filter set is asked for
    for filters in EVERY_PARAMETER_KIND:
        api.trending_keywords(filters)
    # Then openapi-core accepts every request as the trends operation, and every answer
    assert len(channel.responses) == len(EVERY_PARAMETER_KIND)
    for response in channel.responses:
        request = response.request
        assert contract.operation_id("GET", request.url.path) == OPERATION_ID
        assert contract.request_violations(request) == [], request.url
        assert response.status_code == 200, response.text
        assert contract.validate_response("GET", request.url.path, 200, response.json()) == []
    # And arrays go one parameter per value (form, exploded), as the spec declares
    sent = channel.responses[2].request.url.params
    assert sent.get_list("interests") == ["food_and_drinks", "home_decor", "womens_fashion"]
    assert channel.responses[1].request.url.path == "/v5/trends/keywords/GB+IE/top/seasonal"


def test_the_sandbox_answers_what_the_spec_refuses_with_its_400(channel: Channel) -> None:
    contract = load_contract()
    cases = [
        ("/trends/keywords/XX/top/growing", {}, "path.region"),
        ("/trends/keywords/US/top/weekly", {}, "path.trend_type"),
        ("/trends/keywords/US/top/growing", {"limit": 51}, "query.limit"),
        ("/trends/keywords/US/top/growing", {"interests": "home_decor,food_and_drinks"},
         "query.interests"),  # comma-joined: the spec wants one parameter per value
        ("/trends/keywords/US/top/growing", {"ages": "17-20"}, "query.ages"),
    ]
    for path, params, where in cases:
        answer = channel.get(path, params)
        assert answer.status_code == 400, (path, params)
        assert answer.json()["code"] == 1 and answer.json()["message"].startswith(where)
        assert contract.validate_response("GET", "/v5" + path, 400, answer.json()) == []


def test_answers_parse_into_ranked_typed_trends_within_the_limit(channel: Channel) -> None:
    api = channel.api()
    # When the growing trends of the US are read, ten of them
    found = api.trending_keywords(TrendFilters(limit=10))
    # Then ten come back, typed, with a year of weekly points ending at the last counted week
    assert len(found.trends) == 10
    assert found.filters.limit == 10 and found.fetched_at == NOW
    first = found.trends[0]
    assert isinstance(first.pct_growth_mom, int) and first.pct_growth_mom > 0
    series = first.series()
    assert len(series) == 52
    assert series[-1][0] == date(2024, 6, 2)  # a Sunday, at least 3 days before the 11th
    assert all((b[0] - a[0]).days == 7 for a, b in pairwise(series))
    assert max(value for _, value in series) == 100
    assert first.predicted() == [] and first.demographics is None
    # And the full answer is capped at Pinterest's 50
    assert len(api.trending_keywords(TrendFilters(trend_type="yearly")).trends) == 50


def test_seasonal_keywords_peak_in_their_season_and_growing_ones_rise(channel: Channel) -> None:
    api = channel.api()
    assert peak_month(only(api, "christmas table decor").series()) == 12
    assert peak_month(only(api, "easter brunch").series()) in (3, 4)
    assert peak_month(only(api, "summer linen dress").series()) in (6, 7)
    assert peak_month(only(api, "halloween costumes").series()) in (10, 11)
    # a weather season is half a year later down south; a calendar one is not
    assert peak_month(only(api, "summer linen dress", region="AU+NZ").series()) in (12, 1)
    assert peak_month(only(api, "christmas table decor", region="AU+NZ").series()) == 12
    # a growing term rises through the year, and its growth says so
    growing = only(api, "matcha desserts")
    values = [value for _, value in growing.series()]
    assert values[-1] > 2 * values[0]
    assert growing.pct_growth_yoy is not None and growing.pct_growth_yoy > 100


def test_growth_figures_agree_with_the_series(channel: Channel) -> None:
    found = channel.api().trending_keywords(TrendFilters(trend_type="monthly"))
    checked = 0
    for trend in found.trends:
        values = [value for _, value in trend.series()]
        last, before = values[-1], values[-2]
        month, earlier = sum(values[-4:]), sum(values[-8:-4])
        if before < 20 or earlier < 80:
            continue  # rounding to whole numbers blurs small values
        assert trend.pct_growth_wow is not None and trend.pct_growth_mom is not None
        low = 100 * ((last - 0.5) / (before + 0.5) - 1) - 1
        high = 100 * ((last + 0.5) / (before - 0.5) - 1) + 1
        assert low <= trend.pct_growth_wow <= high, (trend.keyword, values[-2:])
        low = 100 * ((month - 2) / (earlier + 2) - 1) - 1
        high = 100 * ((month + 2) / (earlier - 2) - 1) + 1
        assert low <= trend.pct_growth_mom <= high, (trend.keyword, values[-8:])
        checked += 1
    assert checked >= 10


def test_filters_narrow_the_answer(channel: Channel) -> None:
    api = channel.api()
    food = api.trending_keywords(TrendFilters(trend_type="yearly",
                                              interests=("food_and_drinks",)))
    assert food.trends and len(food.trends) < 50
    assert {"christmas cookies", "easy dinner recipes"} <= {t.keyword for t in food.trends}
    assert "living room ideas" not in {t.keyword for t in food.trends}
    christmas = api.trending_keywords(TrendFilters(trend_type="yearly",
                                                   include_keywords=("Christmas",)))
    assert {t.keyword for t in christmas.trends} == {"christmas cookies", "christmas table decor"}
    # a regional term is only where it is searched
    assert only(api, "bonfire night food", region="GB+IE").keyword == "bonfire night food"
    us = api.trending_keywords(TrendFilters(trend_type="yearly", include_keywords=("bonfire",)))
    assert us.trends == []


def test_prediction_and_demographics_when_asked(channel: Channel) -> None:
    api = channel.api()
    found = api.trending_keywords(TrendFilters(
        trend_type="yearly", include_keywords=("summer linen dress",), include_prediction=True,
        include_demographics=True))
    [trend] = found.trends
    predicted = trend.predicted()
    assert trend.has_prediction is True and len(predicted) == 13
    assert predicted[0][0] == date(2024, 6, 9)  # the week after the last counted one
    assert max(value for _, value in [*trend.series(), *predicted]) == 100
    assert trend.demographics is not None and trend.demographics.gender_distribution
    assert trend.demographics.gender_distribution["female"] > 0.8
    assert abs(sum((trend.demographics.age_distribution or {}).values()) - 1) < 0.1


def test_answers_repeat_exactly(channel: Channel) -> None:
    api = channel.api()
    filters = TrendFilters(region="FR", trend_type="seasonal", include_prediction=True)
    assert api.trending_keywords(filters).trends == api.trending_keywords(filters).trends


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("region", "UK", "GB+IE"),
        ("trend_type", "weekly", "seasonal"),
        ("interests", ("home_decor", "cooking"), "food_and_drinks"),
        ("genders", ("nonbinary",), "unknown"),
        ("ages", ("17-20",), "65+"),
        ("limit", 51, "1 to 50"),
        ("limit", 0, "1 to 50"),
    ],
)
def test_bad_filters_are_refused_before_any_request(
    channel: Channel, field: str, value: object, named: str
) -> None:
    # When a filter outside the spec is built
    with pytest.raises(PinterestValidationError) as refused:
        TrendFilters(**{field: value})
    # Then the typed error names the field and what is allowed, and nothing was sent
    assert refused.value.code == "invalid_field" and refused.value.field == field
    assert named in refused.value.message
    assert channel.requests_sent == 0


def test_filters_are_normalised_so_equal_asks_are_equal() -> None:
    one = TrendFilters(region="gb+ie", interests="home_decor, food_and_drinks",
                       include_keywords=("Easter  Brunch", "easter brunch"))
    other = TrendFilters(region="GB+IE", interests=("food_and_drinks", "home_decor"),
                         include_keywords=("easter brunch",))
    assert one == other and one.cache_key() == other.cache_key()
    assert one.params() == {"limit": 50, "interests": ["food_and_drinks", "home_decor"],
                            "include_keywords": ["easter brunch"]}
    assert TrendFilters(limit=20).cache_key() != TrendFilters().cache_key()


@pytest.mark.parametrize(
    ("status", "headers", "error", "code"),
    [
        (400, {}, PinterestPermanentError, "bad_request"),
        (401, {}, PinterestAuthError, "auth_failed"),
        (403, {}, PinterestAuthError, "insufficient_scope"),
        (429, {"Retry-After": "7"}, PinterestRateLimitedError, "rate_limited"),
        (500, {}, PinterestTransientError, "pinterest_unavailable"),
        (503, {}, PinterestTransientError, "pinterest_unavailable"),
    ],
)
def test_failures_map_into_the_error_tree(
    channel: Channel, status: int, headers: dict[str, str], error: type[Exception], code: str
) -> None:
    # Given the sandbox answers the trends route with a failure once
    channel.sandbox.state.faults.add("GET", r"/v5/trends/keywords/.*", status=status,
                                     headers=headers, times=1)
    # When the provider asks
    with pytest.raises(error) as failed:
        channel.api().trending_keywords(TrendFilters())
    # Then it is the tree's error, with what an operator needs
    assert failed.value.code == code  # type: ignore[attr-defined]
    assert failed.value.details["status"] == status  # type: ignore[attr-defined]
    if status == 429:
        assert isinstance(failed.value, PinterestRateLimitedError)
        assert failed.value.retry_after_s == 7
    # And the next ask is answered
    assert channel.api().trending_keywords(TrendFilters(limit=3)).trends


def test_a_refused_token_is_an_auth_error(channel: Channel) -> None:
    with pytest.raises(PinterestAuthError):
        channel.api(token="not-a-token").trending_keywords(TrendFilters())


def test_a_malformed_answer_is_unexpected_response(channel: Channel) -> None:
    channel.sandbox.state.faults.add("GET", r"/v5/trends/keywords/.*", status=200,
                                     body={"trends": [{"keyword": 3, "time_series": "x"}]},
                                     times=1)
    with pytest.raises(PinterestPermanentError) as failed:
        channel.api().trending_keywords(TrendFilters())
    assert failed.value.code == "unexpected_response"


def test_seasonal_trends_are_the_seasons_coming_now(channel: Channel) -> None:
    # In June in the US: summer is rising, Christmas and Easter are not
    found = channel.api().trending_keywords(TrendFilters(trend_type="seasonal"))
    keywords = {trend.keyword for trend in found.trends}
    assert {"summer linen dress", "graduation party ideas"} <= keywords
    assert not {"christmas cookies", "christmas table decor", "easter brunch"} & keywords
    assert all((trend.pct_growth_mom or 0) >= 10 for trend in found.trends)
    # and half a year on, down south, it is the other way round for the weather's seasons
    south = channel.api().trending_keywords(TrendFilters(region="AU+NZ", trend_type="seasonal"))
    assert "summer linen dress" not in {trend.keyword for trend in south.trends}
