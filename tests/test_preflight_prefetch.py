"""A publish message's link is preflighted when the worker fetches the message, the job uses that
verdict, and passed links are shared by the fleet in Redis. Real Redis (and RabbitMQ where
marked), the broker's real consumers, real worker threads, the sandbox's HTTPS pages as the
merchant's site.

Whether the pool or the job asks the site first depends on the threads; what every interleaving
must keep is what these tests check: one request per link that passes, never two; a failure is
never reused; an odd message is left to its job.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import dramatiq
import pytest
import redis

from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.broker.brokers import scaled_prefetch
from pinterest_agent.queues.jobs import publish
from pinterest_agent.queues.jobs.actors import PUBLISH_ACTOR, build_broker, declare_actors
from pinterest_agent.queues.jobs.preflight_ahead import (
    MAX_POST_STRING_CHARS,
    post_link,
    prefetch_hook,
)
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.stores.verdicts import RedisVerdicts
from tests.conftest import REDIS_URL, Channel, RunningWorker, both_brokers
from tests.helpers import enqueue_publish, outcome_status, post_payload, wait_for

pytestmark = pytest.mark.redis


def site_requests(sandbox: SandboxServer, page: str) -> int:
    """Requests the merchant's page got (the preflight's HEAD, and a GET when it falls back)."""
    path = f"/_sandbox/pages/{page}"
    return sandbox.state.request_count("HEAD", path) + sandbox.state.request_count("GET", path)


def link_to(sandbox: SandboxServer, page: str) -> str:
    return f"{sandbox.https_base_url}/_sandbox/pages/{page}"


@contextmanager
def consumer_of(runtime: Runtime) -> Iterator[tuple[Any, Any]]:
    """The worker's broker with the actors declared, and a consumer of the publisher queue."""
    broker = build_broker(runtime.settings, runtime.redis_client)
    declare_actors(broker, runtime)
    consumer = broker.consume(runtime.settings.queue_publisher, prefetch=8, timeout=100)
    try:
        yield broker, consumer
    finally:
        consumer.close()
        if runtime.settings.broker_url is not None:
            broker.close()


def send(broker: Any, runtime: Runtime, arg: object, actor: str = PUBLISH_ACTOR) -> None:
    broker.enqueue(dramatiq.Message(queue_name=runtime.settings.queue_publisher,
                                    actor_name=actor, args=(arg,), kwargs={}, options={}))


@both_brokers
def test_a_fetched_posts_link_is_preflighted_before_its_job_runs_and_not_asked_again(
    fresh_sandbox: SandboxServer, channel: Channel, runtime: Runtime,
) -> None:
    link = link_to(fresh_sandbox, "ahead-1")
    with consumer_of(runtime) as (broker, consumer):
        # Given a post on the publisher queue
        enqueue_publish(broker, runtime.settings, post_payload(fresh_sandbox, link=link))
        # When the worker's consumer fetches it (no job has run)
        message = wait_for(lambda: next(consumer))
        # Then its link is preflighted by the pool
        wait_for(lambda: runtime.checks.reachable_passed(link))
        assert site_requests(fresh_sandbox, "ahead-1") == 1
        # And its job publishes without asking the page again
        publish.run_publish(runtime, message.args[0])
    assert outcome_status(runtime, "post-1", "published")
    assert site_requests(fresh_sandbox, "ahead-1") == 1


@both_brokers
def test_with_worker_threads_each_link_that_passes_is_requested_once(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
) -> None:
    running = start_worker(threads=2)
    posts = [f"post-{n}" for n in range(8)]
    # Given eight posts, each linking to its own page
    for post_id in posts:
        enqueue_publish(running.broker, running.runtime.settings,
                        post_payload(fresh_sandbox, post_id, link=link_to(fresh_sandbox, post_id)))
    # Then every one is published, and every page was requested exactly once (by the pool or,
    # when its job came first, by the job: never by both)
    for post_id in posts:
        wait_for(lambda post_id=post_id: outcome_status(running.runtime, post_id, "published"))
    assert {post_id: site_requests(fresh_sandbox, post_id) for post_id in posts} == \
        dict.fromkeys(posts, 1)


