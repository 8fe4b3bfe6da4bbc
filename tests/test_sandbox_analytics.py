"""The local sandbox's analytics routes: official shapes, Pinterest's rules, the beta switch,
and a whole insight built against them.

The sandbox's clock is pinned for each test so its "today" and the provider's agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from pinterest_agent.agents.insights.figures import figure_table
from pinterest_agent.agents.insights.followers import InMemoryFollowerSnapshotStore
from pinterest_agent.agents.insights.writer import (
    InsightDraft,
    NextPinConcept,
    SuggestionDraft,
    build_insight,
)
from pinterest_agent.agents.llm import ScriptedLLM
from pinterest_agent.agents.messages import InsightsRequest
from pinterest_agent.providers.pinterest.analytics import AnalyticsAPI, AnalyticsUnavailableError
from pinterest_agent.providers.pinterest.client import PinterestClient
from pinterest_agent.providers.pinterest.contract import load_contract
from pinterest_agent.providers.sandbox.analytics_data import analytics_settings, populate_channel
from pinterest_agent.providers.sandbox.server import SandboxServer

NOW = datetime(2024, 6, 11, 9, 0, tzinfo=UTC)


class Channel:
    def __init__(self, sandbox: SandboxServer, token: str) -> None:
        self.sandbox = sandbox
        self.responses: list[httpx.Response] = []
        self.http = httpx.Client(base_url=sandbox.api_base, timeout=30,
                                 event_hooks={"response": [self._keep]})
        self.token = token

    def _keep(self, response: httpx.Response) -> None:
        response.read()
        self.responses.append(response)

    def api(self) -> AnalyticsAPI:
        return AnalyticsAPI(PinterestClient(self.http, self.token), clock=lambda: NOW)

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params, headers={"Authorization": f"Bearer {self.token}"})


@pytest.fixture()
def channel(fresh_sandbox: SandboxServer) -> Iterator[Channel]:
    state = fresh_sandbox.state
    original = state.clock
    state.clock = NOW.timestamp
    try:
        account = state.seed_account("analyst")
        populate_channel(state, account.user_id, pins=150, days=90, boards=3, seed=7)
        yield Channel(fresh_sandbox, account.access_token)
    finally:
        state.clock = original


def test_every_analytics_answer_has_the_official_shape(channel: Channel) -> None:
    # Given a generated channel of 150 Pins over 90 days
    api = channel.api()
    # When every analytics endpoint is read
    account = api.account_daily(60)
    pins = api.list_pins()
    api.top_pins("SAVE", 50)
    api.top_video_pins("IMPRESSION", 5)
    api.pins_analytics([p.id for p in pins], account.window.start, account.window.end)
    api.pin_analytics(pins[0].id, account.window.start, account.window.end)
    # Then each answer conforms to the spec's response schema
    contract = load_contract()
    for response in channel.responses:
        request = response.request
        assert response.status_code == 200, response.text
        violations = contract.validate_response(
            request.method, request.url.path, response.status_code, response.json()
        )
        assert violations == [], (request.url.path, violations)
    # And recent days are marked as not final yet
    statuses = [row.data_status for row in account.daily]
    assert statuses[-2:] == ["ESTIMATE", "PROCESSING"]  # yesterday and the day before
    assert set(statuses[:-2]) == {"READY"}


def test_account_days_are_the_sum_of_the_pins_and_repeat_exactly(channel: Channel) -> None:
    api = channel.api()
    account = api.account_daily(30)
    again = api.account_daily(30)
    pins = api.list_pins()
    batch = api.pins_analytics([p.id for p in pins], account.window.start, account.window.end)
    assert account.daily == again.daily
    for metric in ("IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK"):
        assert sum(row.get(metric) for row in account.daily) == sum(
            a.get(metric) for a in batch.pins.values()
        )


def test_more_than_90_days_back_is_refused_and_the_provider_never_asks(channel: Channel) -> None:
    too_early = (NOW.date() - timedelta(days=91)).isoformat()
    answer = channel.get("/user_account/analytics", start_date=too_early,
                         end_date=NOW.date().isoformat())
    assert answer.status_code == 400
    assert answer.json()["message"] == "You can only get data from the last 90 days."
    # the provider clamps to 89 days, so a year's request goes through
    assert channel.api().account_daily(365).window.days == 89


def test_lifetime_and_period_metrics_cannot_be_mixed(channel: Channel) -> None:
    pin_id = channel.api().list_pins()[0].id
    answer = channel.get(f"/pins/{pin_id}/analytics", start_date="2024-06-01",
                         end_date="2024-06-10", metric_types="SAVE,TOTAL_COMMENTS")
    assert answer.status_code == 400 and answer.json()["code"] == 1


def test_without_the_beta_the_per_pin_fallback_reads_the_same_figures(channel: Channel) -> None:
    # Given the figures read through the batch endpoint
    api = channel.api()
    ids = [p.id for p in api.list_pins()][:120]
    start, end = NOW.date() - timedelta(days=30), NOW.date() - timedelta(days=1)
    with_batch = api.pins_analytics(ids, start, end)
    # When the app loses the beta
    analytics_settings(channel.sandbox.state).batch_enabled = False
    fallback_api = channel.api()
    without = fallback_api.pins_analytics(ids, start, end)
    # Then one refused batch request, then one request per Pin, and the same figures
    assert with_batch.used_batch_endpoint and not without.used_batch_endpoint
    assert fallback_api.calls["multi_pins/analytics"] == 1
    assert fallback_api.calls["pins/analytics"] == len(ids)
    assert {k: v.summary for k, v in without.pins.items()} == {
        k: v.summary for k, v in with_batch.pins.items()
    }


def test_a_channel_without_analytics_access_gets_a_clear_insight(channel: Channel) -> None:
    analytics_settings(channel.sandbox.state).enabled = False
    with pytest.raises(AnalyticsUnavailableError):
        channel.api().account_daily(30)
    insight = build_insight(
        InsightsRequest(schema_version=1, channel_id="shop"), analytics=channel.api(),
        snapshots=InMemoryFollowerSnapshotStore(), llm=ScriptedLLM(), clock=lambda: NOW,
    )
    assert insight.status == "no_analytics_access"


class FigureQuotingLLM(ScriptedLLM):
    """Answers with a draft that quotes the figures it is shown (like a well-behaved model)."""

    def generate(self, *, template: str, variables: Any, output: Any, check: Any = None) -> Any:
        figures = variables["figures"]
        self.enqueue(InsightDraft, InsightDraft(
            summary=f"Saves reached {figures['totals.saves']:,} from "
                    f"{figures['totals.impressions']:,} impressions, an engagement rate of "
                    f"{figures['totals.engagement_rate_pct']}%.",
            suggestions=[
                SuggestionDraft(priority=i, action=f"Do more of what works ({name}).",
                                rationale=f"The figure is {figures[name]}.", figure=name)
                for i, name in enumerate(
                    ["top_pins.1.save_rate_pct", "totals.saves", "peak_days.1.avg_engagements"],
                    start=1,
                )
            ],
            next_pin=NextPinConcept(
                based_on_pin_id=figures["top_pins.1.pin_id"], kind="recipe", name="A new take",
                summary="A fresh Pin for the best page.", audience=None, keywords=["idea"],
                tone=None, rationale=f"It saves at {figures['top_pins.1.save_rate_pct']}%.",
            ),
        ))
        return super().generate(template=template, variables=variables, output=output,
                                check=check)


def test_an_insight_for_a_generated_sandbox_channel(channel: Channel) -> None:
    api = channel.api()
    insight = build_insight(
        InsightsRequest(schema_version=1, channel_id="shop", period_days=30), analytics=api,
        snapshots=InMemoryFollowerSnapshotStore(), llm=FigureQuotingLLM(), clock=lambda: NOW,
    )
    assert insight.status == "ok"
    assert insight.metrics is not None and insight.next_pin is not None
    assert insight.figures == figure_table(insight.metrics)
    assert insight.metrics.pins_total == 150
    # Pins published today (after the period's last day) have no period figures yet
    assert 140 <= insight.metrics.pins_with_analytics <= 150
    assert insight.next_pin.destination_url.startswith("https://shop.example.com/")
    # account days (1) + boards (1) + pin pages (1) + batches (2) + top-Pin lifetimes (<= 5)
    assert api.calls["multi_pins/analytics"] == 2
    assert api.call_count <= 2 + 5 + 3
