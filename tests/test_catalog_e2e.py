"""The catalog end to end: the sample shop feed synced into a sandbox channel with real Redis and
real worker threads; the briefs are written, designed and published; a price edit updates that
Pin (``PATCH /pins/{pin_id}``, checked against the spec by the sandbox) and nothing else; a
second sync of the same feed sends nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pinterest_agent.agents.catalog import OutboxEntry
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.jobs.actors import UPDATE_ACTOR, WRITE_ACTOR
from pinterest_agent.queues.jobs.catalog_run import LoadedFeed, load_feed, run_sync
from pinterest_agent.queues.jobs.enqueue import enqueue_message
from pinterest_agent.queues.runtime import Runtime
from tests.conftest import Channel, RunningWorker
from tests.helpers import wait_for
from tests.obedient_model import use_obedient_model

FEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "feeds"


def shop_feed(tmp_path: Path, sandbox: SandboxServer, *, edit: Callable[[str], str] = str,
              ) -> Path:
    """The sample feed pointed at this test's sandbox (its links and images)."""
    text = (FEEDS / "shop.csv").read_text(encoding="utf-8")
    text = text.replace("${PINTEREST_AGENT_SANDBOX_HTTPS_URL}", sandbox.https_base_url)
    text = text.replace("${PINTEREST_AGENT_SANDBOX_URL}", sandbox.base_url)
    path = tmp_path / "shop.csv"
    path.write_text(edit(text), encoding="utf-8")
    return path


def loaded(runtime: Runtime, feed: Path) -> LoadedFeed:
    return load_feed(str(feed), FEEDS / "shop.yaml", runtime.settings)


def sender(worker: RunningWorker, sent: list[OutboxEntry]) -> Callable[[OutboxEntry], None]:
    settings = worker.runtime.settings

    def send(entry: OutboxEntry) -> None:
        sent.append(entry)
        queue, actor = ((settings.queue_publisher, UPDATE_ACTOR) if entry.target == "update"
                        else (settings.queue_writer, WRITE_ACTOR))
        enqueue_message(worker.broker, queue=queue, actor=actor, payload=dict(entry.payload))

    return send


def published(runtime: Runtime, brief_ids: list[str]) -> dict[str, Any] | None:
    outcomes = {b: runtime.store.outcomes.get("post", b) for b in brief_ids}
    if all(o is not None and o.get("status") == "published" for o in outcomes.values()):
        return outcomes
    return None


def test_a_shop_feed_becomes_pins_and_a_price_edit_updates_only_that_pin(
    runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer,
    start_worker: Callable[..., RunningWorker], tmp_path: Path,
) -> None:
    # Given the sample shop feed, its mapping, and a worker writing with a model that follows the
    # writer's rules (the mapping's keywords are not in the products' names: the sandbox's
    # rule-blind stand-in fails those, see tests/obedient_model.py); the clock set back three
    # days so the planner's slots are already due and the Pins go out now
    use_obedient_model(runtime)
    worker = start_worker()
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) \
        - timedelta(days=3)
    feed = shop_feed(tmp_path, fresh_sandbox)
    sent: list[OutboxEntry] = []

    # When it is synced for real
    report = run_sync(runtime, loaded(runtime, feed), channel_id="shop", dry_run=False,
                      send=sender(worker, sent), clock=lambda: start)

    # Then every usable in-stock item became one brief, the bad rows were reported with their
    # line, and each brief was written, designed and published
    counts = report.summary()
    assert (counts["new"], counts["errors"], counts["skipped"]) == (7, 2, 1)
    assert {str(p) for p in report.problems} >= {"line 11: has no id"}
    briefs = [e.entry_id for e in sent]
    assert all(e.target == "writer" for e in sent) and len(briefs) == 7
    outcomes = wait_for(lambda: published(runtime, briefs))
    pin_ids = {b: o["pin_id"] for b, o in outcomes.items()}
    assert len(set(pin_ids.values())) == 7
    drafted = runtime.store.outcomes.get("brief", "shop.LT-100.v1")
    assert drafted is not None and drafted["design"] == "band"
    assert runtime.store.outcomes.get("brief", "shop.GC-001.v1")["design"] == "typographic"
    # boards from the mapping were created, Pins on them
    boards = {b.name: b.id for b in fresh_sandbox.state.boards_of(
        fresh_sandbox.state.user_by_name("shop_owner").id)}
    assert {"Cozy bedroom", "Kitchen and table", "Holiday kitchen", "Home decor",
            "Gift ideas"} <= set(boards)
    assert outcomes["shop.LT-100.v1"]["board_id"] == boards["Cozy bedroom"]

    # When the same feed is synced again
    sent.clear()
    again = run_sync(runtime, loaded(runtime, feed), channel_id="shop", dry_run=False,
                     send=sender(worker, sent), clock=lambda: start + timedelta(minutes=1))
    # Then nothing is sent
    assert sent == [] and again.summary()["unchanged"] == 8  # 7 with Pins, 1 sold out

    # When one price is edited and the feed synced again
    worker.join()
    patches_before = fresh_sandbox.state.request_count("PATCH", "/v5/pins/{pin_id}")
    creates_before = fresh_sandbox.state.request_count("POST", "/v5/pins")
    edited = shop_feed(tmp_path, fresh_sandbox,
                       edit=lambda text: text.replace("22.00 USD", "19.00 USD"))
    third = run_sync(runtime, loaded(runtime, edited), channel_id="shop", dry_run=False,
                     send=sender(worker, sent), clock=lambda: start + timedelta(minutes=2))

    # Then exactly that item's Pin gets new copy through the writer and one PATCH, nothing else
    assert third.summary()["updated"] == 1 and third.summary()["unchanged"] == 7
    assert [(e.target, e.entry_id.rsplit(".", 1)[0]) for e in sent] == \
        [("writer", "shop.MG-001.v1")]
    update_id = sent[0].entry_id
    applied = wait_for(lambda: (runtime.store.outcomes.get("update", update_id) or {}).get(
        "status") == "applied" and runtime.store.outcomes.get("update", update_id))
    assert applied["pin_id"] == pin_ids["shop.MG-001.v1"]
    worker.join()
    assert fresh_sandbox.state.request_count("PATCH", "/v5/pins/{pin_id}") == patches_before + 1
    assert fresh_sandbox.state.request_count("POST", "/v5/pins") == creates_before
    pin = fresh_sandbox.state.records.pins[pin_ids["shop.MG-001.v1"]]
    assert "19.00 USD" in pin.fields["description"]
