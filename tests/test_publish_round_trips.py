"""The publisher's Redis round trips, on real Redis and the local sandbox.

A new post is leased, takes its write slot and is marked ``creating`` in one round trip (its copy,
``P:draft:{post_id}``, riding along), and its Pin, outcome, event, lease and slot are recorded in
one more: two scripts, two round trips per publish. What is
prepared before the lease (credentials, board, body, link preflight) never changes an answer the
ledger already holds: a post published before stays published whatever its link does now.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import redis

from pinterest_agent.agents.ports import LeaseLostError, LedgerEntry, SlotHandle
from pinterest_agent.agents.publisher import ChannelBusyError
from pinterest_agent.providers.netsafe import DestinationUnreachableError
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.jobs.publish import run_publish
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.stores.ledger import RedisPublishLedger
from tests.conftest import Channel
from tests.helpers import post_payload

pytestmark = pytest.mark.redis


class RoundTrips:
    """The round trips one Redis client makes: each single command, and each pipeline (the
    commands it carried)."""

    def __init__(self, client: redis.Redis[bytes], monkeypatch: pytest.MonkeyPatch) -> None:
        self.trips: list[list[str]] = []
        command = client.execute_command
        pipeline = client.pipeline

        def counted(*args: Any, **options: Any) -> Any:
            self.trips.append([str(args[0])])
            return command(*args, **options)

        def counted_pipeline(*args: Any, **options: Any) -> Any:
            pipe = pipeline(*args, **options)
            execute = pipe.execute

            def counted_execute(*e_args: Any, **e_options: Any) -> Any:
                self.trips.append([str(args_[0]) for args_, _ in pipe.command_stack])
                return execute(*e_args, **e_options)

            monkeypatch.setattr(pipe, "execute", counted_execute)
            return pipe

        monkeypatch.setattr(client, "execute_command", counted)
        monkeypatch.setattr(client, "pipeline", counted_pipeline)

    @property
    def scripts(self) -> int:
        return sum(trip.count("EVALSHA") for trip in self.trips)


def test_a_new_post_is_published_in_two_round_trips(
    runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a connected channel whose credentials and link check are already warm
    run_publish(runtime, post_payload(fresh_sandbox, "warm-up"))
    trips = RoundTrips(runtime.redis_client, monkeypatch)
    # When a new post is published
    outcome = run_publish(runtime, post_payload(fresh_sandbox, "post-1"))
    # Then two scripts ran: lease + slot + "creating" (the post's copy riding along), then
    # Pin + outcome + event + releases; two round trips in all
    assert outcome["status"] == "published"
    assert trips.scripts == 2
    assert trips.trips == [["SET", "EVALSHA"], ["EVALSHA"]]
    assert runtime.store.documents.get("draft", "post-1") is not None
    ledger = runtime.store.ledger
    entry = ledger.get("post-1")
    assert entry is not None and entry.state == "published" and entry.pin_id == outcome["pin_id"]
    assert ledger.lease_holder("post-1") is None
    assert runtime.write_slots.holders("shop") == 0
    assert [e["type"] for e in runtime.store.outcomes.events() if e["id"] == "post-1"] == [
        "post.published"]


def _creating(post_id: str, attempt: str) -> LedgerEntry:
    return LedgerEntry(post_id=post_id, state="creating", board_id="123",
                       started_at=time.time(), attempt=attempt)


def _slot(runtime: Runtime, holder: str) -> SlotHandle:
    slots = runtime.write_slots
    return SlotHandle(slots.key("shop"), holder, limit=slots.limit, ttl_ms=6000,
                      wake_key=slots.wake_key("shop"))


def test_claim_for_create_takes_lease_slot_and_creating_together(runtime: Runtime) -> None:
    ledger = runtime.store.ledger
    claim = ledger.claim_for_create(_creating("p1", "a1"), slot=_slot(runtime, "h1"),
                                    message='{"post_id": "p1"}')
    assert (claim.acquired, claim.may_create, claim.marked) == (True, True, True)
    entry = ledger.get("p1")
    assert entry is not None and (entry.state, entry.attempt) == ("creating", "a1")
    assert ledger.lease_holder("p1") == "a1"
    assert runtime.write_slots.holders("shop") == 1
    assert ledger.message("p1") == '{"post_id": "p1"}'  # kept for the reconciler


def test_claim_for_create_with_every_slot_taken_leaves_the_post_leased(
    runtime: Runtime,
) -> None:
    ledger = runtime.store.ledger
    for n in range(runtime.write_slots.limit):  # other creates hold every slot
        assert ledger.claim_for_create(_creating(f"busy{n}", f"b{n}"),
                                       slot=_slot(runtime, f"busy{n}")).marked
    claim = ledger.claim_for_create(_creating("p1", "a1"), slot=_slot(runtime, "h1"))
    # not "creating" while it waits: nothing can have been sent, so a retry needs no settling
    assert (claim.acquired, claim.may_create, claim.marked) == (True, True, False)
    entry = ledger.get("p1")
    assert entry is not None and entry.state == "leased"
    assert runtime.redis_client.zscore(runtime.write_slots.key("shop"), "h1") is None
    # and once a slot frees, a take confirms the lease and the mark together
    assert not ledger.mark_creating(_creating("p1", "a1"), slot=_slot(runtime, "h1"))
    runtime.redis_client.zrem(runtime.write_slots.key("shop"), "busy0")
    assert ledger.mark_creating(_creating("p1", "a1"), slot=_slot(runtime, "h1"))


def test_claim_for_create_without_a_slot_only_leases(runtime: Runtime) -> None:
    ledger = runtime.store.ledger
    claim = ledger.claim_for_create(_creating("p1", "a1"), slot=None)
    assert (claim.acquired, claim.may_create, claim.marked) == (True, True, False)
    entry = ledger.get("p1")
    assert entry is not None and entry.state == "leased"
    assert runtime.write_slots.holders("shop") == 0


def test_claim_for_create_leaves_settled_and_unsettled_posts_alone(runtime: Runtime) -> None:
    ledger: RedisPublishLedger = runtime.store.ledger
    # A published post: leased (to answer "already published"), never marked again
    assert ledger.claim_for_create(_creating("done", "a0"), slot=_slot(runtime, "h0")).marked
    ledger.mark_published("done", "999", "123", release="a0", slot=_slot(runtime, "h0"))
    claim = ledger.claim_for_create(_creating("done", "a1"), slot=_slot(runtime, "h1"))
    assert (claim.acquired, claim.may_create, claim.marked) == (True, False, False)
    assert claim.entry is not None and claim.entry.pin_id == "999"
    # A post an earlier attempt may have created: reconcile first, no slot taken
    assert ledger.claim_for_create(_creating("unsure", "a2"), slot=_slot(runtime, "h2")).marked
    ledger.release_lease("unsure", "a2")
    claim = ledger.claim_for_create(_creating("unsure", "a3"), slot=_slot(runtime, "h3"))
    assert (claim.acquired, claim.may_create, claim.marked) == (True, False, False)
    assert claim.entry is not None and claim.entry.state == "creating"
    assert claim.entry.attempt == "a2"
    # settled a whole settle window after a2's mark (the store's clock)
    settle_s = ledger.settle_ms / 1000
    assert settle_s - 5 < claim.entry.settle_in_s <= settle_s
    # A post another attempt holds: nothing changes
    claim = ledger.claim_for_create(_creating("unsure", "a4"), slot=_slot(runtime, "h4"))
    assert (claim.acquired, claim.may_create) == (False, False)
    assert ledger.lease_holder("unsure") == "a3"
    assert runtime.redis_client.zscore(runtime.write_slots.key("shop"), "h3") is None


def test_a_published_post_stays_published_when_its_link_now_fails(
    runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer
) -> None:
    # Given a post that was published
    link = f"{fresh_sandbox.https_base_url}/_sandbox/pages/sale"
    payload = post_payload(fresh_sandbox, link=link)
    first = run_publish(runtime, payload)
    assert first["status"] == "published"
    # When its page is gone and the post is delivered again (the link check is not remembered)
    fresh_sandbox.state.faults.add("*", r"/_sandbox/pages/sale", status=404)
    runtime.publishers["pinterest"]._preflight = runtime.fetcher.check_reachable  # type: ignore[attr-defined]
    again = run_publish(runtime, payload)
    # Then the answer is the stored one, not the link's failure, and no second Pin
    assert again["status"] == "published" and again["pin_id"] == first["pin_id"]
    assert len(fresh_sandbox.state.pins_on_board(channel.board_id)) == 1


def test_a_failing_link_is_checked_once_per_attempt(
    runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer
) -> None:
    # Given a new post whose page answers 404
    path = "/_sandbox/status/404"
    link = f"{fresh_sandbox.https_base_url}{path}"

    def asked() -> int:
        return sum(fresh_sandbox.state.request_count(method, path) for method in ("HEAD", "GET"))

    with pytest.raises(DestinationUnreachableError):  # what one check of it costs
        runtime.fetcher.check_reachable(link)
    one_check = asked()
    # When it is published
    with pytest.raises(DestinationUnreachableError):
        run_publish(runtime, post_payload(fresh_sandbox, link=link))
    # Then the link was checked once (the failure is raised under the lease, not asked again)
    assert asked() == 2 * one_check
    entry = runtime.store.ledger.get("post-1")
    assert entry is not None and entry.state == "leased"  # due for the reconciler, not created
    assert runtime.store.ledger.lease_holder("post-1") is None
    assert runtime.write_slots.holders("shop") == 0


def test_a_post_that_gets_no_slot_in_time_is_not_left_creating(
    runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer
) -> None:
    # Given a channel whose write slots are all held by other workers' creates
    slots = runtime.write_slots
    far = int(time.time() * 1000) + 600_000
    runtime.redis_client.zadd(slots.key("shop"), {f"other{n}": far for n in range(slots.limit)})
    # When a new post waits for one past its wait (the default, 5 s)
    with pytest.raises(ChannelBusyError):
        run_publish(runtime, post_payload(fresh_sandbox))
    # Then nothing was sent, and the post is not left "creating" (its retry needs no reconcile)
    entry = runtime.store.ledger.get("post-1")
    assert entry is not None and entry.state == "leased"
    assert runtime.store.ledger.lease_holder("post-1") is None
    assert fresh_sandbox.state.pins_on_board(channel.board_id) == []


class PassedOn:
    """A write limiter whose slot comes from another thread of the process (no Redis round
    trip for the slot); *meanwhile* runs once the post is leased."""

    def __init__(self, meanwhile: Callable[[], object]) -> None:
        self.meanwhile = meanwhile

    @contextmanager
    def __call__(self, channel_id: str, *, first: Callable[[SlotHandle | None], bool] | None = None,
                 take: Callable[[SlotHandle], bool] | None = None) -> Iterator[SlotHandle]:
        assert first is not None
        assert not first(None)  # the claim: the lease only, no slot, nothing marked
        self.meanwhile()
        yield SlotHandle("slots", "passed-on", handed_over=True)


def test_a_slot_passed_on_marks_creating_and_confirms_the_lease_before_the_create(
    runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer,
) -> None:
    # Given a post waiting in-process for a slot whose lease another attempt took over (this
    # one's lapsed, say while Redis was away) before a slot was passed on to it
    publisher = runtime.publishers["pinterest"]
    lease_key = f"{runtime.settings.key_prefix}:publish-lease:post-1"
    publisher._write_slot = PassedOn(  # type: ignore[attr-defined]
        lambda: runtime.redis_client.set(lease_key, "another-attempt"))
    # When the slot arrives
    with pytest.raises(LeaseLostError):
        run_publish(runtime, post_payload(fresh_sandbox))
    # Then this attempt stopped before creating anything, and marked nothing
    assert fresh_sandbox.state.pins_on_board(channel.board_id) == []
    entry = runtime.store.ledger.get("post-1")
    assert entry is not None and entry.state == "leased"
    # while a slot passed on to an attempt that holds its lease is marked, then created
    runtime.redis_client.delete(lease_key)
    publisher._write_slot = PassedOn(lambda: None)  # type: ignore[attr-defined]
    outcome = run_publish(runtime, post_payload(fresh_sandbox, "post-2"))
    assert outcome["status"] == "published"
