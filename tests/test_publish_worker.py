"""The publisher end to end: real Redis, real Dramatiq worker threads, the local sandbox; each
test runs on both brokers (Redis, RabbitMQ).

Each test reads as a story: Given a connected channel, When a job goes through the worker, Then
exactly what Pinterest should hold, the recorded outcome, and the event stream.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest

from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.stores.ledger import RedisPublishLedger
from tests.conftest import Channel, RunningWorker, both_brokers
from tests.helpers import dead_letters, enqueue_publish, outcome_status, post_payload, wait_for

pytestmark = [pytest.mark.redis, both_brokers]


def pins(sandbox: SandboxServer, channel: Channel) -> list[Any]:
    return sandbox.state.pins_on_board(channel.board_id)


def test_publishes_one_pin_and_records_the_outcome(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker]
) -> None:
    # Given a worker and a connected channel
    running = start_worker()
    # When a post is enqueued
    enqueue_publish(running.broker, running.runtime.settings, post_payload(fresh_sandbox))
    # Then one Pin is on the board, the outcome says so, and post.published was emitted
    outcome = wait_for(lambda: outcome_status(running.runtime, "post-1", "published"))
    on_board = pins(fresh_sandbox, channel)
    assert [p.id for p in on_board] == [outcome["pin_id"]]
    assert outcome["pin_url"] == f"https://www.pinterest.com/pin/{outcome['pin_id']}/"
    events = running.runtime.store.outcomes.events()
    assert [(e["type"], e["id"]) for e in events] == [("post.published", "post-1")]


def test_crash_after_create_before_record_is_reconciled_not_duplicated(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker]
) -> None:
    # Given the worker dies between Pinterest creating the Pin and the ledger recording it
    original = RedisPublishLedger.mark_published
    calls = {"n": 0}

    def crash_once(
        self: RedisPublishLedger, post_id: str, pin_id: str, board_id: str, **kw: Any
    ) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("worker killed after the create")
        original(self, post_id, pin_id, board_id, **kw)

    with mock.patch.object(RedisPublishLedger, "mark_published", crash_once):
        running = start_worker()
        # When the message is delivered and then redelivered by Retries
        enqueue_publish(running.broker, running.runtime.settings, post_payload(fresh_sandbox))
        outcome = wait_for(lambda: outcome_status(running.runtime, "post-1", "published"))
    # Then exactly one Pin exists, found by reconciliation
    assert len(pins(fresh_sandbox, channel)) == 1
    assert outcome["reconciled"] is True
    assert fresh_sandbox.state.request_count("POST", "/v5/pins") == 1


def test_error_answer_after_the_pin_was_made_is_reconciled(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker]
) -> None:
    # Given Pinterest creates the Pin but answers 500 (the client cannot know it worked)
    fresh_sandbox.state.faults.add(
        "POST", "/v5/pins", status=500, body={"code": 2787, "message": "Sorry!"}, times=1,
        after=True,
    )
    running = start_worker()
    enqueue_publish(running.broker, running.runtime.settings, post_payload(fresh_sandbox))
    outcome = wait_for(lambda: outcome_status(running.runtime, "post-1", "published"))
    # Then the retry finds that Pin instead of making a second one
    assert len(pins(fresh_sandbox, channel)) == 1
    assert outcome["reconciled"] is True


def test_same_post_enqueued_twice_makes_one_pin(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker]
) -> None:
    # Given two deliveries of the same SocialPost, processed concurrently
    fresh_sandbox.state.faults.add("POST", "/v5/pins", latency_ms=300, times=1)
    running = start_worker(threads=4)
    payload = post_payload(fresh_sandbox)
    enqueue_publish(running.broker, running.runtime.settings, payload)
    enqueue_publish(running.broker, running.runtime.settings, json.dumps(payload))
    wait_for(lambda: outcome_status(running.runtime, "post-1", "published"))
    running.join()
    # Then one Pin, one post.published event, and the duplicate is an event of its own
    assert len(pins(fresh_sandbox, channel)) == 1
    types = [e["type"] for e in running.runtime.store.outcomes.events()]
    assert types.count("post.published") == 1
    assert types.count("post.duplicate") == 1
    # And the stored outcome is the first terminal one, not the duplicate's
    stored = running.runtime.store.outcomes.get("post", "post-1")
    assert stored is not None and stored["duplicate"] is False


def test_rate_limit_then_success(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker]
) -> None:
    fresh_sandbox.state.faults.add(
        "POST", "/v5/pins", status=429, body={"code": 8, "message": "Rate limit exceeded."},
        headers={"Retry-After": "0.2"}, times=1,
    )
    running = start_worker()
    enqueue_publish(running.broker, running.runtime.settings, post_payload(fresh_sandbox))
    wait_for(lambda: outcome_status(running.runtime, "post-1", "published"))
    assert len(pins(fresh_sandbox, channel)) == 1
    assert fresh_sandbox.state.request_count("POST", "/v5/pins") == 2


def test_server_error_storm_then_success(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker]
) -> None:
    fresh_sandbox.state.faults.add(
        "POST", "/v5/pins", status=503, body={"code": 0, "message": "unavailable"}, times=3
    )
    running = start_worker()
    enqueue_publish(running.broker, running.runtime.settings, post_payload(fresh_sandbox))
    wait_for(lambda: outcome_status(running.runtime, "post-1", "published"))
    assert len(pins(fresh_sandbox, channel)) == 1
    statuses = [e["type"] for e in running.runtime.store.outcomes.events()]
    assert statuses.count("post.retrying") == 3 and statuses[-1] == "post.published"


def test_spam_rate_limit_fails_permanently(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker]
) -> None:
    fresh_sandbox.state.faults.add(
        "POST", "/v5/pins", status=429,
        body={"code": 8, "message": "Your request was blocked as spam."},
    )
    running = start_worker()
    enqueue_publish(running.broker, running.runtime.settings, post_payload(fresh_sandbox))
    outcome = wait_for(lambda: outcome_status(running.runtime, "post-1", "failed"))
    assert outcome["error"]["code"] == "spam_blocked"
    assert fresh_sandbox.state.request_count("POST", "/v5/pins") == 1
    assert wait_for(lambda: dead_letters(running.runtime).list())
    assert pins(fresh_sandbox, channel) == []


def test_unauthorized_refreshes_once_and_persists_the_rotated_token(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker]
) -> None:
    # Given Pinterest no longer accepts the stored access token
    fresh_sandbox.state.expire_access_tokens()
    running = start_worker()
    enqueue_publish(running.broker, running.runtime.settings, post_payload(fresh_sandbox))
    wait_for(lambda: outcome_status(running.runtime, "post-1", "published"))
    # Then one token call was made and the rotated refresh token replaced the old one
    assert fresh_sandbox.state.request_count("POST", "/v5/oauth/token") == 1
    stored = running.runtime.store.credentials.get("shop")
    assert stored is not None and stored.refresh_token is not None
    assert stored.refresh_token.get_secret_value() != channel.refresh_token
    assert stored.access_token.get_secret_value() != channel.access_token


BAD_INPUTS: list[tuple[str, Callable[[SandboxServer], object], str]] = [
    ("malformed-json", lambda s: '{"schema_version": 1, "post_id": "bad-1", ', "invalid_message"),
    ("wrong-version", lambda s: post_payload(s, "bad-2", schema_version=2),
     "unsupported_schema_version"),
    ("unknown-platform", lambda s: post_payload(s, "bad-3", platform="myspace"),
     "unsupported_platform"),
    ("long-title", lambda s: post_payload(s, "bad-4", title="x" * 101), "invalid_message"),
    ("http-link", lambda s: post_payload(s, "bad-5", link="http://example.com/a"),
     "invalid_message"),
    ("unknown-channel", lambda s: post_payload(s, "bad-6", channel_id="nobody"),
     "unknown_channel"),
    ("unknown-board", lambda s: post_payload(s, "bad-7", board_id="999999999"),
     "board_not_found"),
]


@pytest.mark.parametrize(("name", "make", "code"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_is_recorded_dead_lettered_and_the_worker_keeps_serving(
    fresh_sandbox: SandboxServer,
    channel: Channel,
    start_worker: Callable[..., RunningWorker],
    name: str,
    make: Callable[[SandboxServer], object],
    code: str,
) -> None:
    running = start_worker()
    # When a bad job and then a good one are enqueued
    bad = enqueue_publish(running.broker, running.runtime.settings, make(fresh_sandbox))
    enqueue_publish(running.broker, running.runtime.settings, post_payload(fresh_sandbox, "good-1"))
    # Then the good one is published
    wait_for(lambda: outcome_status(running.runtime, "good-1", "published"))
    # And the bad one failed with a typed, clear error, kept in the dead-letter queue
    failed = wait_for(lambda: [
        e for e in running.runtime.store.outcomes.events() if e["type"] == "post.failed"
    ])
    error = failed[0]["payload"]["error"]
    assert error["code"] == code, error
    assert len(error["message"]) > 20
    dead = wait_for(lambda: dead_letters(running.runtime).find(bad.message_id))
    assert dead.retries == 0  # permanent: not retried
    assert failed[0]["payload"]["message"] is not None  # the original message is kept
    assert len(pins(fresh_sandbox, channel)) == 1


def test_missing_board_is_a_clear_error(
    fresh_sandbox: SandboxServer, runtime: Runtime, start_worker: Callable[..., RunningWorker]
) -> None:
    # Given a channel without a default board, and a post without board_id
    from pydantic import SecretStr

    from pinterest_agent.agents.ports import ChannelCredentials

    seeded = fresh_sandbox.state.seed_account("boardless")
    runtime.store.credentials.put(ChannelCredentials(
        channel_id="boardless", access_token=SecretStr(seeded.access_token),
        refresh_token=SecretStr(seeded.refresh_token), expires_at=time.time() + 86400 * 30,
    ))
    running = start_worker()
    enqueue_publish(running.broker, runtime.settings, post_payload(
        fresh_sandbox, "nb-1", channel_id="boardless"))
    outcome = wait_for(lambda: outcome_status(runtime, "nb-1", "failed"))
    assert outcome["error"]["code"] == "missing_board"
    assert "board_id" in outcome["error"]["message"]


def test_dead_letter_retry_republishes_after_the_fix(
    fresh_sandbox: SandboxServer, runtime: Runtime, start_worker: Callable[..., RunningWorker],
    channel: Channel,
) -> None:
    # Given a job dead-lettered because its channel was not connected yet
    running = start_worker()
    bad = enqueue_publish(running.broker, runtime.settings, post_payload(
        fresh_sandbox, "later-1", channel_id="later"))
    wait_for(lambda: outcome_status(runtime, "later-1", "failed"))
    dead = wait_for(lambda: dead_letters(runtime).find(bad.message_id))
    # When the operator connects the channel and retries the job
    creds = runtime.store.credentials.get("shop")
    assert creds is not None
    runtime.store.credentials.put(creds.model_copy(update={"channel_id": "later"}))
    dead_letters(runtime).retry(running.broker, dead.dead_id)
    # Then it is published and no longer dead
    wait_for(lambda: outcome_status(runtime, "later-1", "published"))
    assert dead_letters(runtime).find(bad.message_id) is None


def test_scheduled_post_waits_for_its_time(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker]
) -> None:
    from datetime import UTC, datetime, timedelta

    when = datetime.now(UTC) + timedelta(seconds=2)
    running = start_worker()
    enqueue_publish(running.broker, running.runtime.settings, post_payload(
        fresh_sandbox, scheduled_at=when.isoformat()))
    wait_for(lambda: outcome_status(running.runtime, "post-1", "scheduled"))
    assert pins(fresh_sandbox, channel) == []
    wait_for(lambda: outcome_status(running.runtime, "post-1", "published"))
    created = pins(fresh_sandbox, channel)[0].created_at
    assert created >= when.timestamp() - 0.05  # never before its time


def test_no_secret_reaches_the_logs(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    fresh_sandbox.state.expire_access_tokens()  # force a refresh too
    running = start_worker()
    enqueue_publish(running.broker, running.runtime.settings, post_payload(fresh_sandbox))
    wait_for(lambda: outcome_status(running.runtime, "post-1", "published"))
    stored = running.runtime.store.credentials.get("shop")
    assert stored is not None and stored.refresh_token is not None
    secrets = [
        channel.access_token, channel.refresh_token, stored.access_token.get_secret_value(),
        stored.refresh_token.get_secret_value(), fresh_sandbox.state.app_secret,
        running.runtime.settings.secret_key.get_secret_value()  # type: ignore[union-attr]
    ]
    text = "\n".join(r.getMessage() + str(r.args) for r in caplog.records)
    assert caplog.records, "expected some logging"
    for secret in secrets:
        assert secret not in text
    # and tokens are encrypted at rest
    raw = running.runtime.redis_client.hget(f"{running.runtime.settings.key_prefix}:channels",
                                            "shop")
    assert raw is not None and stored.access_token.get_secret_value().encode() not in raw


def test_the_pin_its_outcome_and_its_event_are_recorded_in_one_step(
    fresh_sandbox: SandboxServer, channel: Channel, runtime: Runtime,
) -> None:
    from pinterest_agent.queues.jobs import publish as jobs
    from pinterest_agent.queues.stores.outcomes import OutcomeLog

    # Given a worker that could not write anything after the ledger's record (killed right then)
    def killed(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the worker died after the Pin was recorded")

    with mock.patch.object(OutcomeLog, "record", killed):
        outcome = jobs.run_publish(runtime, post_payload(fresh_sandbox))
    # Then the outcome and the event were recorded with the Pin all the same
    assert outcome["status"] == "published"
    assert runtime.store.outcomes.get("post", "post-1") == outcome
    entry = runtime.store.ledger.get("post-1")
    assert entry is not None and entry.state == "published" and entry.pin_id == outcome["pin_id"]
    events = runtime.store.outcomes.events()
    assert [(e["type"], e["id"]) for e in events] == [("post.published", "post-1")]
