"""Published template versions, labels and rollouts in the real Redis, and the router workers
use at job time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from pinterest_agent.agents.prompting.errors import UnknownVersionError
from pinterest_agent.agents.prompting.rollout import PromptRouter, bucket
from pinterest_agent.agents.prompting.versions import Rollout, Routing
from pinterest_agent.errors import TransientError
from pinterest_agent.prompts.loader import PromptLibrary
from pinterest_agent.queues.stores.prompts import RedisPromptVersions

pytestmark = pytest.mark.redis


def no_redis() -> redis.Redis[bytes]:
    """A client of a port nothing listens on, giving up at once (no retries)."""
    return redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2,
                       retry=Retry(NoBackoff(), 0))
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def template(text: str) -> str:
    return f"{{% block system %}}{text}{{% endblock %}}{{% block user %}}u{{% endblock %}}"


@pytest.fixture()
def store(redis_server: redis.Redis[bytes], prefix: str) -> RedisPromptVersions:
    return RedisPromptVersions(redis.Redis.from_url("redis://127.0.0.1:6379/0"), prefix)


def publish(store: RedisPromptVersions, text: str, **options: object) -> int:
    version, _ = store.publish({"pin_copy": template(text)}, note=text, author="test", now=NOW,
                               **options)  # type: ignore[arg-type]
    return version.version


def test_a_template_set_is_stored_once_by_content_with_a_number(
    store: RedisPromptVersions, redis_server: redis.Redis[bytes], prefix: str
) -> None:
    # Given two sets published, and the first one again
    first, created = store.publish({"pin_copy": template("A"), "design_spec": template("D")},
                                   note="first", author="ana", now=NOW)
    second, _ = store.publish({"pin_copy": template("B"), "design_spec": template("D")},
                              note="second", author="ana", now=NOW)
    again, created_again = store.publish({"design_spec": template("D"),
                                          "pin_copy": template("A")},
                                         note="again", author="bo", now=NOW)
    # Then the numbers follow, the same set is the same version, and the note and time stay
    assert (first.version, second.version, again.version) == (1, 2, 1)
    assert created and not created_again and again.note == "first"
    assert store.sources(1) == {"pin_copy": template("A"), "design_spec": template("D")}
    assert [v.version for v in store.versions()] == [1, 2]
    # And design_spec's source, shared by both, is stored once
    blobs = list(redis_server.scan_iter(match=f"{prefix}:prompts:blob:*"))
    assert len(blobs) == 3
    # And the loader's hash of each template is the stored digest's first 16 digits
    assert first.template_hash("pin_copy") == PromptLibrary(
        sources=store.sources(1)).hash("pin_copy")


def test_labels_move_keep_their_history_and_roll_back(store: RedisPromptVersions) -> None:
    v1, v2 = publish(store, "A"), publish(store, "B")
    assert store.move_label("production", v1) is None
    assert store.move_label("production", v2) == v1
    assert store.move_label("production", v2) == v2  # no move: no history entry
    assert store.label_history("production") == [v1]
    serial = store.routing().serial
    assert store.rollback("production") == (v2, v1)
    assert store.routing().labels == {"production": v1} and store.routing().serial > serial
    # Rolled back past its first version, the label points nowhere: packaged templates again
    assert store.rollback("production") == (v1, None)
    assert store.routing().labels == {}
    with pytest.raises(UnknownVersionError):
        store.rollback("production")


def test_a_label_never_points_at_a_version_that_does_not_exist(
    store: RedisPromptVersions,
) -> None:
    v1 = publish(store, "A", label="production")
    with pytest.raises(UnknownVersionError) as info:
        store.move_label("production", 99)
    assert info.value.code == "unknown_prompt_version"
    assert store.routing().labels == {"production": v1}
    with pytest.raises(UnknownVersionError):
        store.set_rollout(Rollout(template="pin_copy", candidate=99, share=0.5, started_at=NOW))


def test_concurrent_label_moves_lose_no_history(store: RedisPromptVersions) -> None:
    # Given 8 versions, and 8 threads each moving the label to its own version at once
    versions = [publish(store, f"v{n}") for n in range(8)]
    barrier = threading.Barrier(len(versions))
    previous: list[int | None] = []
    lock = threading.Lock()

    def move(number: int) -> None:
        barrier.wait()
        before = store.move_label("production", number)
        with lock:
            previous.append(before)

    threads = [threading.Thread(target=move, args=(v,)) for v in versions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then the moves happened one after another: each saw a different predecessor, the history
    # holds every displaced version once, and it plus the label is every version exactly once
    current = store.routing().labels["production"]
    history = store.label_history("production")
    assert sorted([*history, current]) == versions
    assert sorted(p for p in previous if p is not None) == sorted(history)
    assert previous.count(None) == 1
    assert store.routing().serial == len(versions)


def test_promoting_the_candidate_ends_its_rollout(store: RedisPromptVersions) -> None:
    v1, v2 = publish(store, "A", label="production"), publish(store, "B")
    store.set_rollout(Rollout(template="pin_copy", candidate=v2, share=0.2, started_at=NOW))
    assert set(store.routing().rollouts) == {"pin_copy"}
    store.move_label("staging", v2)  # another label: the rollout stays
    assert set(store.routing().rollouts) == {"pin_copy"}
    store.move_label("production", v2)
    assert store.routing().rollouts == {} and store.routing().labels["production"] == v2
    assert store.end_rollout("pin_copy") is None and v1 == 1


# -- the router -----------------------------------------------------------------------------


def test_workers_use_packaged_templates_until_a_label_points_somewhere(
    store: RedisPromptVersions,
) -> None:
    router = PromptRouter(store)
    choice = router.choose("brief-1")
    assert choice.library is router.fallback
    assert choice.templates["pin_copy"].arm == "packaged"
    assert choice.templates["pin_copy"].hash == PromptLibrary().hash("pin_copy")
    # A label the workers do not follow changes nothing
    publish(store, "staged", label="staging")
    assert router.choose("brief-1").templates["pin_copy"].version is None


def test_the_router_follows_the_label_as_it_moves(store: RedisPromptVersions) -> None:
    # Given a router built once (as a worker process does)
    router = PromptRouter(store)
    v1 = publish(store, "one", label="production")
    assert router.choose("b").library.render("pin_copy", {}).system == "one"
    # When the label moves, the next choice renders the new version: no restart
    v2 = publish(store, "two", label="production")
    choice = router.choose("b")
    assert choice.library.render("pin_copy", {}).system == "two"
    ref = choice.templates["pin_copy"]
    assert (ref.version, ref.label, ref.arm) == (v2, "production", "label")
    # And the other templates stay packaged
    assert choice.templates["design_spec"].arm == "packaged" and v1 == 1


class CountingSource:
    def __init__(self, inner: RedisPromptVersions) -> None:
        self.inner = inner
        self.routing_reads = 0
        self.source_reads = 0
        self.fail = False

    def routing(self) -> Routing:
        self.routing_reads += 1
        if self.fail:
            raise TransientError("Redis went away", code="prompt_routing_unavailable")
        return self.inner.routing()

    def sources(self, number: int) -> dict[str, str]:
        self.source_reads += 1
        return self.inner.sources(number)


def test_one_routing_read_per_job_and_each_version_fetched_once(
    store: RedisPromptVersions,
) -> None:
    source = CountingSource(store)
    router = PromptRouter(source)
    publish(store, "one", label="production")
    for n in range(20):
        router.choose(f"brief-{n}")
    assert source.routing_reads == 20 and source.source_reads == 1
    # When Redis fails, the last routing read is used; a router that never read one fails
    # transiently (the job is retried)
    source.fail = True
    assert router.choose("brief-x").templates["pin_copy"].version == 1
    with pytest.raises(TransientError):
        PromptRouter(source).choose("brief-x")


def test_the_redis_store_reports_an_unreachable_redis_as_transient(prefix: str) -> None:
    down = RedisPromptVersions(no_redis(), prefix)
    with pytest.raises(TransientError) as info:
        down.routing()
    assert info.value.code == "prompt_routing_unavailable"


class Snapshot:
    """The store's routing read once (the statistics below make 20,000 choices)."""

    def __init__(self, store: RedisPromptVersions) -> None:
        self._routing = store.routing()
        self.sources = store.sources

    def routing(self) -> Routing:
        return self._routing


