"""Warm insight runs against the sandbox: the Pin cache in Redis, few calls, the same results.

A channel of 300 generated Pins (2 listing pages, 3 analytics batches). The first run is cold: it
lists every page. A warm run lists one page, so it makes at most ceil(300 / 100) + 5 = 8 calls:
the account days, the boards, one page of Pins, 3 batches and one lifetime request for top Pins
the cache knew. Every warm run here is compared with a cold run at the same moment (a fresh
cache): the insight's figures must be identical. Categories come from the sandbox's
OpenAI-compatible endpoint through the real client (and its answers are cached per Pin).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import redis

from pinterest_agent.agents.insights.categories import RULES_VERSION
from pinterest_agent.agents.insights.categorizer import LLMCategorizer
from pinterest_agent.agents.insights.followers import InMemoryFollowerSnapshotStore
from pinterest_agent.agents.insights.models import ChannelInsight
from pinterest_agent.agents.insights.pin_cache import InMemoryPinCache, PinCache
from pinterest_agent.agents.insights.writer import build_insight
from pinterest_agent.agents.llm import LLMCallRecord, OpenAIStructuredLLM, make_openai_client
from pinterest_agent.agents.messages import InsightsRequest
from pinterest_agent.prompts.loader import PromptLibrary
from pinterest_agent.providers.pinterest.analytics import AnalyticsAPI
from pinterest_agent.providers.pinterest.client import PinterestClient
from pinterest_agent.providers.sandbox.analytics_data import populate_channel
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.stores.pin_cache import RedisPinCache

pytestmark = pytest.mark.redis

PINS = 300
WARM_TARGET = math.ceil(PINS / 100) + 5
START = datetime(2024, 6, 11, 9, 0, tzinfo=UTC)
REQUEST = InsightsRequest(schema_version=1, channel_id="bakery", period_days=30)
REFRESH = timedelta(days=28)


@dataclass
class Channel:
    sandbox: SandboxServer
    user_id: str
    board_id: str
    cache: PinCache
    now: datetime = START
    templates: Counter[str] = field(default_factory=Counter)

    def run(self, cache: PinCache | None = None) -> tuple[ChannelInsight, AnalyticsAPI]:
        """One insight run at ``now``, with the channel's Redis cache (or the one given)."""
        token = self.sandbox.state.seed_account("baker").access_token  # fresh at any clock
        http = httpx.Client(base_url=self.sandbox.api_base, timeout=30)
        api = AnalyticsAPI(PinterestClient(http, token), clock=lambda: self.now)
        client = make_openai_client(api_key="sandbox-key",
                                    base_url=f"{self.sandbox.base_url}/openai/v1")
        llm = OpenAIStructuredLLM(client, model="sandbox", prompts=PromptLibrary(),
                                  on_call=self._count)
        try:
            insight = build_insight(
                REQUEST, analytics=api, snapshots=InMemoryFollowerSnapshotStore(), llm=llm,
                clock=lambda: self.now, pin_cache=cache or self.cache,
                categorizer=LLMCategorizer(llm, max_pins=PINS + 10), refresh_after=REFRESH,
            )
        finally:
            http.close()
        return insight, api

    def cold(self) -> ChannelInsight:
        return self.run(InMemoryPinCache())[0]

    def _count(self, record: LLMCallRecord) -> None:
        self.templates[record.template] += 1

    def later(self, days: float) -> None:
        self.now += timedelta(days=days)

    def pin(self, pin_id: str) -> Any:
        with self.sandbox.state.lock:
            return self.sandbox.state.records.pins[pin_id]


@pytest.fixture()
def channel(
    fresh_sandbox: SandboxServer, prefix: str, redis_server: redis.Redis[bytes]
) -> Iterator[Channel]:
    state = fresh_sandbox.state
    original = state.clock
    holder: list[Channel] = []
    state.clock = lambda: holder[0].now.timestamp() if holder else START.timestamp()
    try:
        seeded = state.seed_account("baker")
        populate_channel(state, seeded.user_id, pins=PINS, days=90, boards=3, seed=11)
        cache = RedisPinCache(redis_server, prefix=prefix, ttl_s=3600)
        holder.append(Channel(fresh_sandbox, seeded.user_id, seeded.board_id, cache))
        yield holder[0]
    finally:
        state.clock = original


def same_figures(warm: ChannelInsight, cold: ChannelInsight, *, sources: bool = True) -> None:
    """The same metrics and figures (``sources=False``: but for who decided the categories)."""
    assert warm.metrics is not None and cold.metrics is not None
    exclude = set() if sources else {"category_sources", "category_disagreements"}
    assert warm.metrics.model_dump(exclude=exclude) == cold.metrics.model_dump(exclude=exclude)
    assert warm.figures == cold.figures


