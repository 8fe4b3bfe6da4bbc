"""429s are waits, not failures: they never use up the retries a real failure gets, the budget is
time (an hour by default), and without a hint the waits back off with jitter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dramatiq
import pytest

from providers.errors import RateLimitedError, TransientError
from providers.sandbox.server import SandboxServer
from queues.retrying import (
    DEFAULT_RATE_LIMIT_BUDGET_S,
    RateLimitWait,
    WaitCounter,
    as_retry,
    rate_limit_backoff_ms,
    retry_policy,
)
from tests.conftest import Channel, RunningWorker
from tests.helpers import enqueue_publish, outcome_status, post_payload, wait_for


@pytest.mark.redis
def test_more_429s_than_retries_still_publish(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
) -> None:
    # Given Pinterest rate limits the create 12 times in a row (the test worker allows 5 failures)
    fresh_sandbox.state.faults.add(
        "POST", "/v5/pins", status=429, body={"code": 8, "message": "Rate limit exceeded."},
        headers={"Retry-After": "0.05"}, times=12,
    )
    running = start_worker()
    assert running.runtime.settings.max_retries < 12
    enqueue_publish(running.broker, running.runtime.settings, post_payload(fresh_sandbox))
    # Then the post is published, as a wait: no post.retrying, no failure counted
    wait_for(lambda: outcome_status(running.runtime, "post-1", "published"))
    assert fresh_sandbox.state.request_count("POST", "/v5/pins") == 13
    types = [e["type"] for e in running.runtime.store.outcomes.events()]
    assert "post.retrying" not in types and "post.failed" not in types


def _message(**options: Any) -> dramatiq.Message:
    return dramatiq.Message(queue_name="q", actor_name="a", args=(), kwargs={}, options=options)


def test_the_budget_is_time_not_tries() -> None:
    retry_when = retry_policy(8, video_poll_budget=10)
    counter = WaitCounter()
    # A message rate limited 50 times within the hour is still retried
    wait = as_retry(RateLimitedError("slow down"))
    assert isinstance(wait, RateLimitWait)
    message = _message(rate_limit_waits=50, retries=0)
    counter.after_process_message(None, message, exception=wait)
    assert retry_when(0, wait) is True
    # One rate limited for longer than the budget is not
    late = as_retry(RateLimitedError("slow down"))
    old = _message(rate_limited_since=1, retries=0)
    counter.after_process_message(None, old, exception=late)
    assert late.waited_ms is not None and late.waited_ms > DEFAULT_RATE_LIMIT_BUDGET_S * 1000
    assert retry_when(0, late) is False
    # And 429s leave the failure count alone
    assert message.options["retries"] == -1  # Retries adds the one back
    # Real failures still count tries
    assert retry_when(7, TransientError("x")) is True
    assert retry_when(8, TransientError("x")) is False


def test_waits_without_a_hint_back_off_with_jitter() -> None:
    delays = [rate_limit_backoff_ms(n) for n in range(6)]
    assert delays[0] < 15_001 and delays[5] >= 5_000
    spread = {rate_limit_backoff_ms(3) for _ in range(20)}
    assert len(spread) > 10  # not in lockstep
    hinted = as_retry(RateLimitedError("x", retry_after_s=2.0))
    assert isinstance(hinted, RateLimitWait) and 2_000 <= hinted.delay <= 2_500