def test_a_rollout_routes_a_stable_share_of_briefs(store: RedisPromptVersions) -> None:
    # Given production at v1 and pin_copy v2 rolled out to 20 % of briefs
    v1 = publish(store, "base", label="production")
    v2 = publish(store, "candidate")
    store.set_rollout(Rollout(template="pin_copy", candidate=v2, share=0.2, started_at=NOW))
    router = PromptRouter(Snapshot(store))  # the routing as read once, for 20,000 choices
    ids = [f"brief-{n}" for n in range(10_000)]
    # When 10,000 briefs are routed
    picked = {i: router.choose(i).templates["pin_copy"] for i in ids}
    on_candidate = {i for i, ref in picked.items() if ref.version == v2}
    # Then close to 20 % get the candidate (4 standard deviations: 18.4 % to 21.6 %)
    assert 1_840 <= len(on_candidate) <= 2_160
    assert all(picked[i].arm == "candidate" for i in on_candidate)
    assert all(picked[i].version == v1 for i in set(ids) - on_candidate)
    # And each brief gets the same version every time, from any worker
    other_worker = PromptRouter(store)
    assert all((other_worker.choose(i).templates["pin_copy"].version == v2) == (i in on_candidate)
               for i in ids[:500])
    # And raising the share keeps every brief already on the candidate there
    store.set_rollout(Rollout(template="pin_copy", candidate=v2, share=0.5, started_at=NOW))
    router = PromptRouter(Snapshot(store))
    wider = {i for i in ids if router.choose(i).templates["pin_copy"].version == v2}
    assert on_candidate <= wider and 4_800 <= len(wider) <= 5_200
    # And the design template is untouched by a pin_copy rollout
    assert router.choose(ids[0]).templates["design_spec"].arm == "packaged"


def test_buckets_are_uniform_and_independent_per_template() -> None:
    ids = [f"b{n}" for n in range(20_000)]
    copy = [bucket("pin_copy", i) for i in ids]
    assert all(0.0 <= b < 1.0 for b in copy)
    assert sum(b < 0.2 for b in copy) == pytest.approx(4_000, abs=250)
    both = sum(bucket("pin_copy", i) < 0.5 and bucket("design_spec", i) < 0.5 for i in ids)
    assert both == pytest.approx(5_000, abs=300)
