"""The publisher's Redis round trips, on real Redis and the local sandbox.

A new post is leased, takes its write slot and is marked ``creating`` in one round trip, and its
Pin, outcome, event, lease and slot are recorded in one more: two scripts per publish. What is
prepared before the lease (credentials, board, body, link preflight) never changes an answer the
ledger already holds: a post published before stays published whatever its link does now.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis

from agents.ports import LedgerEntry, SlotHandle
from providers.netsafe import DestinationUnreachableError
from providers.sandbox.server import SandboxServer
from queues.jobs import run_publish
from queues.runtime import Runtime
from queues.store import RedisPublishLedger
from tests.conftest import Channel
from tests.helpers import post_payload

pytestmark = pytest.mark.redis


class ScriptCount:
    """Counts the Lua scripts one Redis client runs."""

    def __init__(self, client: redis.Redis[bytes], monkeypatch: pytest.MonkeyPatch) -> None:
        self.names: list[str] = []
        original = client.evalsha

        def counted(sha: str, numkeys: int, *args: Any) -> Any:
            self.names.append(sha)
            return original(sha, numkeys, *args)

        monkeypatch.setattr(client, "evalsha", counted)


def test_a_new_post_is_published_with_two_scripts(
    runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a connected channel whose credentials and link check are already warm
    run_publish(runtime, post_payload(fresh_sandbox, "warm-up"))
    scripts = ScriptCount(runtime.redis_client, monkeypatch)
    # When a new post is published
    outcome = run_publish(runtime, post_payload(fresh_sandbox, "post-1"))
    # Then two scripts ran: lease + slot + "creating", then Pin + outcome + event + releases
    assert outcome["status"] == "published"
    assert len(scripts.names) == 2
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
    assert (claim.acquired, claim.creating, claim.may_create) == (True, True, True)
    entry = ledger.get("p1")
    assert entry is not None and (entry.state, entry.attempt) == ("creating", "a1")
    assert ledger.lease_holder("p1") == "a1"
    assert runtime.write_slots.holders("shop") == 1
    assert ledger.message("p1") == '{"post_id": "p1"}'  # kept for the reconciler


def test_claim_for_create_with_every_slot_taken_only_leases(runtime: Runtime) -> None:
    ledger = runtime.store.ledger
    for n in range(runtime.write_slots.limit):  # other creates hold every slot
        assert ledger.claim_for_create(_creating(f"busy{n}", f"b{n}"),
                                       slot=_slot(runtime, f"busy{n}")).creating
    claim = ledger.claim_for_create(_creating("p1", "a1"), slot=_slot(runtime, "h1"))
    assert (claim.acquired, claim.creating, claim.may_create) == (True, False, True)
    entry = ledger.get("p1")
    assert entry is not None and entry.state == "leased"
    # and once a slot frees, the held lease goes on to "creating" with it
    runtime.redis_client.zrem(runtime.write_slots.key("shop"), "busy0")
    assert ledger.mark_creating(_creating("p1", "a1"), slot=_slot(runtime, "h1"))


def test_claim_for_create_leaves_settled_and_unsettled_posts_alone(runtime: Runtime) -> None:
    ledger: RedisPublishLedger = runtime.store.ledger
    # A published post: leased (to answer "already published"), never marked again
    assert ledger.claim_for_create(_creating("done", "a0"), slot=_slot(runtime, "h0")).creating
    ledger.mark_published("done", "999", "123", release="a0", slot=_slot(runtime, "h0"))
    claim = ledger.claim_for_create(_creating("done", "a1"), slot=_slot(runtime, "h1"))
    assert (claim.acquired, claim.creating, claim.may_create) == (True, False, False)
    assert claim.entry is not None and claim.entry.pin_id == "999"
    # A post an earlier attempt may have created: reconcile first, no slot taken
    assert ledger.claim_for_create(_creating("unsure", "a2"), slot=_slot(runtime, "h2")).creating
    ledger.release_lease("unsure", "a2")
    claim = ledger.claim_for_create(_creating("unsure", "a3"), slot=_slot(runtime, "h3"))
    assert (claim.acquired, claim.creating, claim.may_create) == (True, False, False)
    assert claim.entry is not None and claim.entry.state == "creating"
    assert claim.entry.attempt == "a2"
    # A post another attempt holds: nothing changes
    claim = ledger.claim_for_create(_creating("unsure", "a4"), slot=_slot(runtime, "h4"))
    assert (claim.acquired, claim.creating) == (False, False)
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
