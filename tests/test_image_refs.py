"""Rendered images travel by reference: stored once, never in a message, draft, outcome or event.

The writer and the publisher run as real Dramatiq worker threads on real Redis; the LLM and
Pinterest are the local sandbox. The image Pinterest receives is read from the worker's own
create request; Redis is scanned for long base64 runs afterwards.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from click.testing import CliRunner
from PIL import Image
from pydantic import SecretStr, ValidationError

from pinterest_agent.agents.image_refs import ImageExpiredError, image_source
from pinterest_agent.agents.messages import (
    IMAGE_BASE64_MAX,
    ImageBase64Media,
    ImageRefMedia,
    SocialPost,
)
from pinterest_agent.errors import ConfigurationError
from pinterest_agent.providers.sandbox.control import generated_image
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.entry.cli import main
from pinterest_agent.queues.jobs.actors import WRITE_ACTOR
from pinterest_agent.queues.jobs.enqueue import enqueue_message
from pinterest_agent.queues.jobs.publish import bounded_message
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings
from pinterest_agent.queues.stores.images import RedisImageStore
from tests.conftest import Channel, RunningWorker, make_settings
from tests.helpers import dead_letters, enqueue_publish, outcome_status, post_payload, wait_for

BRIEFS = Path(__file__).resolve().parent.parent / "fixtures" / "briefs"
BASE64_RUN = re.compile(rb"[A-Za-z0-9+/]{200,}")
"""A run this long of standard base64 (with a ``+`` or ``/`` in it) is image data: ids, hex
hashes and prose have no such runs, and the encrypted credentials (Fernet) are URL-safe base64,
which never contains ``+`` or ``/``."""


@pytest.fixture()
def settings(prefix: str, fresh_sandbox: SandboxServer) -> Settings:
    return make_settings(prefix, fresh_sandbox,
                         openai_base_url=f"{fresh_sandbox.base_url}/openai/v1",
                         openai_api_key=SecretStr("sandbox-key"))


@pytest.fixture()
def sent(runtime: Runtime) -> list[httpx.Request]:
    """Every request the worker's Pinterest client sends."""
    seen: list[httpx.Request] = []
    runtime.pinterest_http.event_hooks["request"].append(seen.append)
    return seen


