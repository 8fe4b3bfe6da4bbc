"""A scheduled Pin moved or cancelled while its message waits in the queue: the publisher obeys
the schedule record when the message arrives, and still publishes exactly once.

Real Redis and the sandbox; the publisher is called as its actor calls it, with a clock the
test sets and a ``reschedule`` that records the delay it was asked for.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pinterest_agent.agents.messages import PinBrief, SocialPost
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.jobs.publish import run_publish
from pinterest_agent.queues.jobs.schedule import schedule_brief, schedule_post
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.stores.catalogs import RedisCatalogStore
from tests.conftest import Channel
from tests.helpers import post_payload

pytestmark = pytest.mark.redis

SLOT = datetime(2031, 3, 4, 14, 0, tzinfo=UTC)


class Delivery:
    """Deliver a message at a chosen time; remember the delays the publisher asked for."""

    def __init__(self, runtime: Runtime, payload: dict[str, Any]) -> None:
        self.runtime = runtime
        self.payload = payload
        self.delays_ms: list[int] = []

    def at(self, moment: datetime) -> dict[str, Any]:
        return run_publish(self.runtime, self.payload, reschedule=self.delays_ms.append,
                           clock=moment.timestamp)


def scheduled(runtime: Runtime, sandbox: SandboxServer) -> Delivery:
    payload = post_payload(sandbox, scheduled_at=SLOT.isoformat())
    assert schedule_post(runtime, SocialPost.model_validate(payload)) == SLOT
    return Delivery(runtime, payload)


def pins(sandbox: SandboxServer, channel: Channel) -> list[Any]:
    return sandbox.state.pins_on_board(channel.board_id)


def events(runtime: Runtime) -> list[tuple[str, str]]:
    return [(e["type"], e["id"]) for e in runtime.store.outcomes.events()]


def test_a_cancelled_pin_is_skipped_when_its_message_arrives(
    runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer,
) -> None:
    # Given a Pin scheduled for its slot, its message already queued, then cancelled
    delivery = scheduled(runtime, fresh_sandbox)
    assert runtime.store.schedule.cancel("post-1", "shop") == "cancelled"
    # When the message arrives at the slot
    outcome = delivery.at(SLOT)
    # Then nothing is published, the outcome says cancelled, with one post.cancelled event
    assert outcome["status"] == "cancelled"
    assert pins(fresh_sandbox, channel) == []
    assert events(runtime) == [("post.cancelled", "post-1")]
    # And the calendar no longer lists it
    assert runtime.store.schedule.between("shop", SLOT - timedelta(days=1),
                                          SLOT + timedelta(days=1)) == []


def test_a_pin_moved_later_waits_again_then_publishes_once(
    runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer,
) -> None:
    # Given a queued Pin moved two days later
    delivery = scheduled(runtime, fresh_sandbox)
    later = SLOT + timedelta(days=2)
    assert runtime.store.schedule.move("post-1", "shop", later) == "moved"
    # When its message arrives at the old slot
    outcome = delivery.at(SLOT)
    # Then it is deferred to the new time, nothing published
    assert outcome["status"] == "scheduled" and outcome["scheduled_at"] == later.isoformat()
    assert delivery.delays_ms == [2 * 24 * 3600 * 1000]
    assert pins(fresh_sandbox, channel) == []
    # When the re-deferred message arrives at the new time, it is published, once
    assert delivery.at(later)["status"] == "published"
    assert len(pins(fresh_sandbox, channel)) == 1
    assert runtime.store.schedule.move("post-1", "shop", SLOT) == "due"  # too late to move


def test_a_pin_moved_earlier_publishes_at_the_new_time_and_the_old_message_does_nothing(
    runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer,
) -> None:
    # Given a queued Pin moved a day earlier (the console sends a wake-up for the new time)
    delivery = scheduled(runtime, fresh_sandbox)
    earlier = SLOT - timedelta(days=1)
    assert runtime.store.schedule.move("post-1", "shop", earlier) == "moved"
    # When the wake-up arrives at the new time (its message still says the old slot)
    outcome = delivery.at(earlier)
    # Then it publishes now instead of waiting for the old slot
    assert outcome["status"] == "published" and delivery.delays_ms == []
    # And the original message, arriving at the old slot, neither publishes again nor
    # announces a duplicate
    assert delivery.at(SLOT)["status"] == "published"
    assert len(pins(fresh_sandbox, channel)) == 1
    assert events(runtime) == [("post.published", "post-1")]


def test_a_claimed_pin_cannot_be_cancelled_and_a_cancelled_one_cannot_be_claimed(
    runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer,
) -> None:
    schedule = runtime.store.schedule
    scheduled(runtime, fresh_sandbox)
    # When the publisher claims it first, a cancel is refused (it is being published)
    assert schedule.claim("post-1", now_s=SLOT.timestamp(), slack_s=1).state == "claimed"
    assert schedule.cancel("post-1", "shop") == "due"
    # When a cancel comes first, the publisher's claim sees it
    payload = post_payload(fresh_sandbox, post_id="post-2", scheduled_at=SLOT.isoformat())
    schedule_post(runtime, SocialPost.model_validate(payload))
    assert schedule.cancel("post-2", "shop") == "cancelled"
    assert schedule.claim("post-2", now_s=SLOT.timestamp(), slack_s=1).state == "cancelled"
    # And the writer handing the cancelled post off later does not revive it
    assert schedule_post(runtime, SocialPost.model_validate(payload)) is None
    record = schedule.get("post-2")
    assert record is not None and record.state == "cancelled"


def test_the_planners_day_counts_follow_a_move_and_a_cancel(
    runtime: Runtime, fresh_sandbox: SandboxServer,
) -> None:
    # Given two briefs the catalog planner placed on "Dresses" on the same day
    catalog = RedisCatalogStore(runtime.redis_client, runtime.settings.key_prefix)
    catalog.commit("shop", states=[], fingerprints={}, outbox=[], pins={},
                   calendar={"Dresses|2031-03-04": 2})
    for brief_id in ("b-1", "b-2"):
        schedule_brief(runtime, PinBrief.model_validate({
            "schema_version": 1, "brief_id": brief_id, "channel_id": "shop",
            "kind": "product", "name": "Linen dress", "summary": "A linen dress.",
            "destination_url": "https://shop.example/dress", "scheduled_at": SLOT.isoformat(),
            "source_image_urls": ["https://shop.example/dress.jpg"], "publish": True,
        }), planned_board="Dresses")
    # When one moves three days on and the other is cancelled
    assert runtime.store.schedule.move("b-1", "shop", SLOT + timedelta(days=3)) == "moved"
    assert runtime.store.schedule.cancel("b-2", "shop") == "cancelled"
    # Then the planner counts what is left where it is
    calendar = catalog.calendar("shop")
    assert calendar["Dresses|2031-03-04"] == 0 and calendar["Dresses|2031-03-07"] == 1
    # And the calendar shows the moved one with its preview
    [pin] = runtime.store.schedule.between("shop", SLOT, SLOT + timedelta(days=7))
    assert (pin.post_id, pin.preview.title, pin.preview.image_url, pin.source) == (
        "b-1", "Linen dress", "https://shop.example/dress.jpg", "catalog")