def test_a_failing_link_is_not_remembered_and_the_job_fails_as_before(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
) -> None:
    link = link_to(fresh_sandbox, "gone")
    fault = fresh_sandbox.state.faults.add("*", r"/_sandbox/pages/gone", status=404)
    running = start_worker()
    # Given a post whose page answers 404 (to the early preflight and to the job's)
    enqueue_publish(running.broker, running.runtime.settings,
                    post_payload(fresh_sandbox, "post-1", link=link))
    # Then it fails at once with destination_unreachable, as it always did
    outcome = wait_for(lambda: outcome_status(running.runtime, "post-1", "failed"))
    assert outcome["error"]["code"] == "destination_unreachable"
    assert site_requests(fresh_sandbox, "gone") >= 1
    # And nothing was remembered, here or in Redis
    assert not running.runtime.checks.reachable_passed(link)
    assert running.runtime.redis_client.exists(
        RedisVerdicts(running.runtime.redis_client, running.runtime.settings.key_prefix)
        .key(link)) == 0
    # When the page is back, the next post to it publishes
    fresh_sandbox.state.faults.remove(fault.id)
    enqueue_publish(running.broker, running.runtime.settings,
                    post_payload(fresh_sandbox, "post-2", link=link))
    wait_for(lambda: outcome_status(running.runtime, "post-2", "published"))


def test_another_worker_process_reuses_the_fleets_verdict_for_what_is_left_of_it(
    fresh_sandbox: SandboxServer, channel: Channel, runtime: Runtime,
) -> None:
    link = link_to(fresh_sandbox, "shared")
    # Given one worker process preflighted a link
    runtime.checks.check_reachable(link)
    assert site_requests(fresh_sandbox, "shared") == 1
    # Then Redis holds the verdict, under a hash of the link, for at most preflight_cache_s
    verdicts = RedisVerdicts(runtime.redis_client, runtime.settings.key_prefix)
    key = verdicts.key(link)
    assert link not in key and key.startswith(f"{runtime.settings.key_prefix}:preflight:")
    assert 0 < runtime.redis_client.pttl(key) <= runtime.settings.preflight_cache_s * 1000
    # When another process (its own runtime, its own cache) publishes a post to that link
    other = Runtime.build(runtime.settings, redis_client=redis.Redis.from_url(REDIS_URL))
    try:
        assert not other.checks.reachable_passed(link)
        publish.run_publish(other, post_payload(fresh_sandbox, link=link))
    finally:
        other.close()
    # Then it published without asking the page again
    assert outcome_status(runtime, "post-1", "published")
    assert site_requests(fresh_sandbox, "shared") == 1


def test_an_unreachable_redis_only_costs_the_shared_verdicts() -> None:
    verdicts = RedisVerdicts(redis.Redis(port=1, socket_connect_timeout=0.5), "nowhere")
    assert verdicts.passed_for("https://shop.example/") is None
    verdicts.remember("https://shop.example/", 300)  # no error: the preflight stays the gate


def _huge_post(sandbox: SandboxServer) -> str:
    post = post_payload(sandbox, link=link_to(sandbox, "huge"))
    post["description"] = "x" * (MAX_POST_STRING_CHARS + 1)
    return json.dumps(post)


ODD_ARGS: dict[str, Callable[[SandboxServer], object]] = {
    "not JSON": lambda _: '{"link": "https://',
    "a JSON list": lambda _: "[1, 2]",
    "a number": lambda _: 42,
    "no link": lambda _: {"post_id": "x"},
    "a link that is not text": lambda _: {"link": ["https://a.example/"]},
    "a link too long": lambda _: {"link": "https://a.example/" + "a" * 3000},
    "deeply nested text": lambda _: "[" * 50_000,
    "a huge post as text": _huge_post,
    "due tomorrow": lambda s: post_payload(s, link=link_to(s, "later"), scheduled_at=(
        datetime.now(UTC) + timedelta(days=1)).isoformat()),
    "a time without offset": lambda s: post_payload(s, link=link_to(s, "naive"),
                                                    scheduled_at="2020-01-01T00:00:00"),
}