def brief(sandbox: SandboxServer, brief_id: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((BRIEFS / "product.json").read_text())
    data.update(
        brief_id=brief_id, channel_id="shop", publish=True,
        destination_url=f"{sandbox.https_base_url}/_sandbox/pages/product",
        source_image_urls=[f"{sandbox.base_url}/_sandbox/images/{brief_id}-1200x1800.jpg"],
    )
    data.pop("board_hint", None)
    data.pop("board_id", None)
    data.update(overrides)
    return data


def enqueue_brief(running: RunningWorker, payload: dict[str, Any]) -> Any:
    return enqueue_message(running.broker, queue=running.runtime.settings.queue_writer,
                           actor=WRITE_ACTOR, payload=payload)


def stored_values(client: redis.Redis[bytes], prefix: str) -> Iterator[tuple[bytes, bytes]]:
    """(key, value) for every value under *prefix* except the image store itself: strings,
    hash fields, list items, set and sorted set members, stream entries."""
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        if key.startswith(f"{prefix}:image:".encode()):
            continue
        kind = client.type(key)  # type: ignore[no-untyped-call]
        values: list[bytes] = []
        if kind == b"string":
            values = [client.get(key) or b""]
        elif kind == b"hash":
            values = list(client.hgetall(key).values())
        elif kind == b"list":
            values = client.lrange(key, 0, -1)
        elif kind == b"set":
            values = list(client.smembers(key))
        elif kind == b"zset":
            values = client.zrange(key, 0, -1)
        elif kind == b"stream":
            values = [v for _, fields in client.xrange(key) for v in fields.values()]
        for value in values:
            yield key, value


def base64_runs(client: redis.Redis[bytes], prefix: str) -> list[bytes]:
    """The keys holding a value with base64 image data in it."""
    return [key for key, value in stored_values(client, prefix)
            if any(b"+" in run or b"/" in run for run in BASE64_RUN.findall(value))]


# -- the store ----------------------------------------------------------------------------------


@pytest.mark.redis
def test_an_image_is_stored_once_and_kept_its_ttl_after_its_post_is_due(
    redis_server: redis.Redis[bytes], prefix: str
) -> None:
    now = 1_000_000.0
    images = RedisImageStore(redis_server, prefix, ttl_s=7 * 86400, clock=lambda: now)
    data = generated_image("stored", 100, 150)
    key = f"{prefix}:image:{hashlib.sha256(data).hexdigest()}"
    # When the same image is stored twice, the second time for a post due in 30 days
    first = images.put(data)
    assert 7 * 86400 - 5 <= redis_server.ttl(key) <= 7 * 86400
    second = images.put(data, due_at=now + 30 * 86400)
    # Then it is one key, named by its hash, kept 7 days past the later due time
    assert first == second == hashlib.sha256(data).hexdigest()
    assert len(list(redis_server.scan_iter(match=f"{prefix}:image:*"))) == 1
    assert redis_server.ttl(key) > 36 * 86400
    # And storing it again for now never shortens that
    images.put(data)
    assert redis_server.ttl(key) > 36 * 86400
    assert images.get(first) == data and images.exists(first)
    assert images.get("0" * 64) is None and not images.exists("0" * 64)


@pytest.mark.redis
def test_a_reference_resolves_to_the_stored_bytes_or_fails_clearly(
    redis_server: redis.Redis[bytes], prefix: str
) -> None:
    images = RedisImageStore(redis_server, prefix, ttl_s=60)
    data = generated_image("resolve", 100, 150)
    ref = ImageRefMedia(sha256=images.put(data), content_type="image/jpeg")
    source = image_source(ref, images)
    assert base64.b64decode(source.data) == data and source.content_type == "image/jpeg"
    # A reference to an image the store does not hold is permanent, and says what to do
    with pytest.raises(ImageExpiredError) as gone:
        image_source(ImageRefMedia(sha256="f" * 64, content_type="image/jpeg"), images)
    assert gone.value.code == "image_expired" and gone.value.field == "media.sha256"
    assert "send the brief" in gone.value.message
    with pytest.raises(ConfigurationError):
        image_source(ref, None)


def test_inline_images_are_capped_at_pinterests_20_mib() -> None:
    assert len(base64.b64encode(bytes(20 * 1024 * 1024))) == IMAGE_BASE64_MAX
    ImageBase64Media(content_type="image/png", data="A" * IMAGE_BASE64_MAX)
    with pytest.raises(ValidationError) as refused:
        ImageBase64Media(content_type="image/png", data="A" * (IMAGE_BASE64_MAX + 4))
    assert refused.value.errors()[0]["loc"] == ("data",)


def test_the_schema_offers_the_image_ref_media_kind() -> None:
    result = CliRunner().invoke(main, ["schema", "--model", "SocialPost"])
    assert result.exit_code == 0, result.output
    post = json.loads(result.stdout)
    ref = post["$defs"]["ImageRefMedia"]
    assert ref["properties"]["type"]["const"] == "image_ref"
    assert set(ref["required"]) == {"sha256", "content_type"}
    assert ref["properties"]["sha256"]["pattern"] == "^[0-9a-f]{64}$"
    assert post["properties"]["media"]["discriminator"]["mapping"]["image_ref"].endswith(
        "ImageRefMedia")


# -- through the workers ------------------------------------------------------------------------


@pytest.mark.redis
def test_a_rendered_image_reaches_pinterest_by_reference_and_never_sits_in_redis_as_base64(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
    sent: list[httpx.Request], runtime: Runtime, prefix: str,
) -> None:
    # Given the writer and the publisher on real worker threads
    running = start_worker()
    payload = brief(fresh_sandbox, "ref-1")
    # When a brief is written, designed and handed to the publisher
    enqueue_brief(running, payload)
    published = wait_for(lambda: outcome_status(runtime, "ref-1", "published"))
    drafted = runtime.store.outcomes.get("brief", "ref-1")
    assert drafted is not None
    # Then the draft holds a reference to the rendered image, stored once
    draft = SocialPost.model_validate_json(runtime.store.documents.get("draft", "ref-1") or "")
    assert isinstance(draft.media, ImageRefMedia)
    assert draft.media.sha256 == drafted["image"]["sha256"]
    # And the Pin was made from exactly that image (decoded from the worker's create request)
    [create] = [r for r in sent if r.method == "POST" and r.url.path.endswith("/v5/pins")]
    source = json.loads(create.content)["media_source"]
    assert source["source_type"] == "image_base64"
    received = base64.b64decode(source["data"])
    assert hashlib.sha256(received).hexdigest() == draft.media.sha256
    assert len(received) == drafted["image"]["bytes"]
    with Image.open(io.BytesIO(received)) as image:
        assert image.size == (1000, 1500)
    [pin] = fresh_sandbox.state.pins_on_board(channel.board_id)
    assert pin.id == published["pin_id"]
    # And no event, outcome, draft, ledger entry or queue in Redis carries base64 image data
    assert base64_runs(runtime.redis_client, prefix) == []
    assert [e["type"] for e in runtime.store.outcomes.events() if e["id"] == "ref-1"] == [
        "post.drafted", "post.published"]


@pytest.mark.redis
def test_an_expired_image_fails_the_post_clearly_and_a_new_brief_renders_it_again(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
    runtime: Runtime, prefix: str,
) -> None:
    # Given a drafted (not published) brief whose image then expired
    running = start_worker()
    payload = brief(fresh_sandbox, "ref-2", publish=False)
    enqueue_brief(running, payload)
    wait_for(lambda: (runtime.store.outcomes.get("brief", "ref-2") or {}).get("status")
             == "drafted")
    stored = runtime.store.documents.get("draft", "ref-2")
    assert stored is not None
    draft = json.loads(stored)
    runtime.redis_client.delete(f"{prefix}:image:{draft['media']['sha256']}")
    # When the draft is sent to the publisher
    message = enqueue_publish(running.broker, runtime.settings, draft)
    # Then it fails at once with image_expired, naming the field and what to do; no Pin
    failed = wait_for(lambda: outcome_status(runtime, "ref-2", "failed"))
    assert failed["error"]["code"] == "image_expired"
    assert failed["error"]["field"] == "media.sha256"
    assert "send the brief to the writer again" in failed["error"]["message"]
    dead = wait_for(lambda: dead_letters(runtime).find(message.message_id))
    assert dead.retries == 0
    assert fresh_sandbox.state.pins_on_board(channel.board_id) == []
    # And the brief sent again (now to publish) renders the image anew and publishes it
    enqueue_brief(running, {**payload, "publish": True})
    wait_for(lambda: outcome_status(runtime, "ref-2", "published"))
    redrafted = json.loads(runtime.store.documents.get("draft", "ref-2") or "{}")
    assert runtime.images.exists(redrafted["media"]["sha256"])
    assert len(fresh_sandbox.state.pins_on_board(channel.board_id)) == 1
    assert base64_runs(runtime.redis_client, prefix) == []


@pytest.mark.redis
def test_an_upstream_inline_image_that_fails_is_recorded_without_its_bytes(
    fresh_sandbox: SandboxServer, start_worker: Callable[..., RunningWorker], runtime: Runtime,
    prefix: str,
) -> None:
    # Given an upstream post with an inline image, for a channel this worker does not know
    running = start_worker()
    data = base64.b64encode(generated_image("inline", 300, 450)).decode()
    media = {"type": "image_base64", "content_type": "image/jpeg", "data": data}
    message = enqueue_publish(running.broker, runtime.settings,
                              post_payload(fresh_sandbox, "inline-1", channel_id="nobody",
                                           media=media))
    # When it fails for good
    failed = wait_for(lambda: outcome_status(runtime, "inline-1", "failed"))
    # Then the outcome shows the whole message, its image as a length and a hash
    shown = failed["message"]["media"]
    assert shown == {"type": "image_base64", "content_type": "image/jpeg",
                     "data_chars": len(data),
                     "data_sha256": hashlib.sha256(data.encode()).hexdigest()}
    assert failed["message_sha256"] == bounded_message(message.args[0])["message_sha256"]
    # And no outcome or event carries the image (the dead-letter queue keeps the message)
    outcomes_and_events = [key for key in base64_runs(runtime.redis_client, prefix)
                           if b":outcome:" in key or key.endswith(b":events")]
    assert outcomes_and_events == []
