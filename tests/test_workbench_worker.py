"""Workers render with the labelled template version, pick up a moved label without a restart,
route a rollout's share of briefs to the candidate, and record the version of every draft."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from pinterest_agent.agents.prompting.rollout import bucket
from pinterest_agent.agents.prompting.versions import Rollout
from pinterest_agent.prompts.loader import PromptLibrary
from pinterest_agent.providers.sandbox.openai_compat import chat_requests
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.jobs.actors import WRITE_ACTOR
from pinterest_agent.queues.jobs.enqueue import enqueue_message
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings
from tests.conftest import Channel, RunningWorker, make_settings
from tests.helpers import wait_for

pytestmark = pytest.mark.redis

BRIEFS = Path(__file__).resolve().parent.parent / "fixtures" / "briefs"
NOW = datetime(2026, 11, 25, tzinfo=UTC)


@pytest.fixture()
def settings(prefix: str, fresh_sandbox: SandboxServer, tmp_path: Path) -> Settings:
    return make_settings(prefix, fresh_sandbox,
                         openai_base_url=f"{fresh_sandbox.base_url}/openai/v1",
                         openai_api_key=SecretStr("sandbox-key"), media_dir=tmp_path / "media")


def brief(sandbox: SandboxServer, brief_id: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((BRIEFS / "product.json").read_text())
    data.update(brief_id=brief_id, channel_id="shop", publish=False,
                name="Seagrass Storage Basket Set of Three",
                destination_url=f"{sandbox.https_base_url}/_sandbox/pages/basket",
                source_image_urls=[f"{sandbox.base_url}/_sandbox/images/b-1200x1800.jpg"],
                keywords=["seagrass storage basket", "nursery storage"])
    data.pop("board_hint", None)
    data.pop("board_id", None)
    return data


def titles_of_at_most(limit: int) -> dict[str, str]:
    source = PromptLibrary().source("pin_copy")
    return {"pin_copy": source.replace("at most {{ limits.title_max }} characters",
                                       f"at most {limit} characters")}


def asked_title_limit(sandbox: SandboxServer) -> str:
    """What the system message of the latest PinCopy request says of the title's length: the
    proof of which template version the worker rendered (the stand-in itself ignores it)."""
    asked = [body for body in chat_requests(sandbox.state)
             if body["response_format"]["json_schema"]["name"] == "PinCopy"]
    system = asked[-1]["messages"][0]["content"]
    found = re.search(r"^- title: (at most \d+ characters)", system, re.MULTILINE)
    assert found is not None, system
    return found.group(1)


def draft(running: RunningWorker, payload: dict[str, Any]) -> dict[str, Any]:
    enqueue_message(running.broker, queue=running.runtime.settings.queue_writer,
                    actor=WRITE_ACTOR, payload=payload)
    outcomes = running.runtime.store.outcomes
    done = wait_for(lambda: (outcomes.get("brief", payload["brief_id"]) or {}).get("status")
                    in ("drafted", "failed"))
    assert done
    outcome = outcomes.get("brief", payload["brief_id"])
    assert outcome is not None and outcome["status"] == "drafted", outcome
    return outcome


def test_workers_pick_up_a_moved_label_without_a_restart(
    fresh_sandbox: SandboxServer, channel: Channel, runtime: Runtime,
    start_worker: Callable[..., RunningWorker],
) -> None:
    # Given a running worker, and nothing published: the packaged template writes the copy
    running = start_worker()
    first = draft(running, brief(fresh_sandbox, "basket-1"))
    assert first["provenance"]["versions"]["pin_copy"]["arm"] == "packaged"
    assert asked_title_limit(fresh_sandbox) == "at most 100 characters"
    # When a version asking for titles of at most 40 characters is published as production
    versions = runtime.prompt_versions
    v1, _ = versions.publish(titles_of_at_most(40), note="short", author="t", now=NOW,
                             label="production")
    second = draft(running, brief(fresh_sandbox, "basket-2"))
    # Then the same worker wrote the next brief with it, and the draft records the version
    ref = second["provenance"]["versions"]["pin_copy"]
    assert (ref["version"], ref["label"], ref["arm"]) == (v1.version, "production", "label")
    assert ref["hash"] == second["provenance"]["templates"]["pin_copy"]
    assert asked_title_limit(fresh_sandbox) == "at most 40 characters"
    # When the label moves on again (no restart, no redeploy)
    v2, _ = versions.publish(titles_of_at_most(25), note="shorter", author="t", now=NOW,
                             label="production")
    third = draft(running, brief(fresh_sandbox, "basket-3"))
    assert third["provenance"]["versions"]["pin_copy"]["version"] == v2.version
    assert asked_title_limit(fresh_sandbox) == "at most 25 characters"
    # And the design template stayed packaged all along
    assert third["provenance"]["versions"]["design_spec"]["arm"] == "packaged"
    # And each draft's versions were recorded for the channel, with its title
    uses = runtime.prompt_usage.uses("shop", since=NOW - timedelta(days=3650),
                                     until=datetime.now(UTC) + timedelta(days=1))
    assert [(u.post_id, u.templates["pin_copy"].version) for u in uses] == [
        ("basket-1", None), ("basket-2", v1.version), ("basket-3", v2.version)]
    assert runtime.prompt_usage.recent_titles("shop", limit=2) == [third["title"],
                                                                    second["title"]]


def test_a_rollout_sends_its_share_of_briefs_to_the_candidate(
    fresh_sandbox: SandboxServer, channel: Channel, runtime: Runtime,
    start_worker: Callable[..., RunningWorker],
) -> None:
    # Given production at v1 and pin_copy v2 rolled out to 20 % of briefs
    versions = runtime.prompt_versions
    v1, _ = versions.publish(titles_of_at_most(60), note="base", author="t", now=NOW,
                             label="production")
    v2, _ = versions.publish(titles_of_at_most(30), note="candidate", author="t", now=NOW)
    versions.set_rollout(Rollout(template="pin_copy", candidate=v2.version, share=0.2,
                                 started_at=NOW))
    ids = [f"basket-{n}" for n in range(40)]
    on_candidate = next(i for i in ids if bucket("pin_copy", i) < 0.2)
    on_label = next(i for i in ids if bucket("pin_copy", i) >= 0.2)
    running = start_worker()
    # When a brief of each kind is written
    candidate = draft(running, brief(fresh_sandbox, on_candidate))
    asked_candidate = asked_title_limit(fresh_sandbox)
    label = draft(running, brief(fresh_sandbox, on_label))
    # Then each got the version its brief id routes to, and says so
    got = candidate["provenance"]["versions"]["pin_copy"]
    assert (got["version"], got["arm"]) == (v2.version, "candidate")
    assert asked_candidate == "at most 30 characters"
    assert asked_title_limit(fresh_sandbox) == "at most 60 characters"
    got = label["provenance"]["versions"]["pin_copy"]
    assert (got["version"], got["arm"]) == (v1.version, "label")
