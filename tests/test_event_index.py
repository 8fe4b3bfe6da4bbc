"""The Jobs page and a post's page read events from the stream's indexes: a filter finds every
matching event however many others came after it, and a slow page never holds up another."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from click.testing import CliRunner
from pydantic import SecretStr
from starlette.testclient import TestClient

from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.entry.cli import main
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings, load_settings
from pinterest_agent.queues.stores import outcomes as outcomes_module
from pinterest_agent.queues.stores.event_index import EventFilter, padded
from tests.console_support import ORIGIN, console_app, llm_settings, log_in, serve

pytestmark = pytest.mark.redis

LATER_EVENTS = 10_200
ROW = re.compile(r'<tr data-type="([^"]+)" data-subject="([^"]+)">')


@pytest.fixture()
def settings(prefix: str, fresh_sandbox: SandboxServer) -> Settings:
    return llm_settings(prefix, fresh_sandbox)


@pytest.fixture()
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(console_app(runtime), base_url=ORIGIN) as test_client:
        log_in(test_client)
        yield test_client


def _failed(runtime: Runtime, post_id: str, channel: str) -> None:
    runtime.store.outcomes.record("post", post_id, {
        "status": "failed", "channel_id": channel,
        "error": {"code": "board_not_found", "message": "that board is gone"}},
        event="post.failed")


def _many_published(runtime: Runtime, count: int) -> None:
    """``count`` events through the store's own script, pipelined (as fast as Redis takes
    them), half of them the shop's."""
    outcomes = runtime.store.outcomes
    with runtime.redis_client.pipeline(transaction=False) as pipe:
        for i in range(count):
            channel = "shop" if i % 2 else "other"
            _, keys, args = outcomes.prepare("post", f"later-{i}", {
                "status": "published", "channel_id": channel,
                "pin_url": f"https://www.pinterest.com/pin/{i}/"}, event="post.published")
            outcomes._record(keys=keys, args=args, client=pipe)
            if i % 1000 == 999:
                pipe.execute()
        pipe.execute()


def test_a_filter_finds_every_match_however_many_events_came_after(
    client: TestClient, runtime: Runtime,
) -> None:
    # Given 5 failures of the shop and an old post's events early in the stream
    for i in range(5):
        _failed(runtime, f"early-{i}", "shop")
    _failed(runtime, "other-failure", "other")
    runtime.store.outcomes.record("brief", "old-post", {"status": "drafted",
                                                        "channel_id": "shop"},
                                  event="post.drafted")
    # and then more than 10,000 events
    _many_published(runtime, LATER_EVENTS)
    assert runtime.redis_client.xlen(runtime.settings.events_stream) > LATER_EVENTS

    # When the Jobs page is filtered by channel and status
    page = client.get("/jobs", params={"channel": "shop", "status": "failed"})

    # Then it lists exactly the shop's 5 failures, newest first
    assert page.status_code == 200
    assert ROW.findall(page.text) == [("post.failed", f"early-{i}") for i in (4, 3, 2, 1, 0)]
    assert "No events match" not in page.text
    # And a status alone finds the other channel's failure too
    failed = client.get("/jobs", params={"status": "failed"})
    assert len(ROW.findall(failed.text)) == 6
    # And the old post's page shows its event
    post = client.get("/posts/old-post")
    assert post.status_code == 200
    events = post.text[post.text.index('id="post-events"'):]
    assert "post.drafted" in events


def test_the_jobs_page_pages_through_a_filter_to_its_oldest_event(
    client: TestClient, runtime: Runtime,
) -> None:
    # Given 450 events of the shop among 900
    _many_published(runtime, 900)

    # When its pages are followed to the end
    seen: list[str] = []
    url: str | None = "/jobs?channel=shop"
    while url is not None:
        page = client.get(url)
        assert page.status_code == 200
        seen += [subject for _, subject in ROW.findall(page.text)]
        found = re.search(r'<a href="([^"]+)" rel="next">', page.text)
        url = found.group(1).replace("&amp;", "&") if found else None

    # Then each of the shop's events is listed once, newest first
    assert seen == [f"later-{i}" for i in range(899, 0, -2)]