@both_brokers
def test_odd_messages_start_no_preflight_and_a_failing_hook_never_stops_the_consumer(
    fresh_sandbox: SandboxServer, runtime: Runtime,
) -> None:
    good = link_to(fresh_sandbox, "good")
    with consumer_of(runtime) as (broker, consumer):
        submitted: list[str] = []
        hook = prefetch_hook(submitted.append, queue_name=runtime.settings.queue_publisher,
                             actor_name=PUBLISH_ACTOR)
        broker.on_accepted = hook
        # Given messages the envelope check accepts but whose post is odd, an update message,
        # then a good post
        for make in ODD_ARGS.values():
            send(broker, runtime, make(fresh_sandbox))
        send(broker, runtime, {"update_id": "u-1", "link": good}, actor="update_pin")
        send(broker, runtime, post_payload(fresh_sandbox, link=good))
        # When the consumer fetches them all
        fetched = [wait_for(lambda: next(consumer)) for _ in range(len(ODD_ARGS) + 2)]
        # Then only the good post's link was handed on
        assert submitted == [good]
        for message in fetched:  # done with: room in the prefetch for the next one
            consumer.ack(message)

        # And a hook that raises is logged; the consumer goes on
        def broken(queue: str, envelope: Any) -> None:
            raise RuntimeError("a bug in the hook")

        broker.on_accepted = broken
        send(broker, runtime, post_payload(fresh_sandbox, "post-2", link=good))
        message = wait_for(lambda: next(consumer))
        assert message.args[0]["post_id"] == "post-2"


@pytest.mark.parametrize("name", ODD_ARGS)
def test_post_link_ignores_what_the_job_would_refuse(name: str,
                                                     sandbox: SandboxServer) -> None:
    envelope = {"actor_name": PUBLISH_ACTOR, "args": [ODD_ARGS[name](sandbox)]}
    assert post_link(envelope, PUBLISH_ACTOR, now_s=datetime.now(UTC).timestamp()) is None


def test_post_link_reads_an_object_or_a_json_string_and_only_due_posts() -> None:
    post = {"link": "https://shop.example/p", "scheduled_at": "2020-01-01T00:00:00Z"}
    now_s = datetime(2021, 1, 1, tzinfo=UTC).timestamp()
    for arg in (post, json.dumps(post)):
        assert post_link({"actor_name": "a", "args": [arg]}, "a", now_s=now_s) == post["link"]
    assert post_link({"actor_name": "b", "args": [post]}, "a", now_s=now_s) is None
    assert post_link({"actor_name": "a", "args": [post, post]}, "a", now_s=now_s) is None
    assert post_link({"actor_name": "a", "args": [post]}, "a",
                     now_s=datetime(2019, 1, 1, tzinfo=UTC).timestamp()) is None


def test_the_hook_ignores_the_delay_queue() -> None:
    submitted: list[str] = []
    hook = prefetch_hook(submitted.append, queue_name="publisher", actor_name="a")
    envelope = {"actor_name": "a", "args": [{"link": "https://shop.example/p"}]}
    hook("publisher.DQ", envelope)
    assert submitted == []
    hook("publisher", envelope)
    assert submitted == ["https://shop.example/p"]


def test_the_publisher_queue_prefetches_deeper_and_only_it() -> None:
    scale = {"publisher": 1.5}
    assert scaled_prefetch(scale, "publisher", 16) == 24
    assert scaled_prefetch(scale, "publisher.DQ", 16) == 16
    assert scaled_prefetch(scale, "writer", 16) == 16
    assert scaled_prefetch({"publisher": 8.0}, "publisher", 60_000) == 65_535
