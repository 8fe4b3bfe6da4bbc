"""Template versions compared by the measured results of the Pins they wrote: in the weekly
insight and on demand (``prompts report``), from Pinterest's per-Pin analytics only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import SecretStr

from pinterest_agent.agents.prompting.performance import compare_versions, report_lines
from pinterest_agent.agents.prompting.usage import PromptUse
from pinterest_agent.agents.prompting.versions import TemplateRef
from pinterest_agent.providers.pinterest.analytics import AnalyticsAPI
from pinterest_agent.providers.sandbox.analytics_data import populate_channel
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.entry.prompt_report import run_version_report
from pinterest_agent.queues.jobs.insights import insights_request, run_insights
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings
from tests.conftest import Channel, make_settings

START, END = date(2026, 11, 1), date(2026, 11, 30)
V1 = TemplateRef(version=1, label="production", arm="label", hash="a" * 16)
V2 = TemplateRef(version=2, label="production", arm="candidate", hash="b" * 16)
PACKAGED = TemplateRef(arm="packaged", hash="c" * 16)


def use(post_id: str, ref: TemplateRef, day: date = date(2026, 11, 10)) -> PromptUse:
    return PromptUse(post_id=post_id, channel_id="shop",
                     drafted_at=datetime.combine(day, datetime.min.time(), UTC),
                     title=f"Title {post_id}", templates={"pin_copy": ref, "design_spec": PACKAGED})


def figures(impressions: float, saves: float, outbound: float) -> dict[str, float]:
    return {"IMPRESSION": impressions, "SAVE": saves, "OUTBOUND_CLICK": outbound,
            "PIN_CLICK": 999.0}


def test_versions_are_compared_by_the_measured_figures_of_their_own_pins() -> None:
    # Given five posts written with v1, two with v2, one drafted last month, and one v2 post
    # not published yet
    uses = [use(f"p{n}", V1) for n in range(5)] + [use("q0", V2), use("q1", V2),
                                                   use("old", V1, date(2026, 10, 2)),
                                                   use("draft-only", V2)]
    pins = {f"p{n}": f"pin-p{n}" for n in range(5)} | {"q0": "pin-q0", "q1": "pin-q1",
                                                        "old": "pin-old"}
    measured = {f"pin-p{n}": figures(200, 10, 4) for n in range(4)}  # pin-p4: no figures
    measured |= {"pin-q0": figures(300, 30, 9), "pin-q1": figures(100, 5, 1),
                 "pin-old": figures(5000, 500, 50),  # drafted before the period: left out
                 "pin-someone-else": figures(9999, 999, 99)}  # not the worker's: left out
    # When they are compared (at least 4 measured Pins and 500 impressions a version)
    report = compare_versions(uses, pins, measured, channel_id="shop", start=START, end=END,
                              min_pins=4, min_impressions=500)
    # Then each version sums exactly its own Pins' figures, with the counts behind them
    [copy] = [t for t in report.templates if t.template == "pin_copy"]
    v1, v2 = copy.versions
    assert (v1.version, v1.pins_written, v1.pins_published, v1.pins_measured) == ("v1", 5, 5, 4)
    assert (v1.impressions, v1.saves, v1.outbound_clicks) == (800, 40, 16)
    assert v1.save_rate == pytest.approx(40 / 800) and v1.status == "ok"
    assert (v2.version, v2.pins_written, v2.pins_published, v2.pins_measured) == ("v2", 3, 2, 2)
    assert (v2.impressions, v2.saves, v2.outbound_clicks) == (400, 35, 10)
    assert v2.arms == ["candidate"]
    # And a version below the minimum says so rather than claiming a winner
    assert v2.status == "not_enough_data"
    assert report.posts_drafted == 8
    # And the packaged design template wrote all of them
    [design] = [t for t in report.templates if t.template == "design_spec"]
    assert [v.version for v in design.versions] == ["packaged cccccccc"]
    text = "\n".join(report_lines(report))
    assert "not enough data" in text and "5.00%" in text


def test_no_post_in_the_period_says_there_is_nothing_to_compare() -> None:
    report = compare_versions([], {}, {}, channel_id="shop", start=START, end=END)
    assert report.templates == [] and "nothing to compare" in report.note


# -- in the weekly insight, and on demand, against the sandbox's analytics ------------------------


@pytest.fixture()
def settings(prefix: str, fresh_sandbox: SandboxServer) -> Settings:
    return make_settings(prefix, fresh_sandbox,
                         openai_base_url=f"{fresh_sandbox.base_url}/openai/v1",
                         openai_api_key=SecretStr("sandbox-key"),
                         prompt_report_min_pins=3, prompt_report_min_impressions=1)


@pytest.mark.redis
def test_the_weekly_insight_and_prompts_report_compare_versions_by_real_saves(
    fresh_sandbox: SandboxServer, channel: Channel, runtime: Runtime
) -> None:
    # Given a channel whose Pins have 90 days of analytics, 12 of them written by the worker
    # (8 with v1, 4 with v2) and recorded as published in the ledger
    user = fresh_sandbox.state.user_by_name("shop_owner")
    assert user is not None
    pin_ids = populate_channel(fresh_sandbox.state, user.id, pins=40, boards=2)
    drafted = datetime.now(UTC) - timedelta(days=5)
    written = {f"post-{n}": pin_ids[-1 - n] for n in range(12)}
    for n, (post_id, pin_id) in enumerate(written.items()):
        ref = V1 if n < 8 else V2
        runtime.prompt_usage.record(PromptUse(
            post_id=post_id, channel_id="shop", drafted_at=drafted, title=post_id,
            templates={"pin_copy": ref}))
        runtime.store.ledger.mark_published(post_id, pin_id, channel.board_id)
    # When the weekly insight runs
    insight = run_insights(runtime, insights_request("shop"))
    # Then it carries the comparison, and its figures are Pinterest's for exactly those Pins
    report = insight.template_versions
    assert insight.status == "ok" and report is not None and insight.period is not None
    assert (report.period_start, report.period_end) == (insight.period.start, insight.period.end)
    api = AnalyticsAPI(runtime.pinterest_api(channel.access_token),
                       clock=lambda: datetime.now(UTC))
    batch = api.pins_analytics(list(written.values()), report.period_start, report.period_end)

    def measured(posts: list[str], metric: str) -> int:
        return round(sum(batch.pins[written[p]].get(metric) for p in posts
                         if written[p] in batch.pins))

    [copy] = report.templates
    by_version = {v.version: v for v in copy.versions}
    for version, posts in (("v1", list(written)[:8]), ("v2", list(written)[8:])):
        row = by_version[version]
        assert row.pins_written == row.pins_published == len(posts)
        assert row.pins_measured == sum(written[p] in batch.pins for p in posts)
        assert row.impressions == measured(posts, "IMPRESSION")
        assert row.saves == measured(posts, "SAVE")
        assert row.outbound_clicks == measured(posts, "OUTBOUND_CLICK")
    assert by_version["v1"].impressions > 0 and by_version["v1"].pins_measured > 0
    # And `prompts report` prints the same comparison on demand
    on_demand = run_version_report(runtime, "shop", days=30)
    assert on_demand.templates == report.templates


def test_pins_with_and_without_trend_keywords_are_compared_by_their_saves() -> None:
    from pinterest_agent.agents.prompting.performance import TRENDS_ROW

    # Given three Pins whose copy used trending keywords, two that did not, and one drafted
    # before trends were recorded
    uses = [use(f"t{n}", V1).model_copy(update={"trend_keywords": 1 + n % 2}) for n in range(3)]
    uses += [use(f"n{n}", V1).model_copy(update={"trend_keywords": 0}) for n in range(2)]
    uses += [use("before", V1)]
    pins = {u.post_id: f"pin-{u.post_id}" for u in uses}
    measured = {f"pin-t{n}": figures(200, 20, 2) for n in range(3)}
    measured |= {f"pin-n{n}": figures(200, 6, 1) for n in range(2)}
    measured |= {"pin-before": figures(200, 50, 5)}
    # When compared
    report = compare_versions(uses, pins, measured, channel_id="shop", start=START, end=END,
                              min_pins=2, min_impressions=300)
    # Then "trend keywords" compares them by measured saves, the unrecorded one left out
    [trends] = [t for t in report.templates if t.template == TRENDS_ROW]
    rows = {v.version: v for v in trends.versions}
    assert set(rows) == {"with trends", "without trends"}
    assert (rows["with trends"].pins_measured, rows["with trends"].saves) == (3, 60)
    assert rows["with trends"].save_rate == pytest.approx(60 / 600)
    assert (rows["without trends"].pins_measured, rows["without trends"].saves) == (2, 12)
    assert rows["with trends"].version_number is None
    assert "with trends" in "\n".join(report_lines(report))
