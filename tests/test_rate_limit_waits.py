"""429s are waits, not failures: they never use up the retries a real failure gets, the budget is
time (an hour by default), and without a hint the waits back off with jitter."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import dramatiq
import pytest
import redis

from pinterest_agent.errors import RateLimitedError, TransientError
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.broker.retrying import (
    DEFAULT_RATE_LIMIT_BUDGET_S,
    STORE_WAIT_BUDGET,
    RateLimitWait,
    StoreUnreachable,
    WaitCounter,
    as_retry,
    failure_cause,
    rate_limit_backoff_ms,
    retry_policy,
)
from pinterest_agent.queues.jobs import publish as jobs
from tests.conftest import Channel, RunningWorker
from tests.helpers import dead_letters, enqueue_publish, outcome_status, post_payload, wait_for


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


def _decide(wait: BaseException, message: dramatiq.Message,
            budget_s: float = DEFAULT_RATE_LIMIT_BUDGET_S) -> bool:
    WaitCounter().after_process_message(None, message, exception=wait)
    return retry_policy(8, video_poll_budget=10, rate_limit_budget_s=budget_s)(0, wait)


@pytest.mark.parametrize("hint_s", [999_999_999.0, 2 * 3600.0, DEFAULT_RATE_LIMIT_BUDGET_S + 1])
def test_a_hint_past_the_budget_fails_now(hint_s: float) -> None:
    # Given Pinterest asks for a wait that ends after the rate-limit budget
    cause = RateLimitedError("Pinterest answered 429", retry_after_s=hint_s)
    try:
        raise as_retry(cause) from cause
    except RateLimitWait as caught:
        wait = caught
    # Then it is not scheduled at all: the post fails rate_limited now, saying why
    assert _decide(wait, _message(retries=0)) is False
    final = failure_cause(wait)
    assert isinstance(final, RateLimitedError) and final.code == "rate_limited"
    assert "past the end of the rate-limit budget" in final.message


def test_a_hint_that_ends_after_the_budget_s_end_fails_now() -> None:
    # Given a post already rate limited for 50 minutes, asked to wait 20 more
    wait = as_retry(RateLimitedError("slow down", retry_after_s=20 * 60.0))
    assert isinstance(wait, RateLimitWait)
    since = int(time.time() * 1000) - 50 * 60_000
    # Then it fails now rather than waking after the budget
    assert _decide(wait, _message(rate_limited_since=since, retries=0)) is False


def test_no_wait_is_scheduled_past_the_budget_s_end() -> None:
    # Given a post rate limited for 59 minutes and 50 s, with a hint of 9 s (plus jitter) or a
    # backoff without a hint (5 min, jittered)
    since = int(time.time() * 1000) - (3600 - 10) * 1000
    hinted = as_retry(RateLimitedError("slow down", retry_after_s=9.0))
    plain = as_retry(RateLimitedError("slow down"))
    for wait in (hinted, plain):
        assert isinstance(wait, RateLimitWait)
        # Then each is retried, but no later than the budget's end
        assert _decide(wait, _message(rate_limited_since=since, rate_limit_waits=8,
                                      retries=0)) is True
        assert wait.delay <= 10_000


@pytest.mark.parametrize("hint_s", [math.nan, math.inf, -math.inf, -3.0])
def test_a_hint_that_is_not_a_number_is_no_hint(hint_s: float) -> None:
    # Given a rate limit built by hand with a nonsensical hint
    wait = as_retry(RateLimitedError("slow down", retry_after_s=hint_s))
    # Then it is an ordinary backoff, not a crash ("cannot convert float NaN to integer")
    assert isinstance(wait, RateLimitWait) and not wait.hinted
    assert _decide(wait, _message(retries=0)) is True
    assert 0 < wait.delay <= 15_000


def test_a_transient_hint_never_asks_for_more_than_an_hour() -> None:
    retry = as_retry(TransientError("answered 503", retry_after_s=10.0**9))
    assert isinstance(retry, dramatiq.Retry) and retry.delay <= 3600 * 1000


@pytest.mark.redis
def test_a_retry_after_of_37_years_fails_the_post_at_once(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
) -> None:
    # Given Pinterest rate limits the create with Retry-After: 999999999 (about 31 years)
    fresh_sandbox.state.faults.add(
        "POST", "/v5/pins", status=429, body={"code": 8, "message": "Rate limit exceeded."},
        headers={"Retry-After": "999999999"}, times=5,
    )
    running = start_worker()
    message = enqueue_publish(running.broker, running.runtime.settings,
                              post_payload(fresh_sandbox))
    # Then the post fails rate_limited now (with an outcome), dead-lettered, and is no longer
    # due for reconciling (not left leased until 2063)
    failed = wait_for(lambda: outcome_status(running.runtime, "post-1", "failed"))
    assert failed["error"]["code"] == "rate_limited"
    assert "past the end of the rate-limit budget" in failed["error"]["message"]
    dead = wait_for(lambda: dead_letters(running.runtime).find(message.message_id))
    assert dead.reason_code == "rate_limited"
    ledger = running.runtime.store.ledger
    assert ledger.overdue() == [] and running.runtime.redis_client.zscore(
        ledger.open_key, "post-1") is None
    assert fresh_sandbox.state.request_count("POST", "/v5/pins") == 1


@pytest.mark.parametrize("outage", [
    redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
    redis.TimeoutError("Timeout reading from socket"),
])
def test_an_unreachable_store_is_a_wait_not_a_failure(outage: Exception) -> None:
    # Given a job that failed because Redis did not answer (directly, or behind another error)
    wrapped = RuntimeError("could not record")
    wrapped.__cause__ = outage
    for exc in (outage, wrapped):
        wait = as_retry(exc)
        # Then it is an expected wait, with a budget of its own, leaving the failures alone
        assert isinstance(wait, StoreUnreachable) and 0 < wait.delay <= 7_500
        message = _message(retries=3)
        assert _decide(wait, message) is True
        assert message.options["retries"] == 2  # Retries adds one back: still 3 failures
        assert message.options["store_waits"] == 1
    exhausted = as_retry(outage)
    assert _decide(exhausted, _message(store_waits=STORE_WAIT_BUDGET)) is False


@pytest.mark.redis
def test_a_post_caught_in_a_redis_outage_waits_without_post_retrying(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the store stops answering during the post's first attempt (a fault injected there)
    real = jobs.run_publish
    calls: list[int] = []

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379.")
        return real(*args, **kwargs)

    monkeypatch.setattr(jobs, "run_publish", flaky)
    monkeypatch.setattr("pinterest_agent.queues.broker.retrying.STORE_WAIT_DELAY_MS", 20)
    running = start_worker()
    enqueue_publish(running.broker, running.runtime.settings, post_payload(fresh_sandbox))
    # Then the post is published after the outage, which was a wait: no post.retrying
    wait_for(lambda: outcome_status(running.runtime, "post-1", "published"))
    types = [e["type"] for e in running.runtime.store.outcomes.events()]
    assert "post.retrying" not in types and len(calls) == 2
