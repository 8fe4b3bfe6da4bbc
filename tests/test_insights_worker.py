"""The weekly insight on real Redis with real worker threads, against the sandbox's analytics."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import redis
from pydantic import SecretStr

from pinterest_agent.errors import TransientError
from pinterest_agent.providers.pinterest.errors import PaginationLoopError, TooManyPagesError
from pinterest_agent.providers.pinterest.pager import DEFAULT_PAGE_CAP
from pinterest_agent.providers.sandbox.analytics_data import populate_channel
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.jobs.actors import INSIGHTS_ACTOR
from pinterest_agent.queues.jobs.enqueue import enqueue_message
from pinterest_agent.queues.jobs.insights import insights_request, latest_insight, run_insights
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings
from tests.conftest import REDIS_URL, Channel, RunningWorker, make_settings
from tests.helpers import wait_for

pytestmark = pytest.mark.redis


@pytest.fixture()
def settings(prefix: str, fresh_sandbox: SandboxServer, tmp_path: Path) -> Settings:
    return make_settings(
        prefix, fresh_sandbox,
        openai_base_url=f"{fresh_sandbox.base_url}/openai/v1",
        openai_api_key=SecretStr("sandbox-key"),
    )


def user_id(sandbox: SandboxServer, channel: Channel) -> str:
    user = sandbox.state.user_by_name("shop_owner")
    assert user is not None
    return user.id


def test_insight_is_built_stored_and_announced(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker]
) -> None:
    # Given a channel with 90 days of Pins and analytics
    populate_channel(fresh_sandbox.state, user_id(fresh_sandbox, channel), pins=60, boards=3)
    running = start_worker()
    # When the weekly trigger enqueues its InsightsRequest
    enqueue_message(running.broker, queue=running.runtime.settings.queue_insights,
                    actor=INSIGHTS_ACTOR, payload=insights_request("shop"))
    # Then an ok insight is stored and insight.ready emitted
    outcome = wait_for(lambda: running.runtime.store.outcomes.get("insight", "shop"))
    assert outcome["status"] == "ok", outcome
    insight = latest_insight(running.runtime, "shop")
    assert insight is not None and insight.metrics is not None
    assert 3 <= len(insight.suggestions) <= 5
    assert all(s.figure in insight.figures for s in insight.suggestions)
    assert len(insight.metrics.top_pins.pins) == 5
    assert insight.next_pin is not None and insight.next_pin.channel_id == "shop"
    assert [e["type"] for e in running.runtime.store.outcomes.events()] == ["insight.ready"]
    # analytics went through the batch endpoint: about one call per 100 Pins
    assert fresh_sandbox.state.request_count("GET", "/v5/pins/analytics") == 1


def test_no_analytics_access_is_a_stored_insight_not_a_crash(
    fresh_sandbox: SandboxServer, channel: Channel, runtime: Runtime
) -> None:
    # Given an app without analytics access (Trial apps, Pinterest's own sandbox)
    switch = f"{fresh_sandbox.base_url}/_sandbox/analytics"
    httpx.post(switch, json={"enabled": False}).raise_for_status()
    try:
        insight = run_insights(runtime, insights_request("shop"))
    finally:
        httpx.post(switch, json={"enabled": True}).raise_for_status()
    assert insight.status == "no_analytics_access"
    assert insight.summary
    stored = latest_insight(runtime, "shop")
    assert stored is not None and stored.status == "no_analytics_access"


def test_new_channel_without_data_says_so(
    fresh_sandbox: SandboxServer, channel: Channel, runtime: Runtime
) -> None:
    insight = run_insights(runtime, insights_request("shop"))
    assert insight.status == "no_data"
    assert "to measure" in insight.summary


def test_second_run_reports_follower_growth_from_stored_snapshots(
    fresh_sandbox: SandboxServer, channel: Channel, runtime: Runtime
) -> None:
    populate_channel(fresh_sandbox.state, user_id(fresh_sandbox, channel), pins=30, boards=2)
    first = run_insights(runtime, insights_request("shop"))
    assert first.metrics is not None and first.metrics.followers.status == "no_history"
    second = run_insights(runtime, insights_request("shop"))
    assert second.metrics is not None and second.metrics.followers.status != "no_history"
    assert len(runtime.store.follower_snapshots.load("shop")) == 2


def test_the_worker_keeps_the_channels_pins_in_redis_and_a_warm_run_is_cheap(
    fresh_sandbox: SandboxServer, channel: Channel, runtime: Runtime,
    redis_server: redis.Redis[bytes],
) -> None:
    # Given a channel of 300 Pins and a worker whose LLM is the sandbox's endpoint
    populate_channel(fresh_sandbox.state, user_id(fresh_sandbox, channel), pins=300, boards=2)
    def api_calls() -> int:
        outcome = runtime.store.outcomes.get("insight", "shop")
        assert outcome is not None
        return int(outcome["api_calls"])

    # When the insight runs twice
    first = run_insights(runtime, insights_request("shop"))
    assert fresh_sandbox.state.request_count("GET", "/v5/pins") == 2
    second = run_insights(runtime, insights_request("shop"))
    # Then the second listed one page, and made at most ceil(300 / 100) + 5 calls in all
    assert fresh_sandbox.state.request_count("GET", "/v5/pins") == 3
    assert api_calls() <= 3 + 5
    # And the Pins, categorised once by the model, are kept in Redis under the store's prefix
    key = f"{runtime.settings.key_prefix}:pin-cache:shop"
    assert redis_server.hlen(key) == 300 and redis_server.ttl(key) > 0
    assert first.metrics is not None and second.metrics is not None
    assert second.metrics.category_sources == {"llm": 300, "rules": 0}
    assert second.metrics.categories == first.metrics.categories


def test_a_repeated_bookmark_stops_the_pin_listing_with_pagination_loop(
    fresh_sandbox: SandboxServer, channel: Channel, runtime: Runtime
) -> None:
    # Given a channel whose GET /pins answers every page with the same bookmark
    populate_channel(fresh_sandbox.state, user_id(fresh_sandbox, channel), pins=5, boards=1)
    fresh_sandbox.state.faults.add("GET", r"/v5/pins", status=200,
                                   body={"items": [{"id": "1"}], "bookmark": "same"})
    # When the insight reads the channel's Pins
    with pytest.raises(PaginationLoopError) as caught:
        run_insights(runtime, insights_request("shop"))
    # Then it stopped after the second page, with a transient pagination_loop (retried later)
    assert fresh_sandbox.state.request_count("GET", "/v5/pins") == 2
    assert caught.value.code == "pagination_loop"
    assert isinstance(caught.value, TransientError)


def test_the_max_pages_setting_caps_the_insight_listings(
    settings: Settings, fresh_sandbox: SandboxServer, channel: Channel
) -> None:
    # Given a channel of 600 Pins (3 pages of 250) and a worker capped at 2 pages a listing
    populate_channel(fresh_sandbox.state, user_id(fresh_sandbox, channel), pins=600, boards=1)
    capped = settings.model_copy(update={"max_pages": 2})
    runtime = Runtime.build(capped, redis_client=redis.Redis.from_url(REDIS_URL))
    try:
        # When the insight reads the channel's Pins
        with pytest.raises(TooManyPagesError) as caught:
            run_insights(runtime, insights_request("shop"))
    finally:
        runtime.close()
    # Then it read 2 pages and failed saying which setting to raise
    assert fresh_sandbox.state.request_count("GET", "/v5/pins") == 2
    assert "PINTEREST_AGENT_MAX_PAGES" in caught.value.message
    assert Settings().max_pages == DEFAULT_PAGE_CAP


def test_the_insight_looks_outward_at_rising_searches_no_pin_covers(
    fresh_sandbox: SandboxServer, channel: Channel, runtime: Runtime
) -> None:
    from pinterest_agent.agents.insights.searching import covered

    # Given a channel with Pins, in the default region (US) and every interest
    populate_channel(fresh_sandbox.state, user_id(fresh_sandbox, channel), pins=60, boards=3)
    # When its weekly insight is built
    insight = run_insights(runtime, insights_request("shop"))
    # Then "what Pinners are searching" lists rising keywords, Pinterest's figures copied, none
    # of them covered by the channel's Pins
    assert insight.status == "ok" and insight.searching
    found = runtime.trends("shop")
    from pinterest_agent.queues.jobs.insights import pin_cache

    texts = [f"{record.title or ''} {record.description or ''}"
             for record in pin_cache(runtime).load("shop").records.values()]
    assert len(texts) == 60
    for item in insight.searching:
        listed = found.keyword(item.trend.keyword)
        assert listed is not None
        assert item.trend.pct_growth_mom == listed.pct_growth_mom
        assert max(item.trend.pct_growth_wow or 0, item.trend.pct_growth_mom or 0) > 0
        assert not covered(item.trend.keyword, texts)
        assert item.weekly == [float(v) for _, v in listed.series()][-52:]
    assert fresh_sandbox.state.request_count(
        "GET", "/v5/trends/keywords/{region}/top/{trend_type}") == 1  # then the cache
