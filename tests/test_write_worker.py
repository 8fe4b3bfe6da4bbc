"""Brief in, Pin out: the writer and the publisher on real Redis with real worker threads.

The LLM is the sandbox's OpenAI-compatible endpoint, reached through the real ``openai`` client;
the source image is served by the sandbox; the Pin lands on the sandbox board.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pydantic import SecretStr

from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.jobs.actors import WRITE_ACTOR
from pinterest_agent.queues.jobs.enqueue import enqueue_message
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings
from tests.conftest import Channel, RunningWorker, make_settings
from tests.helpers import dead_letters, wait_for

pytestmark = pytest.mark.redis

BRIEFS = Path(__file__).resolve().parent.parent / "fixtures" / "briefs"


@pytest.fixture()
def settings(
    prefix: str, fresh_sandbox: SandboxServer, tmp_path: Path, request: pytest.FixtureRequest
) -> Settings:
    overrides: dict[str, Any] = getattr(request, "param", {})  # indirect parametrization
    return make_settings(
        prefix,
        fresh_sandbox,
        openai_base_url=f"{fresh_sandbox.base_url}/openai/v1",
        openai_api_key=SecretStr("sandbox-key"),
        media_dir=tmp_path / "media",
        **overrides,
    )


def brief(sandbox: SandboxServer, name: str = "product", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((BRIEFS / f"{name}.json").read_text())
    data.update(
        channel_id="shop",
        destination_url=f"{sandbox.https_base_url}/_sandbox/pages/{name}",
        source_image_urls=[f"{sandbox.base_url}/_sandbox/images/{name}-1200x1800.jpg"],
        publish=True,
    )
    data.pop("board_hint", None)
    data.pop("board_id", None)  # the fixture's ids are not the sandbox's
    data.update(overrides)
    return data


KEYWORD_IN_NAME = {
    "recipe": ["lemon garlic orzo", "easy weeknight dinner", "vegetarian pasta"],
    "how-to": ["repot a root-bound monstera", "houseplant care", "aroid soil mix"],
}
"""Main keywords the sample briefs' names carry: the sandbox's stand-in titles a Pin with the
brief's name (it knows none of the writer's rules), so a test about something else than the copy
gives it a brief it can write (``test_a_brief_the_model_cannot_write_...`` shows the others)."""


def enqueue_brief(running: RunningWorker, payload: object) -> Any:
    return enqueue_message(
        running.broker, queue=running.runtime.settings.queue_writer, actor=WRITE_ACTOR,
        payload=payload,  # type: ignore[arg-type]
    )


def events_for(runtime: Runtime, subject: str) -> list[str]:
    return [e["type"] for e in runtime.store.outcomes.events(count=1000) if e["id"] == subject]


def test_brief_becomes_a_pin_with_events_in_order(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker]
) -> None:
    # Given a worker serving the writer and publisher queues
    running = start_worker()
    payload = brief(fresh_sandbox)
    # When an upstream agent enqueues a brief with publish: true
    enqueue_brief(running, payload)
    # Then a Pin appears on the board with the written copy and a 1000x1500 image
    published = wait_for(lambda: (running.runtime.store.outcomes.get("post", payload["brief_id"])
                                  or {}).get("status") == "published")
    assert published
    pins = fresh_sandbox.state.pins_on_board(channel.board_id)
    assert len(pins) == 1
    pin = pins[0]
    assert pin.fields["link"] == payload["destination_url"]
    assert 0 < len(pin.fields["title"]) <= 100
    drafted = running.runtime.store.outcomes.get("brief", payload["brief_id"])
    assert drafted is not None and drafted["status"] == "drafted" and drafted["handed_off"]
    image_path = Path(drafted["image"]["path"])
    with Image.open(image_path) as image:
        assert image.size == (1000, 1500)
    # And the events came in order: drafted, then published
    assert events_for(running.runtime, payload["brief_id"]) == ["post.drafted", "post.published"]
    # And the rendered image went inline as an image Pin
    assert pin.media.get("media_type") == "image"


def test_brief_without_publish_only_drafts(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker]
) -> None:
    running = start_worker()
    payload = brief(fresh_sandbox, "recipe", publish=False, keywords=KEYWORD_IN_NAME["recipe"])
    enqueue_brief(running, payload)
    wait_for(lambda: (running.runtime.store.outcomes.get("brief", payload["brief_id"])
                      or {}).get("status") == "drafted")
    assert fresh_sandbox.state.pins_on_board(channel.board_id) == []
    stored = running.runtime.store.documents.get("draft", payload["brief_id"])
    assert stored is not None and json.loads(stored)["post_id"] == payload["brief_id"]


def test_board_hint_picks_the_named_board(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
    runtime: Runtime,
) -> None:
    api = runtime.pinterest_api(channel.access_token)
    recipes = api.boards.create("Weeknight Recipes")
    running = start_worker()
    payload = brief(fresh_sandbox, "recipe", board_hint="weeknight recipes",
                    keywords=KEYWORD_IN_NAME["recipe"])
    enqueue_brief(running, payload)
    wait_for(lambda: (running.runtime.store.outcomes.get("post", payload["brief_id"])
                      or {}).get("status") == "published")
    assert len(fresh_sandbox.state.pins_on_board(recipes.id)) == 1
    assert fresh_sandbox.state.pins_on_board(channel.board_id) == []


@pytest.mark.parametrize("name", ["recipe", "how-to"])
def test_a_brief_the_model_cannot_write_fails_typed_and_publishes_nothing(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
    name: str,
) -> None:
    # Given a sample brief whose name lacks its main keyword, and the rule-blind stand-in, which
    # titles the Pin with the name and ignores the repair round's list of problems
    running = start_worker()
    payload = brief(fresh_sandbox, name)
    # When the writer runs
    message = enqueue_brief(running, payload)
    # Then the job fails permanently with the broken rule recorded, after one repair round
    failed = wait_for(lambda: (running.runtime.store.outcomes.get("brief", payload["brief_id"])
                               or {}).get("status") == "failed"
                      and running.runtime.store.outcomes.get("brief", payload["brief_id"]))
    assert failed["error"]["code"] == "llm_output_invalid"
    assert "title must contain the main keyword" in failed["error"]["message"]
    assert fresh_sandbox.state.request_count("POST", "/openai/v1/chat/completions") == 2
    # And the message is a dead letter, nothing was published, upstream heard post.failed
    assert wait_for(lambda: dead_letters(running.runtime).find(message.message_id))
    assert fresh_sandbox.state.pins_on_board(channel.board_id) == []
    assert events_for(running.runtime, payload["brief_id"]) == ["post.failed"]


@pytest.mark.parametrize(
    ("make_source", "code"),
    [
        (lambda s: "http://10.0.0.7/secret.jpg", "unsafe_url"),
        (lambda s: f"{s.base_url}/_sandbox/redirect?to=http://169.254.169.254/x", "unsafe_url"),
        (lambda s: f"{s.base_url}/_sandbox/status/404", "source_unreachable"),
        (lambda s: f"{s.base_url}/_sandbox/pages/not-an-image", "source_not_an_image"),
    ],
    ids=["private-address", "redirect-to-metadata", "404", "html-body"],
)
def test_bad_source_image_fails_permanently_and_publishes_nothing(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
    make_source: Callable[[SandboxServer], str], code: str,
) -> None:
    running = start_worker()
    payload = brief(fresh_sandbox, source_image_urls=[make_source(fresh_sandbox)])
    message = enqueue_brief(running, payload)
    failed = wait_for(lambda: (running.runtime.store.outcomes.get("brief", payload["brief_id"])
                               or {}).get("status") == "failed"
                      and running.runtime.store.outcomes.get("brief", payload["brief_id"]))
    assert failed["error"]["code"] == code
    assert wait_for(lambda: dead_letters(running.runtime).find(message.message_id))
    assert fresh_sandbox.state.pins_on_board(channel.board_id) == []
    assert events_for(running.runtime, payload["brief_id"]) == ["post.failed"]


@pytest.mark.parametrize(
    ("link", "code"),
    [
        ("https://10.0.0.7/products/mug", "unsafe_url"),
        ("https://169.254.169.254/latest/meta-data/", "unsafe_url"),
        ("https://user:secret@shop.example.com/products/mug", "unsafe_url"),
        ("https://shop.example.com\\@10.0.0.7/products/mug", "unsafe_url"),
        ("https:///products/mug", "unsafe_url"),
        ("https://shop.x.invalid/products/mug", "destination_unreachable"),
    ],
    ids=["private-address", "metadata", "user-info", "backslash", "no-host", "does-not-resolve"],
)
def test_an_unsafe_destination_is_refused_before_the_model_or_the_renderer(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
    link: str, code: str,
) -> None:
    # Given a brief whose destination_url the publisher's link guard refuses
    running = start_worker()
    payload = brief(fresh_sandbox, destination_url=link)
    image = payload["source_image_urls"][0].removeprefix(fresh_sandbox.base_url)
    # When the writer takes it
    message = enqueue_brief(running, payload)
    # Then it fails for the link, typed, and is kept as a dead letter
    failed = wait_for(lambda: (running.runtime.store.outcomes.get("brief", payload["brief_id"])
                               or {}).get("status") == "failed"
                      and running.runtime.store.outcomes.get("brief", payload["brief_id"]))
    assert failed["error"]["code"] == code
    assert wait_for(lambda: dead_letters(running.runtime).find(message.message_id))
    # And neither the model, the source image nor the renderer was reached: nothing drafted
    assert fresh_sandbox.state.request_count("POST", "/openai/v1/chat/completions") == 0
    assert fresh_sandbox.state.request_count("GET", image) == 0
    assert events_for(running.runtime, payload["brief_id"]) == ["post.failed"]
    assert running.runtime.store.documents.get("draft", payload["brief_id"]) is None


SHORT_FETCH_TIMEOUT = {"preflight_timeout_s": 0.5}
"""Only so the hanging image times out quickly; tests/test_netsafe_failures.py shows a timeout
is transient with the fetcher's own timeout."""


