"""The network edge through the real worker: a flaky destination link is retried, a broken one
fails at once, and media URLs Pinterest would fetch are checked before any request.

Real Redis, real Dramatiq worker threads, the local sandbox (its HTTPS pages are the links).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.runtime import Runtime
from tests.conftest import Channel, RunningWorker
from tests.helpers import dead_letters, enqueue_publish, outcome_status, post_payload, wait_for

pytestmark = pytest.mark.redis


def events_for(runtime: Runtime, post_id: str) -> list[dict[str, Any]]:
    return [e for e in runtime.store.outcomes.events() if e["id"] == post_id]


def test_a_link_answering_503_twice_publishes_after_retrying(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker]
) -> None:
    # Given a destination page that answers 503 to its next four requests: the preflight
    # started when the message is fetched may see two of them (HEAD, then GET), and never
    # decides; the job's own preflight then sees at least the other two
    fresh_sandbox.state.faults.add("*", r"/_sandbox/pages/flaky", status=503, times=4)
    running = start_worker()
    link = f"{fresh_sandbox.https_base_url}/_sandbox/pages/flaky"
    # When a post linking to it is enqueued
    enqueue_publish(running.broker, running.runtime.settings,
                    post_payload(fresh_sandbox, link=link))
    # Then it is retried as destination_unavailable and then published, one Pin
    wait_for(lambda: outcome_status(running.runtime, "post-1", "published"))
    events = events_for(running.runtime, "post-1")
    retrying = [e for e in events if e["type"] == "post.retrying"]
    assert retrying, events
    assert {e["payload"]["error"]["code"] for e in retrying} == {"destination_unavailable"}
    assert events[-1]["type"] == "post.published"
    assert len(fresh_sandbox.state.pins_on_board(channel.board_id)) == 1


def test_a_link_that_stays_down_fails_when_retries_run_out(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker]
) -> None:
    # Given a destination page that always answers 503
    fresh_sandbox.state.faults.add("*", r"/_sandbox/pages/down", status=503)
    running = start_worker()
    link = f"{fresh_sandbox.https_base_url}/_sandbox/pages/down"
    message = enqueue_publish(running.broker, running.runtime.settings,
                              post_payload(fresh_sandbox, link=link))
    # Then it is retried max_retries times, then failed and dead-lettered, with no Pin
    outcome = wait_for(lambda: outcome_status(running.runtime, "post-1", "failed"))
    assert outcome["error"]["code"] == "destination_unavailable"
    dead = wait_for(lambda: dead_letters(running.runtime).find(message.message_id))
    assert dead.retries == running.runtime.settings.max_retries
    types = [e["type"] for e in events_for(running.runtime, "post-1")]
    assert types == ["post.retrying"] * running.runtime.settings.max_retries + ["post.failed"]
    assert fresh_sandbox.state.pins_on_board(channel.board_id) == []


def test_a_404_link_fails_at_once(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker]
) -> None:
    running = start_worker()
    link = f"{fresh_sandbox.https_base_url}/_sandbox/status/404"  # https://127.0.0.1:PORT/...
    message = enqueue_publish(running.broker, running.runtime.settings,
                              post_payload(fresh_sandbox, link=f"{link}?utm_source=secret"))
    outcome = wait_for(lambda: outcome_status(running.runtime, "post-1", "failed"))
    assert outcome["error"]["code"] == "destination_unreachable"
    # The error names the link with its port (never its query)
    assert outcome["error"]["url"] == link
    assert "secret" not in outcome["error"]["message"]
    dead = wait_for(lambda: dead_letters(running.runtime).find(message.message_id))
    assert dead.retries == 0
    assert [e["type"] for e in events_for(running.runtime, "post-1")] == ["post.failed"]
    assert fresh_sandbox.state.pins_on_board(channel.board_id) == []


def test_a_429_link_is_retried_after_its_retry_after(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker]
) -> None:
    # Given a destination page that answers 429 with Retry-After: 1 four times: twice (HEAD,
    # then GET) to the job's own preflight at least, whatever the early one saw
    fresh_sandbox.state.faults.add("*", r"/_sandbox/pages/busy", status=429,
                                   headers={"Retry-After": "1"}, times=4)
    running = start_worker()
    link = f"{fresh_sandbox.https_base_url}/_sandbox/pages/busy"
    enqueue_publish(running.broker, running.runtime.settings,
                    post_payload(fresh_sandbox, link=link))
    # Then the retrying event carries the hint, and the post is published afterwards
    wait_for(lambda: outcome_status(running.runtime, "post-1", "published"))
    retrying = [e for e in events_for(running.runtime, "post-1") if e["type"] == "post.retrying"]
    assert retrying
    assert {e["payload"]["error"].get("retry_after_s") for e in retrying} == {1.0}


UNSAFE_MEDIA_URLS = [
    "https://169.254.169.254/latest/meta-data/pin.jpg",
    "https://10.0.0.1/pin.jpg",
    "https://[::ffff:127.0.0.1]/pin.jpg",
    "https://user:pass@127.0.0.1/pin.jpg",
    "https:///nohost",
]


def _image(sandbox: SandboxServer, bad: str) -> dict[str, Any]:
    return {"type": "image_url", "url": bad}


def _carousel(sandbox: SandboxServer, bad: str) -> dict[str, Any]:
    good = f"{sandbox.base_url}/_sandbox/images/one.jpg"
    return {"type": "carousel", "items": [{"url": good}, {"url": bad}]}


def _cover(sandbox: SandboxServer, bad: str) -> dict[str, Any]:
    return {"type": "video", "url": f"{sandbox.base_url}/_sandbox/videos/clip.mp4",
            "cover_image_url": bad}


MEDIA_KINDS: dict[str, Callable[[SandboxServer, str], dict[str, Any]]] = {
    "image_url": _image, "carousel": _carousel, "video-cover": _cover,
}


@pytest.mark.parametrize("bad", UNSAFE_MEDIA_URLS)
@pytest.mark.parametrize("kind", MEDIA_KINDS)
def test_unsafe_media_urls_are_refused_before_any_request(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
    kind: str, bad: str,
) -> None:
    # Given a post whose image, carousel item or video cover points somewhere unsafe
    running = start_worker()
    payload = post_payload(fresh_sandbox, media=MEDIA_KINDS[kind](fresh_sandbox, bad))
    message = enqueue_publish(running.broker, running.runtime.settings, payload)
    # Then it fails with unsafe_url, is dead-lettered, and Pinterest got nothing
    outcome = wait_for(lambda: outcome_status(running.runtime, "post-1", "failed"))
    assert outcome["error"]["code"] == "unsafe_url", outcome["error"]
    assert "pass@" not in str(outcome["error"])  # the error never repeats credentials
    assert wait_for(lambda: dead_letters(running.runtime).find(message.message_id)).retries == 0
    assert fresh_sandbox.state.pins_on_board(channel.board_id) == []
    assert fresh_sandbox.state.request_count("POST", "/v5/pins") == 0
    assert fresh_sandbox.state.request_count("POST", "/v5/media") == 0
