"""The worker's Prometheus counters tell the same story as the event stream: a small chaos batch
(posts published, one retried through a 503 storm, typed failures, a dead letter) through real
worker threads on real Redis, then the registry is read and compared with the stream, exactly."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from pinterest_agent.providers.sandbox.server import SandboxServer
from tests.conftest import Channel, RunningWorker
from tests.helpers import dead_letters, enqueue_publish, outcome_status, post_payload, wait_for

ROOT = Path(__file__).resolve().parent.parent

Key = tuple[str, str]


def counted_events() -> Counter[Key]:
    """``pinterest_agent_events_total`` as the registry holds it now, by (event, code)."""
    found: Counter[Key] = Counter()
    for family in REGISTRY.collect():
        if family.name == "pinterest_agent_events":
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    found[(sample.labels["event"], sample.labels["code"])] = int(sample.value)
    return found


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.redis
def test_counters_equal_the_event_stream_after_a_chaos_batch(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker]
) -> None:
    # Given the counters as they stand (the registry is the process's) and a flaky Pinterest
    before = counted_events()
    pins_before = sample("pinterest_agent_pins_created_total")
    dead_before = sample("pinterest_agent_dead_letters_total", actor="publish_post")
    fresh_sandbox.state.faults.add(
        "POST", "/v5/pins", status=503, body={"code": 0, "message": "unavailable"}, times=2
    )
    fresh_sandbox.state.faults.add(
        "POST", "/v5/pins", status=429, body={"code": 8, "message": "Rate limit exceeded."},
        headers={"Retry-After": "0.2"}, times=1,
    )
    calls_before = {status: sample("pinterest_agent_pinterest_calls_total",
                                   operation="POST /v5/pins", status=status)
                    for status in ("200", "201", "404", "429", "503")}
    waits_before = sample("pinterest_agent_waits_total", kind="rate_limit_waits")
    waited_before = sample("pinterest_agent_wait_seconds_total", kind="rate_limit_waits")
    running = start_worker()
    settings = running.runtime.settings
    # When good posts, a malformed message and a post to a missing board go through the worker
    for n in range(1, 5):
        enqueue_publish(running.broker, settings, post_payload(
            fresh_sandbox, f"good-{n}", title=f"Linen summer dress, colour {n} of four"))
    bad = enqueue_publish(running.broker, settings, '{"schema_version": 1, "post_id": "bad-1", ')
    enqueue_publish(running.broker, settings,
                    post_payload(fresh_sandbox, "lost-1", board_id="999999999"))
    for n in range(1, 5):
        wait_for(lambda n=n: outcome_status(running.runtime, f"good-{n}", "published"))
    wait_for(lambda: outcome_status(running.runtime, "lost-1", "failed"))
    wait_for(lambda: dead_letters(running.runtime).find(bad.message_id))
    running.join()
    # Then every event in the stream was counted once, under its type and error code
    stream: Counter[Key] = Counter()
    for event in running.runtime.store.outcomes.events(count=10_000):
        error = event["payload"].get("error")
        stream[(event["type"], error["code"] if isinstance(error, dict) else "")] += 1
    counted = counted_events() - before
    assert counted == stream
    # And the chaos happened: retries, typed failures and publishes are all in it
    assert stream[("post.published", "")] == 4
    assert sum(v for (kind, _), v in stream.items() if kind == "post.retrying") == 2
    assert stream[("post.failed", "board_not_found")] == 1
    assert stream[("post.failed", "invalid_message")] == 1
    # And Pins created and dead letters match what Pinterest and the dead-letter queue hold
    assert sample("pinterest_agent_pins_created_total") - pins_before == len(
        fresh_sandbox.state.pins_on_board(channel.board_id)) == 4
    # And every Pin create Pinterest saw was counted under its status; the 429 was one wait
    calls = {status: sample("pinterest_agent_pinterest_calls_total", operation="POST /v5/pins",
                            status=status) - calls_before[status] for status in calls_before}
    assert sum(calls.values()) == fresh_sandbox.state.request_count("POST", "/v5/pins")
    assert (calls["429"], calls["503"], calls["404"]) == (1, 2, 1)
    assert sample("pinterest_agent_waits_total", kind="rate_limit_waits") - waits_before == 1
    assert sample("pinterest_agent_wait_seconds_total", kind="rate_limit_waits") - \
        waited_before >= 0.2
    assert sample("pinterest_agent_dead_letters_total", actor="publish_post") - dead_before == len(
        dead_letters(running.runtime).list()) == 2


def test_the_dashboard_charts_only_metrics_the_worker_exports() -> None:
    # Given the shipped Grafana dashboard and the worker's registry (Dramatiq's names aside)
    dashboard = json.loads((ROOT / "docs" / "grafana" / "pinterest-agent.json").read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    ours = {name for family in REGISTRY.collect() if family.name.startswith("pinterest_agent_")
            for name in {s.name for s in family.samples} | {family.name, f"{family.name}_total"}
            | ({f"{family.name}_{part}" for part in ("bucket", "count", "sum")}
               if family.type == "histogram" else set())}  # (labelled: no sample until used)
    # Then every pinterest_agent_* series a panel queries is one the worker exports
    used = {name for expr in exprs for name in re.findall(r"pinterest_agent_[a-z_]+", expr)}
    assert used and used <= ours, used - ours