@pytest.mark.parametrize("settings", [SHORT_FETCH_TIMEOUT], indirect=True)
@pytest.mark.parametrize(
    "fault", [{"status": 503}, {"status": 200, "hang_s": 3.0}], ids=["503", "timeout"]
)
def test_a_source_image_failing_twice_for_now_is_retried_then_drafted(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
    fault: dict[str, Any],
) -> None:
    # Given a source image whose server fails its next two requests (503, or no answer in time)
    fresh_sandbox.state.faults.add("GET", r"/_sandbox/images/flaky-1200x1800\.jpg", times=2,
                                   **fault)
    running = start_worker()
    source = f"{fresh_sandbox.base_url}/_sandbox/images/flaky-1200x1800.jpg"
    payload = brief(fresh_sandbox, source_image_urls=[source])
    # When the brief goes through the writer
    enqueue_brief(running, payload)
    # Then it is retried as source_unavailable, then drafted and published
    wait_for(lambda: (running.runtime.store.outcomes.get("post", payload["brief_id"])
                      or {}).get("status") == "published")
    retrying = [e for e in running.runtime.store.outcomes.events(count=1000)
                if e["id"] == payload["brief_id"] and e["type"] == "post.retrying"]
    assert [e["payload"]["error"]["code"] for e in retrying] == ["source_unavailable"] * 2
    assert len(fresh_sandbox.state.pins_on_board(channel.board_id)) == 1


def test_redelivered_brief_reuses_its_draft(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker]
) -> None:
    running = start_worker()
    payload = brief(fresh_sandbox, "how-to", keywords=KEYWORD_IN_NAME["how-to"])
    enqueue_brief(running, payload)
    wait_for(lambda: (running.runtime.store.outcomes.get("post", payload["brief_id"])
                      or {}).get("status") == "published")
    calls = fresh_sandbox.state.request_count("POST", "/openai/v1/chat/completions")
    # When the same brief arrives again
    enqueue_brief(running, payload)
    wait_for(lambda: "post.duplicate" in events_for(running.runtime, payload["brief_id"]))
    # Then no model call is paid again and there is still one Pin
    assert fresh_sandbox.state.request_count("POST", "/openai/v1/chat/completions") == calls
    assert len(fresh_sandbox.state.pins_on_board(channel.board_id)) == 1
