"""What the console shows comes from the store the workers write: the figures snapshot of the
insights job, the static report, the OAuth callback's checks, dead letters and their retry."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from html import escape
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import SecretStr
from starlette.testclient import TestClient

from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues import console as console_module
from pinterest_agent.queues.entry.cli import main
from pinterest_agent.queues.jobs.actors import WRITE_ACTOR
from pinterest_agent.queues.jobs.enqueue import enqueue_message
from pinterest_agent.queues.jobs.publish import run_publish
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings, load_settings
from pinterest_agent.queues.stores.figures import ChannelFiguresStore
from tests.conftest import Channel, RunningWorker
from tests.console_support import (
    ORIGIN,
    console_app,
    llm_settings,
    log_in,
    populate_and_run_insights,
)
from tests.helpers import dead_letters, post_payload, wait_for

pytestmark = pytest.mark.redis


@pytest.fixture()
def settings(prefix: str, fresh_sandbox: SandboxServer) -> Settings:
    return llm_settings(prefix, fresh_sandbox)


@pytest.fixture()
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(console_app(runtime), base_url=ORIGIN) as test_client:
        yield test_client


def test_the_insights_job_stores_the_channels_figures(
    runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer,
) -> None:
    # When the insights job runs for a channel with 90 days of Pins
    populate_and_run_insights(runtime, fresh_sandbox, channel, pins=40)
    # Then its figures snapshot holds the API's 89 days with their status, every board, the Pins
    figures = ChannelFiguresStore(runtime.redis_client, runtime.settings.key_prefix).load("shop")
    assert figures is not None and figures.status == "ok"
    assert len(figures.days) == 89
    assert {d.data_status for d in figures.days} >= {"READY", "ESTIMATE", "PROCESSING"}
    assert figures.provisional_days == [d.date for d in figures.days[-2:]]  # ESTIMATE, PROCESSING
    assert figures.pins_total == 40 and len(figures.boards) == 3
    assert figures.username == "shop_owner"
    assert figures.top_pins and all(p.image_url for p in figures.top_pins)
    # And the top Pins' figures are the insight's own (same period, same numbers)
    insight_top = runtime.store.documents.history("insight", "shop", limit=1)[0]
    best = next(p for p in figures.top_pins if p.pin_id in insight_top)
    assert f'"pin_id":"{best.pin_id}"' in insight_top


def test_a_warm_insights_run_still_stores_every_pins_figures(
    runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer,
) -> None:
    # Given a channel whose Pins are cached by a first run
    populate_and_run_insights(runtime, fresh_sandbox, channel, pins=40)
    # When the insights job runs again (it lists only the newest Pins now)
    from pinterest_agent.queues.jobs.insights import insights_request, run_insights

    run_insights(runtime, insights_request("shop"))
    # Then the figures still cover every Pin, from the Pin cache
    figures = ChannelFiguresStore(runtime.redis_client, runtime.settings.key_prefix).load("shop")
    assert figures is not None and figures.pins_total == 40
    assert figures.top_pins and all(p.image_url for p in figures.top_pins)


def test_the_console_draws_each_chart_once_for_every_console_process(
    runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pinterest_agent.queues.console import chart_store
    from pinterest_agent.queues.console import charts as chart_module
    from pinterest_agent.queues.console.chart_store import ChartStore
    from pinterest_agent.queues.console.views import overview_view

    # Given the insights job ran: it stored plain figures and drew no chart
    populate_and_run_insights(runtime, fresh_sandbox, channel)
    prefix = runtime.settings.key_prefix
    assert not list(runtime.redis_client.scan_iter(match=f"{prefix}:chart:*"))
    figures = ChannelFiguresStore(runtime.redis_client, prefix).load("shop")
    assert figures is not None
    series = overview_view(figures, runtime.store.follower_snapshots.load("shop")).charts
    # When a first console process shows the Overview, it draws the charts (and stores them)
    first = [ChartStore(runtime.redis_client, prefix).svg(one) for one in series]
    # (three daily charts: one follower snapshot is explained in words, not drawn as a dot)
    assert all(svg.startswith("<svg") for svg in first) and len(series) == 3
    # And a second console process that may not draw shows them too
    def no_drawing(_: object) -> str:
        raise AssertionError("a console process drew a chart another one had drawn")

    monkeypatch.setattr(chart_store, "render_chart", no_drawing)
    monkeypatch.setattr(chart_module, "render_chart", no_drawing)
    store = ChartStore(runtime.redis_client, prefix)
    # Then every chart comes from Redis, as the first process drew it
    assert [store.svg(one) for one in series] == first


def test_report_writes_the_channel_page_as_one_offline_file(
    runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, settings: Settings,
) -> None:
    # Given a channel with figures and an insight
    populate_and_run_insights(runtime, fresh_sandbox, channel)
    for name, value in settings.model_dump().items():
        if value is not None:
            value = value.get_secret_value() if isinstance(value, SecretStr) else value
            monkeypatch.setenv(f"PINTEREST_AGENT_{name.upper()}", str(value))
    load_settings.cache_clear()
    out = tmp_path / "report.html"
    try:
        # When the report is written
        result = CliRunner().invoke(main, ["report", "shop", "--out", str(out)])
        unknown = CliRunner().invoke(main, ["report", "nobody", "--out", str(tmp_path / "x")])
    finally:
        load_settings.cache_clear()
    assert result.exit_code == 0, result.output
    html = out.read_text()
    # Then it holds the four tabs with inline charts and styles, and needs nothing else
    for section in ("overview", "top-pins", "insights", "suggestions"):
        assert f'id="{section}"' in html
    # (three daily charts and a sparkline on each daily card; one follower snapshot: no chart)
    assert html.count("<svg") == 6 and html.count('<svg class="spark"') == 3
    assert "<style>" in html
    # And the stylesheet is inlined as written (quoted font names, not &#34;Segoe UI&#34;)
    css = (Path(console_module.__file__).parent / "static" / "console.css").read_text()
    assert f"<style>{css}</style>" in html and '"Segoe UI"' in html
    assert "<script" not in html and "<link rel=\"stylesheet\"" not in html
    assert not re.search(r'\bsrc="(?!data:)', html)  # no image, frame or script to fetch
    assert "<form" not in html
    assert channel.access_token not in html and channel.refresh_token not in html
    # And a channel with nothing stored is refused
    assert unknown.exit_code == 1 and "insights run nobody" in unknown.output


def test_a_callback_with_a_foreign_state_stores_nothing(
    client: TestClient, runtime: Runtime, fresh_sandbox: SandboxServer,
) -> None:
    # Given an operator who started connecting channel "other"
    token = log_in(client)
    start = client.post("/connect", data={"csrf_token": token, "channel_id": "other"},
                        headers={"Origin": ORIGIN}, follow_redirects=False)
    assert start.status_code == 303
    assert start.headers["location"].startswith(fresh_sandbox.oauth_url)
    # When the callback arrives with a state that was not issued to this browser
    answer = client.get("/connect/callback?code=abc&state=forged")
    # Then it is refused and no credentials are stored
    assert answer.status_code == 400 and "oauth_state_mismatch" in answer.text
    assert runtime.store.credentials.get("other") is None
    # And a replay after that finds no connection started
    assert client.get("/connect/callback?code=abc&state=forged").status_code == 400


def test_an_upstream_posts_page_shows_its_copy_and_its_image(
    client: TestClient, runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer,
) -> None:
    # Given a post from an upstream agent (no draft of the writer), published
    payload = post_payload(fresh_sandbox, "upstream-1")
    assert run_publish(runtime, payload)["status"] == "published"
    log_in(client)

    # When its page is opened
    page = client.get("/posts/upstream-1")

    # Then it shows the copy that was sent, and its image_url as the Pin's image
    assert page.status_code == 200
    copy = page.text[page.text.index("<h2>Copy</h2>"):page.text.index('id="post-events"')]
    assert escape(payload["title"]) in copy and escape(payload["alt_text"]) in copy
    assert "<dt>Board</dt>" in copy
    assert f'src="{escape(payload["media"]["url"])}"' in page.text


def test_dead_letters_are_listed_with_their_reason_and_retried(
    client: TestClient, runtime: Runtime, start_worker: Callable[..., RunningWorker],
    fresh_sandbox: SandboxServer,
) -> None:
    # Given a brief for a channel nobody connected, dead-lettered by the writer
    worker = start_worker()
    brief = {"schema_version": 1, "brief_id": "ghost-1", "channel_id": "ghost", "kind": "other",
             "name": "A Pin", "summary": "Something to write about.",
             "destination_url": f"{fresh_sandbox.https_base_url}/_sandbox/pages/x"}
    enqueue_message(worker.broker, queue=runtime.settings.queue_writer, actor=WRITE_ACTOR,
                    payload=brief)
    letters = dead_letters(runtime)
    [job] = wait_for(lambda: letters.list())
    token = log_in(client)
    # When the operator opens the dead letters
    page = client.get("/jobs/dead")
    # Then the job is there with its recorded reason
    assert job.dead_id in page.text and "unknown_channel" in page.text
    # And the retry button puts it back on its queue
    retried = client.post(f"/jobs/dead/{job.dead_id}/retry", data={"csrf_token": token},
                          headers={"Origin": ORIGIN}, follow_redirects=False)
    assert retried.status_code == 303 and "retried=" in retried.headers["location"]
    assert letters.find(job.dead_id) is None
    # And the Jobs page lists the failure, newest first, filtered by status
    jobs = client.get("/jobs?status=failed")
    assert "ghost-1" in jobs.text and "post.failed" in jobs.text


def test_a_kept_demo_opens_in_the_console(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    # Given the README's sequence: `pinterest-agent demo --keep`
    for name, value in settings.model_dump().items():
        if value is not None:
            value = value.get_secret_value() if isinstance(value, SecretStr) else value
            monkeypatch.setenv(f"PINTEREST_AGENT_{name.upper()}", str(value))
    monkeypatch.delenv("PINTEREST_AGENT_SECRET_KEY")
    load_settings.cache_clear()
    try:
        demo = CliRunner().invoke(main, ["demo", "--keep", "--out", str(tmp_path / "demo")])
        assert demo.exit_code == 0, demo.output
        assert f". {tmp_path / 'demo' / 'demo.env'} && pinterest-agent console" in demo.output
        # When its env file is sourced
        env_file = tmp_path / "demo" / "demo.env"
        assert env_file.stat().st_mode & 0o777 == 0o600
        for line in env_file.read_text().splitlines():
            if line.startswith("export "):
                name, _, value = line[len("export "):].partition("=")
                monkeypatch.setenv(name, value.strip("'"))
        load_settings.cache_clear()
        # Then the console finds the demo channel with its figures, charts and insight
        runtime = Runtime.build(load_settings())
        try:
            with TestClient(console_app(runtime), base_url=ORIGIN) as client:
                log_in(client)
                assert ">demo</a>" in client.get("/").text
                overview = client.get("/channels/demo")
                assert overview.status_code == 200  # three charts, three sparklines
                assert overview.text.count('class="spark"') == 3
                assert overview.text.count("<svg") == 6
                assert "Write this Pin" in client.get("/channels/demo/suggestions").text
        finally:
            runtime.close()
    finally:
        load_settings.cache_clear()


def test_the_searching_tab_shows_trends_and_writes_a_pin_for_one(
    client: TestClient, runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer,
) -> None:
    from pinterest_agent.queues.jobs.insights import latest_insight

    # Given a channel whose weekly insight ran (it fetched the channel's trends)
    populate_and_run_insights(runtime, fresh_sandbox, channel, pins=40)
    insight = latest_insight(runtime, "shop")
    assert insight is not None and insight.searching
    token = log_in(client)
    asked = fresh_sandbox.state.request_count(
        "GET", "/v5/trends/keywords/{region}/top/{trend_type}")
    # When the operator opens the Searching tab
    page = client.get("/channels/shop/searching")
    # Then each rising keyword no Pin covers is listed with its growth and a sparkline, from the
    # stored insight and the cache (the console asks Pinterest nothing)
    assert page.status_code == 200
    first = insight.searching[0]
    assert f'data-keyword="{escape(first.trend.keyword)}"' in page.text
    assert "no Pin yet" in page.text and "<polyline points=" in page.text
    assert f"month {int(first.trend.pct_growth_mom or 0):+d}%" in page.text
    assert fresh_sandbox.state.request_count(
        "GET", "/v5/trends/keywords/{region}/top/{trend_type}") == asked
    # When they write a Pin for it, with a page that is not https: refused, nothing sent
    bad = client.post("/channels/shop/write-keyword", headers={"Origin": ORIGIN},
                      data={"csrf_token": token, "keyword": first.trend.keyword,
                            "destination_url": "http://shop.example/x", "summary": "Linen."},
                      follow_redirects=True)
    assert "Not sent:" in bad.text and "destination_url" in bad.text
    # And with an https page: a brief goes to the writer, the keyword offered with its figures
    link = f"{fresh_sandbox.https_base_url}/_sandbox/pages/trend"
    sent = client.post("/channels/shop/write-keyword", headers={"Origin": ORIGIN},
                       data={"csrf_token": token, "keyword": first.trend.keyword,
                             "destination_url": link, "summary": "A linen runner, 40 x 200 cm."},
                       follow_redirects=False)
    assert sent.status_code == 303 and "sent=trend-" in sent.headers["location"]
    shown = client.get(sent.headers["location"])
    assert "Sent to the writer" in shown.text
    queued = runtime.redis_client.lrange(
        f"{runtime.settings.broker_namespace}:{runtime.settings.queue_writer}", 0, -1)
    assert len(queued) == 1
    body = runtime.redis_client.hget(
        f"{runtime.settings.broker_namespace}:{runtime.settings.queue_writer}.msgs", queued[0])
    assert body is not None and first.trend.keyword.encode() in body
    assert b'"trend_keywords": [{"keyword"' in body or b'"trend_keywords":[{"keyword"' in body