def oldest_pin_ids(channel: Channel, count: int) -> list[str]:
    pins = channel.sandbox.state.pins_of(channel.user_id)
    return [pin.id for pin in pins[-count:]]  # newest first: the last are deep in the listing


def test_a_warm_run_makes_at_most_ceil_pins_100_plus_5_calls_and_equals_a_cold_run(
    channel: Channel,
) -> None:
    # Given a first (cold) run that listed and categorised every Pin
    first, cold_api = channel.run()
    assert cold_api.calls["pins/list"] == 2 and first.status == "ok"
    assert channel.templates["pin_categories"] == math.ceil(PINS / 50)
    assert first.metrics is not None and first.metrics.category_sources == {"llm": PINS,
                                                                            "rules": 0}
    # When the next run comes, a day later
    channel.later(1)
    channel.templates.clear()
    warm, api = channel.run()
    # Then it listed one page, asked the model nothing, and stayed within the target
    assert api.calls["pins/list"] == 1
    assert api.call_count <= WARM_TARGET, api.calls
    assert channel.templates["pin_categories"] == 0
    # And its figures are exactly those of a cold run at the same moment
    same_figures(warm, channel.cold())


def test_a_pin_published_since_the_last_run_is_picked_up(channel: Channel) -> None:
    # Given a cached channel
    channel.run()
    # When a Pin is published and the next run comes a day later
    channel.later(1)
    state = channel.sandbox.state
    state.add_pin(channel.user_id, channel.board_id,
                  {"title": "DIY Sourdough Wall Art", "description": "A linocut print.",
                   "link": "https://shop.example.com/art", "alt_text": None,
                   "dominant_color": None, "board_section_id": None},
                  {"media_type": "image"}, "REGULAR")
    channel.later(1)
    warm, api = channel.run()
    # Then the new Pin is counted and categorised (a how-to), and the figures match a cold run
    assert warm.metrics is not None and warm.metrics.pins_total == PINS + 1
    assert api.calls["pins/list"] == 2  # the new Pin's page, then a page of known Pins
    assert api.call_count <= math.ceil((PINS + 1) / 100) + 5
    assert channel.templates["pin_categories"] == math.ceil(PINS / 50) + 1
    same_figures(warm, channel.cold(), sources=False)
    # But by the rules for now: one Pin the rules are sure of is too few to judge the model by
    # (the cold run had 301), so the next run asks about it again
    assert warm.metrics.category_sources == {"llm": PINS, "rules": 1}


def test_an_edited_title_is_picked_up_by_the_rotation(channel: Channel) -> None:
    # Given a cached channel, and an old Pin (deep in the listing) retitled afterwards
    channel.run()
    old = oldest_pin_ids(channel, 30)[0]
    with channel.sandbox.state.lock:
        channel.pin(old).fields["title"] = "How to Make a Sourdough Planter"
    # When a run comes within the refresh period, it does not see the edit (one page read)
    channel.later(7)
    _, api = channel.run()
    assert api.calls["pins/list"] == 1
    assert channel.cache.load("bakery").records[old].title != "How to Make a Sourdough Planter"
    # And the run after the 28 days lists everything and takes the new title and category
    channel.later(21)
    rotated, api = channel.run()
    assert api.calls["pins/list"] == 2
    record = channel.cache.load("bakery").records[old]
    assert record.title == "How to Make a Sourdough Planter"
    # (by the rules for now: one Pin the rules are sure of is too few to judge the model by)
    assert (record.category, record.category_by) == ("how-to", RULES_VERSION)
    same_figures(rotated, channel.cold(), sources=False)


def test_a_deleted_pin_is_dropped_when_its_analytics_answer_404(channel: Channel) -> None:
    # Given a cached channel, and an old Pin deleted afterwards (still in the cache)
    channel.run()
    gone = oldest_pin_ids(channel, 40)[0]
    state = channel.sandbox.state
    state.delete_pin(channel.pin(gone))
    # When the next run reads the cached Pins' analytics
    channel.later(1)
    warm, api = channel.run()
    # Then the batch naming it was split until the Pin answered 404 alone, and it was dropped
    assert gone not in channel.cache.load("bakery").records
    assert warm.metrics is not None and warm.metrics.pins_total == PINS - 1
    assert api.call_count <= WARM_TARGET + 16  # 1 refused batch: halves down to 8, then per Pin
    same_figures(warm, channel.cold())
    # And the run after that is back to the warm figure
    channel.later(1)
    _, api = channel.run()
    assert api.call_count <= WARM_TARGET
