"""A bad message carrying the id of a published post is judged as what it is: refused on its own
(event and dead letter), while the post's outcome stays `published`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pinterest_agent.providers.sandbox.server import SandboxServer
from tests.conftest import Channel, RunningWorker
from tests.helpers import dead_letters, enqueue_publish, outcome_status, post_payload, wait_for

pytestmark = pytest.mark.redis


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"link": "https://169.254.169.254/latest/meta-data/"}, "unsafe_url"),
        ({"media": {"type": "image_url", "url": "https://10.0.0.1/dress.jpg"}}, "unsafe_url"),
        ({"title": "x" * 101}, "invalid_message"),
        ({"title": "\x00"}, "invalid_message"),
        ({"platform": "tiktok"}, "unsupported_platform"),
    ],
    ids=["unsafe-link", "unsafe-image", "long-title", "nul-title", "other-platform"],
)
def test_an_invalid_resend_of_a_published_post_is_refused_on_its_own(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
    changes: dict[str, Any], code: str,
) -> None:
    running = start_worker()
    runtime = running.runtime
    # Given a published post
    enqueue_publish(running.broker, runtime.settings, post_payload(fresh_sandbox))
    published = wait_for(lambda: outcome_status(runtime, "post-1", "published"))
    # When a bad message arrives with the same post_id
    bad = enqueue_publish(running.broker, runtime.settings,
                          post_payload(fresh_sandbox, **changes))
    dead = wait_for(lambda: dead_letters(runtime).find(bad.message_id))
    # Then it is refused for what it is, dead-lettered with its reason
    assert dead.reason_code == code
    rejected = runtime.store.outcomes.get("message", dead.dead_id)
    assert rejected is not None and rejected["error"]["code"] == code
    assert rejected["subject"]["id"] == "post-1"
    # And the post's outcome is unchanged: still the publish, not a failure or a "duplicate"
    assert runtime.store.outcomes.get("post", "post-1") == published
    types = [(e["type"], e["id"]) for e in runtime.store.outcomes.events()]
    assert ("post.failed", "post-1") not in types
    assert ("message.rejected", dead.dead_id) in types
    assert len(fresh_sandbox.state.pins_on_board(channel.board_id)) == 1
