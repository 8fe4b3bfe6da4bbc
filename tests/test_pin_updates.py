"""Pin updates (``PATCH /pins/{pin_id}``): the provider call checked against the official spec,
and the publisher's update action with real Redis and worker threads: applied once however
often it is delivered, an older revision never overwrites a newer one, failures dead-lettered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dramatiq
import pytest

from pinterest_agent.agents.messages import PostUpdate
from pinterest_agent.providers.pinterest import PinterestValidationError, PinUpdate
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.jobs.actors import UPDATE_ACTOR
from pinterest_agent.queues.runtime import Runtime
from tests.conftest import Channel, RunningWorker
from tests.conftest_pinterest import FakePinterest, json_body, pin, respond
from tests.helpers import enqueue_publish, outcome_status, post_payload, wait_for

pytestmark = pytest.mark.redis


# -- the provider call, against the spec ----------------------------------------------------


def test_update_sends_only_the_fields_it_sets_and_the_spec_accepts_them() -> None:
    # Given a fake Pinterest that checks every request against the official spec
    fake = FakePinterest({("PATCH", "/pins/555"): respond(200, pin("555", title="New"))})
    # When a Pin's title, link, alt text and board are changed
    updated = fake.client().pins.update("555", PinUpdate(
        title="New", link="https://shop.example/new", alt_text="A mug.", board_id="900"))
    # Then one PATCH carries exactly those fields (the spec validator passed it)
    assert updated.title == "New"
    assert json_body(fake.only("PATCH", "/pins/555")) == {
        "title": "New", "link": "https://shop.example/new", "alt_text": "A mug.",
        "board_id": "900"}


@pytest.mark.parametrize(("fields", "field"), [
    ({}, "title"),
    ({"title": "x" * 101}, "title"),
    ({"board_id": "not-a-number"}, "board_id"),
], ids=["nothing", "title-too-long", "bad-board"])
def test_a_bad_update_is_refused_before_any_request(fields: dict[str, Any], field: str) -> None:
    fake = FakePinterest()
    with pytest.raises(PinterestValidationError) as caught:
        fake.client().pins.update("555", PinUpdate.model_construct(**fields))
    assert caught.value.field == field and fake.requests == []


def test_a_post_update_message_must_change_something() -> None:
    with pytest.raises(ValueError, match="changes at least one"):
        PostUpdate(schema_version=1, update_id="u1", platform="pinterest", channel_id="shop",
                   pin_id="1")


# -- the worker -----------------------------------------------------------------------------


def enqueue_update(worker: RunningWorker, **fields: Any) -> dramatiq.Message:
    payload = {"schema_version": 1, "platform": "pinterest", "channel_id": "shop", **fields}
    message = dramatiq.Message(queue_name=worker.runtime.settings.queue_publisher,
                               actor_name=UPDATE_ACTOR, args=(payload,), kwargs={}, options={})
    enqueued: dramatiq.Message = worker.broker.enqueue(message)
    return enqueued


def update_outcome(runtime: Runtime, update_id: str, *statuses: str) -> dict[str, Any] | None:
    outcome = runtime.store.outcomes.get("update", update_id)
    return outcome if outcome is not None and outcome.get("status") in statuses else None


def live_pin(worker: RunningWorker, sandbox: SandboxServer) -> str:
    enqueue_publish(worker.broker, worker.runtime.settings, post_payload(sandbox))
    outcome = wait_for(lambda: outcome_status(worker.runtime, "post-1", "published"))
    return str(outcome["pin_id"])


def test_an_update_is_applied_once_however_often_it_is_delivered(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
) -> None:
    # Given a live Pin
    worker = start_worker()
    pin_id = live_pin(worker, fresh_sandbox)
    new_link = f"{fresh_sandbox.https_base_url}/_sandbox/pages/linen-dress-v2"
    # When the same update is delivered three times
    for _ in range(3):
        enqueue_update(worker, update_id="shop.x.v1.r1", pin_id=pin_id, revision=1,
                       title="Linen summer dress, now in sage", link=new_link)
    wait_for(lambda: update_outcome(worker.runtime, "shop.x.v1.r1", "applied"))
    worker.join()
    # Then Pinterest got one PATCH, the Pin changed, and update.applied was emitted once
    assert fresh_sandbox.state.request_count("PATCH", "/v5/pins/{pin_id}") == 1
    stored = fresh_sandbox.state.records.pins[pin_id]
    assert (stored.fields["title"], stored.fields["link"]) == \
        ("Linen summer dress, now in sage", new_link)
    events = [e["type"] for e in worker.runtime.store.outcomes.events()
              if e["id"] == "shop.x.v1.r1"]
    assert events == ["update.applied"]


def test_an_updates_link_uses_the_verdict_the_fleet_already_has(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
) -> None:
    # Given a live Pin whose link the publisher checked a moment ago
    worker = start_worker()
    pin_id = live_pin(worker, fresh_sandbox)
    pages = _page_requests(fresh_sandbox)
    assert pages >= 1
    # When an update points the Pin at that same page
    enqueue_update(worker, update_id="shop.x.v1.r2", pin_id=pin_id, revision=1,
                   link=post_payload(fresh_sandbox)["link"], title="Linen dress, in sage")
    wait_for(lambda: update_outcome(worker.runtime, "shop.x.v1.r2", "applied"))
    worker.join()
    # Then the page is not fetched again: the update uses the publisher's verdict
    assert _page_requests(fresh_sandbox) == pages


def _page_requests(sandbox: SandboxServer) -> int:
    return sum(sandbox.state.request_count(method, "/_sandbox/pages/{rest:path}")
               for method in ("HEAD", "GET"))


def test_an_older_revision_never_overwrites_a_newer_one(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
) -> None:
    worker = start_worker()
    pin_id = live_pin(worker, fresh_sandbox)
    # Given revision 5 applied
    enqueue_update(worker, update_id="u-new", pin_id=pin_id, revision=5, title="Newer title")
    wait_for(lambda: update_outcome(worker.runtime, "u-new", "applied"))
    # When revision 3 arrives late
    enqueue_update(worker, update_id="u-old", pin_id=pin_id, revision=3, title="Older title")
    outcome = wait_for(lambda: update_outcome(worker.runtime, "u-old", "superseded"))
    # Then it is recorded as superseded and never sent
    assert outcome["revision"] == 3
    assert fresh_sandbox.state.request_count("PATCH", "/v5/pins/{pin_id}") == 1
    assert fresh_sandbox.state.records.pins[pin_id].fields["title"] == "Newer title"


def test_an_update_of_a_pin_that_is_gone_fails_for_good(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
) -> None:
    worker = start_worker()
    enqueue_update(worker, update_id="u-gone", pin_id="999999", revision=1, title="Anything")
    outcome = wait_for(lambda: update_outcome(worker.runtime, "u-gone", "failed"))
    assert outcome["error"]["code"] == "pin_not_found"
    events = [e["type"] for e in worker.runtime.store.outcomes.events() if e["id"] == "u-gone"]
    assert events == ["update.failed"]


def test_a_5xx_on_update_is_retried_and_applied(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
) -> None:
    worker = start_worker()
    pin_id = live_pin(worker, fresh_sandbox)
    # Given Pinterest answers the first PATCH with a 503 after applying it (outcome unknown)
    fresh_sandbox.state.faults.add("PATCH", r"/v5/pins/\d+", status=503, times=1, after=True)
    enqueue_update(worker, update_id="u-flaky", pin_id=pin_id, revision=1, title="Retried")
    wait_for(lambda: update_outcome(worker.runtime, "u-flaky", "applied"))
    # Then the retry sent it again (harmless: PATCH is idempotent) and the Pin has it
    assert fresh_sandbox.state.request_count("PATCH", "/v5/pins/{pin_id}") == 2
    assert fresh_sandbox.state.records.pins[pin_id].fields["title"] == "Retried"