def test_old_events_are_indexed_by_reindex_and_said_missing_until_then(
    client: TestClient, runtime: Runtime, settings: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given failures appended as versions before the indexes appended them (the stream only)
    stream = runtime.settings.events_stream
    for i in range(3):
        runtime.redis_client.xadd(stream, {"type": "post.failed", "id": f"before-{i}",
                                           "payload": '{"channel_id": "shop", "status": '
                                                      '"failed"}'})
    _failed(runtime, "after", "shop")
    before = client.get("/jobs", params={"channel": "shop", "status": "failed"})
    # Then the page shows what is indexed and says what is not
    assert [s for _, s in ROW.findall(before.text)] == ["after"]
    assert 'id="unindexed"' in before.text and "jobs reindex" in before.text
    assert runtime.store.outcomes.has_unindexed()

    # When `pinterest-agent jobs reindex` runs
    for name, value in settings.model_dump().items():
        if value is not None:
            value = value.get_secret_value() if isinstance(value, SecretStr) else value
            monkeypatch.setenv(f"PINTEREST_AGENT_{name.upper()}", str(value))
    load_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["jobs", "reindex"])
    finally:
        load_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "4 events" in result.output

    # Then the old events are found, and nothing is said missing
    after = client.get("/jobs", params={"channel": "shop", "status": "failed"})
    assert [s for _, s in ROW.findall(after.text)] == ["after", "before-2", "before-1",
                                                       "before-0"]
    assert 'id="unindexed"' not in after.text
    assert not runtime.store.outcomes.has_unindexed()


def test_an_index_keeps_no_event_the_stream_trimmed(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a stream capped near 200 events and 2,000 appended
    monkeypatch.setattr(outcomes_module, "EVENTS_MAXLEN", 200)
    _many_published(runtime, 2_000)
    client = runtime.redis_client
    stream = runtime.settings.events_stream
    oldest = padded(client.xrange(stream, count=1)[0][0].decode())
    outcomes = runtime.store.outcomes

    # Then the channel's index starts at the stream's oldest event
    index = outcomes.index.channel("shop")
    first = client.zrangebylex(index, "-", "+", start=0, num=1)[0].decode()
    assert first >= oldest
    # And reading it to the end returns every shop event the stream holds, and no more
    held = [e["id"] for e in outcomes.page(count=5_000).events
            if e["payload"]["channel_id"] == "shop"]
    assert [e["id"] for e in outcomes.page(EventFilter(channel="shop"), count=5_000).events] \
        == held
    # And a post's index expires with its outcome
    assert 0 < client.ttl(outcomes.index.subject("later-1999")) <= \
        runtime.settings.outcome_ttl_days * 86_400


def test_a_page_waiting_on_redis_holds_up_no_other_page(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the console served by uvicorn, and a post page whose Redis read never returns
    # until released
    runtime.store.outcomes.record("brief", "slow-post", {"status": "drafted"},
                                  event="post.drafted")
    release, entered = threading.Event(), threading.Event()
    documents = runtime.store.documents
    read = documents.get

    def stuck(name: str, subject_id: str) -> str | None:
        if subject_id == "slow-post":
            entered.set()
            release.wait(timeout=60)
        return read(name, subject_id)

    monkeypatch.setattr(documents, "get", stuck)
    for port in serve(console_app(runtime)):
        origin = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=origin, timeout=30) as one, \
                httpx.Client(base_url=origin, timeout=5) as other, \
                ThreadPoolExecutor(1) as pool:
            log_in(one, origin=origin)
            log_in(other, origin=origin)
            slow = pool.submit(one.get, "/posts/slow-post")
            try:
                assert entered.wait(timeout=30)
                # When another user opens another page while the first is waiting
                answered = other.get("/jobs")
                # Then it is answered
                assert answered.status_code == 200
            finally:
                release.set()
            assert slow.result().status_code == 200
