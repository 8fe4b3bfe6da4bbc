"""A channel's trends through the runtime: its region and interests (its own or the defaults),
and a day's cache in Redis counted against the sandbox's requests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import redis

from pinterest_agent.providers.pinterest.errors import PinterestValidationError
from pinterest_agent.providers.pinterest.trends_models import TrendFilters, TrendingKeywords
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings
from pinterest_agent.queues.stores.trends import ChannelTrendSettings
from tests.conftest import REDIS_URL, Channel

pytestmark = pytest.mark.redis

NOW = datetime(2024, 11, 20, 9, 0, tzinfo=UTC)
ROUTE = "/v5/trends/keywords/{region}/top/{trend_type}"


@pytest.fixture(autouse=True)
def pinned_clock(fresh_sandbox: SandboxServer) -> Iterator[None]:
    original = fresh_sandbox.state.clock
    fresh_sandbox.state.clock = NOW.timestamp
    yield
    fresh_sandbox.state.clock = original


def asked(sandbox: SandboxServer) -> int:
    return sandbox.state.request_count("GET", ROUTE)


def test_a_second_ask_within_the_ttl_sends_nothing(
    runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer
) -> None:
    # When a job reads the channel's trends twice
    first = runtime.trends("shop", clock=lambda: NOW)
    again = runtime.trends("shop", clock=lambda: NOW)
    # Then Pinterest was asked once, and the second answer is the first, from the cache
    assert asked(fresh_sandbox) == 1
    assert again == first and len(first.trends) > 10
    # And the cache holds the typed model's JSON, with the time it was fetched
    raw = runtime.redis_client.get(runtime.trends_cache.key(first.filters))
    assert raw is not None
    assert TrendingKeywords.model_validate_json(raw).fetched_at == NOW


def test_another_type_or_filter_asks_again(
    runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer
) -> None:
    runtime.trends("shop")
    seasonal = runtime.trends("shop", "seasonal")
    assert asked(fresh_sandbox) == 2 and seasonal.filters.trend_type == "seasonal"
    # When the channel's interests change, its filters do, and so does the cache entry
    runtime.trend_settings.put("shop", ChannelTrendSettings(interests=("home_decor",)))
    decor = runtime.trends("shop")
    assert asked(fresh_sandbox) == 3
    assert decor.filters.interests == ("home_decor",)
    # And asking for the earlier ones again costs nothing
    runtime.trends("shop")
    runtime.trend_settings.put("shop", ChannelTrendSettings())
    runtime.trends("shop", "seasonal")
    runtime.trends("shop")
    assert asked(fresh_sandbox) == 3


def test_the_cache_entry_expires_after_the_ttl_setting(
    settings: Settings, channel: Channel, fresh_sandbox: SandboxServer,
    redis_server: redis.Redis[bytes],
) -> None:
    # Given a runtime whose trends are kept two minutes
    runtime = Runtime.build(settings.model_copy(update={"trends_cache_ttl_s": 120}),
                            redis_client=redis.Redis.from_url(REDIS_URL))
    try:
        found = runtime.trends("shop")
        # Then Redis expires the entry after two minutes
        ttl = runtime.redis_client.ttl(runtime.trends_cache.key(found.filters))
        assert 110 < ttl <= 120
        # And once it has expired (deleted here, as Redis does at its TTL), Pinterest is asked
        runtime.redis_client.delete(runtime.trends_cache.key(found.filters))
        runtime.trends("shop")
        assert asked(fresh_sandbox) == 2
    finally:
        runtime.close()


def test_a_day_is_the_default_ttl(runtime: Runtime, channel: Channel) -> None:
    found = runtime.trends("shop")
    assert runtime.settings.trends_cache_ttl_s == 86_400
    ttl = runtime.redis_client.ttl(runtime.trends_cache.key(found.filters))
    assert 86_400 - 10 < ttl <= 86_400


def test_a_channel_follows_the_defaults_until_it_chooses(runtime: Runtime) -> None:
    # Given no settings for the channel: the settings' defaults (US, every interest)
    profile = runtime.trend_profile("shop")
    assert (profile.region, profile.interests) == ("US", ())
    assert profile.region_is_default and profile.interests_are_default
    assert runtime.trend_filters("shop") == TrendFilters(
        region="US", trend_type="growing", include_prediction=True)
    # When it chooses a region only
    runtime.trend_settings.put("shop", ChannelTrendSettings(region="GB+IE"))
    profile = runtime.trend_profile("shop")
    assert profile.region == "GB+IE" and not profile.region_is_default
    assert profile.interests_are_default
    # And "every interest" chosen for the channel is not the same as following the default
    runtime.trend_settings.put("shop", ChannelTrendSettings(region="GB+IE", interests=()))
    assert not runtime.trend_profile("shop").interests_are_default


def test_default_interests_come_from_the_settings(settings: Settings) -> None:
    changed = settings.model_copy(update={"trends_interests": "food_and_drinks,home_decor"})
    runtime = Runtime.build(changed, redis_client=redis.Redis.from_url(REDIS_URL))
    try:
        assert runtime.trend_profile("shop").interests == ("food_and_drinks", "home_decor")
    finally:
        runtime.close()


def test_settings_refuse_an_unknown_interest() -> None:
    with pytest.raises(ValueError, match="cooking"):
        Settings(trends_interests="home_decor,cooking")
    with pytest.raises(PinterestValidationError, match="GB\\+IE"):
        ChannelTrendSettings(region="UK")


def test_trends_reads_count_against_the_channels_trends_read_limit(
    runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer
) -> None:
    # When a job reads two kinds of the channel's trends (two requests) and one again (cached)
    runtime.trends("shop")
    runtime.trends("shop", "seasonal")
    runtime.trends("shop")
    # Then both requests went through the channel's per-minute window of the trends_read
    # category (apart from analytics and publishing), the cached answer through none
    window = f"{runtime.settings.key_prefix}:api-window:trends_read:shop@*"
    counted = sum(int(runtime.redis_client.get(key) or 0)
                  for key in runtime.redis_client.scan_iter(match=window))
    assert counted == asked(fresh_sandbox) == 2
