"""The reconciler drives unfinished posts again from their stored message: a post left
`creating` (its Pin made, the record lost) is adopted, a post left `leased` is published, a post
an attempt still holds is left alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest

from pinterest_agent.agents.messages import SocialPost
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.jobs import publish as jobs
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.stores.ledger import RedisPublishLedger
from tests.conftest import Channel, RunningWorker
from tests.helpers import outcome_status, post_payload, wait_for

pytestmark = pytest.mark.redis


def _lose_after_create(runtime: Runtime, payload: dict[str, Any]) -> None:
    """Publish until the Pin exists, then lose everything after it (the record, the message)."""
    def lost(self: RedisPublishLedger, *args: Any, **kwargs: Any) -> None:
        raise ConnectionError("Redis went away after the create")

    with mock.patch.object(RedisPublishLedger, "mark_published", lost), \
            pytest.raises(ConnectionError):
        jobs.run_publish(runtime, payload)


def _make_overdue(runtime: Runtime, post_id: str) -> None:
    ledger = runtime.store.ledger
    runtime.redis_client.zadd(ledger.open_key, {post_id: 0})


def test_a_post_left_creating_is_adopted_not_created_again(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
) -> None:
    running = start_worker()
    runtime = running.runtime
    payload = post_payload(fresh_sandbox, "lost-1")
    # Given a post whose Pin was created but whose record and message were lost
    _lose_after_create(runtime, payload)
    assert len(fresh_sandbox.state.pins_on_board(channel.board_id)) == 1
    entry = runtime.store.ledger.get("lost-1")
    assert entry is not None and entry.state == "creating"
    assert runtime.store.outcomes.get("post", "lost-1") is None
    # When it is overdue and the reconciler runs
    _make_overdue(runtime, "lost-1")
    assert running.actors.reconciler.run_once(claim=False) == ["lost-1"]
    # Then the post is published by adopting the Pin: still one Pin
    outcome = wait_for(lambda: outcome_status(runtime, "lost-1", "published"))
    assert outcome["reconciled"] is True
    assert len(fresh_sandbox.state.pins_on_board(channel.board_id)) == 1
    assert fresh_sandbox.state.request_count("POST", "/v5/pins") == 1
    events = [e["type"] for e in runtime.store.outcomes.events() if e["id"] == "lost-1"]
    assert events == ["post.redriven", "post.published"]
    # And it is no longer due
    assert runtime.store.ledger.overdue() == []


def test_a_post_left_leased_is_published_and_a_held_one_is_left_alone(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
) -> None:
    running = start_worker()
    runtime = running.runtime
    ledger = runtime.store.ledger
    # Given one post whose attempt began and vanished (lease gone), and one still held
    for post_id in ("left-1", "held-1"):
        message = post_payload(fresh_sandbox, post_id)
        assert ledger.acquire_lease(post_id, f"attempt-{post_id}",
                                    message=jobs.decode_message(
                                        SocialPost, message).model_dump_json())[0]
        _make_overdue(runtime, post_id)
    ledger.release_lease("left-1", "attempt-left-1")
    # When the reconciler runs
    assert running.actors.reconciler.run_once(claim=False) == ["left-1"]
    # Then the abandoned one is published, the held one is not touched
    wait_for(lambda: outcome_status(runtime, "left-1", "published"))
    assert runtime.store.outcomes.get("post", "held-1") is None
    assert ledger.lease_holder("held-1") == "attempt-held-1"
    assert [pin.fields["title"] for pin in fresh_sandbox.state.pins_on_board(channel.board_id)]


def test_one_run_per_period_across_workers(
    start_worker: Callable[..., RunningWorker],
) -> None:
    first, second = start_worker(), start_worker()
    assert first.actors.reconciler._claim_period() is True
    assert second.actors.reconciler._claim_period() is False
