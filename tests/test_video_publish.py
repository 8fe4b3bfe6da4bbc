"""Video Pins end to end: real Redis, real Dramatiq worker threads, the local sandbox.

The sandbox serves small fake MP4s (``/_sandbox/videos/NAME``), emulates ``POST /v5/media``, the
S3 upload form (411 without a Content-Length) and ``GET /v5/media/{id}`` moving to ``succeeded``
after ``media_polls`` polls; every request the provider sends is checked against the spec.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from unittest import mock

import httpx
import pytest
from pydantic import ValidationError

from pinterest_agent.agents.messages import SocialPost
from pinterest_agent.agents.ports import LedgerEntry
from pinterest_agent.agents.publisher import to_pin_create
from pinterest_agent.agents.video import SourceNotAVideoError, sniff_video
from pinterest_agent.providers.sandbox.control import generated_video
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings
from pinterest_agent.queues.stores.ledger import RedisPublishLedger
from tests.conftest import Channel, RunningWorker, make_settings
from tests.helpers import dead_letters, enqueue_publish, outcome_status, post_payload, wait_for

UPLOAD = "/_sandbox/upload/{media_id}"


@pytest.fixture()
def settings(prefix: str, fresh_sandbox: SandboxServer, request: pytest.FixtureRequest) -> Settings:
    """The shared test settings; a test may override some with indirect parametrization."""
    overrides: dict[str, Any] = getattr(request, "param", {})
    return make_settings(prefix, fresh_sandbox, **overrides)


def video_payload(
    sandbox: SandboxServer, post_id: str = "video-1", *, url: str | None = None, **media: Any
) -> dict[str, Any]:
    video = {"type": "video", "url": url or f"{sandbox.base_url}/_sandbox/videos/clip.mp4",
             **media}
    return post_payload(sandbox, post_id, media=video)


@pytest.fixture()
def sent(runtime: Runtime) -> list[httpx.Request]:
    """Every request the worker's Pinterest client sends (API calls and uploads)."""
    seen: list[httpx.Request] = []
    runtime.pinterest_http.event_hooks["request"].append(seen.append)
    return seen


def counts(sandbox: SandboxServer) -> dict[str, int]:
    state = sandbox.state
    return {
        "register": state.request_count("POST", "/v5/media"),
        "upload": state.request_count("POST", UPLOAD),
        "poll": state.request_count("GET", "/v5/media/{media_id}"),
        "create": state.request_count("POST", "/v5/pins"),
    }


def event_types(runtime: Runtime) -> list[str]:
    return [e["type"] for e in runtime.store.outcomes.events()]


# -- the message and the pieces, no broker -------------------------------------------------------


def test_a_video_post_takes_one_cover_and_defaults_to_key_frame_zero() -> None:
    sandbox_like = "https://cdn.example.com"
    base = {
        "schema_version": 1, "post_id": "v", "platform": "pinterest", "channel_id": "shop",
        "title": "A video", "link": "https://shop.example.com/p",
    }

    def post(**media: Any) -> SocialPost:
        return SocialPost.model_validate(
            {**base, "media": {"type": "video", "url": f"{sandbox_like}/v.mp4", **media}})

    # Given no cover, the first frame is the cover (Pinterest refuses a video Pin without one)
    source = to_pin_create(post(), "123", media_id="456").model_dump(exclude_none=True)
    assert source["media_source"] == {"source_type": "video_id", "media_id": "456",
                                      "cover_image_key_frame_time": 0}
    # A cover image or a key frame is passed on as given
    with_image = to_pin_create(post(cover_image_url=f"{sandbox_like}/c.jpg"), "1", media_id="2")
    assert with_image.model_dump(exclude_none=True)["media_source"]["cover_image_url"].endswith(
        "/c.jpg")
    with_frame = to_pin_create(post(cover_key_frame_time_s=7), "1", media_id="2")
    assert with_frame.model_dump()["media_source"]["cover_image_key_frame_time"] == 7
    # Both covers, a negative frame, or an http cover are refused before any request
    for bad in ({"cover_image_url": f"{sandbox_like}/c.jpg", "cover_key_frame_time_s": 1},
                {"cover_key_frame_time_s": -1}, {"cover_image_url": "http://cdn.example.com/c"}):
        with pytest.raises(ValidationError):
            post(**bad)


def test_the_schema_offers_video_media() -> None:
    schema = SocialPost.model_json_schema()
    video = schema["$defs"]["VideoMedia"]
    assert video["properties"]["type"]["const"] == "video"
    assert set(video["properties"]) == {"type", "url", "cover_image_url",
                                        "cover_key_frame_time_s"}
    assert video["not"]["required"] == ["cover_image_url", "cover_key_frame_time_s"]


def test_only_iso_media_files_pass_the_sniff() -> None:
    assert sniff_video(b"\x00\x00\x00\x18ftypisom" + bytes(12)) == ".mp4"
    assert sniff_video(b"\x00\x00\x00\x14ftypqt  " + bytes(8)) == ".mov"
    for body in (b"", b"<!doctype html><html></html>", b"\xff\xd8\xff\xe0" + bytes(20)):
        with pytest.raises(SourceNotAVideoError):
            sniff_video(body)


def test_sandbox_serves_fake_videos_on_get_and_head(sandbox: SandboxServer) -> None:
    url = f"{sandbox.base_url}/_sandbox/videos/clip.mp4"
    got = httpx.get(url)
    head = httpx.head(url)
    assert got.status_code == head.status_code == 200
    assert got.headers["content-type"] == "video/mp4"
    assert got.content[4:8] == b"ftyp"
    assert head.content == b"" and head.headers["content-length"] == str(len(got.content))
    assert httpx.get(f"{sandbox.base_url}/_sandbox/videos/a.mov").content[8:12] == b"qt  "


@pytest.mark.redis
def test_ledger_keeps_a_video_upload_until_it_is_used_or_given_up(runtime: Runtime) -> None:
    ledger = runtime.store.ledger
    # An upload on a fresh post: state uploaded, with its media id and time
    assert ledger.acquire_lease("p1", "attempt-1", message='{"post_id": "p1"}')[0]
    ledger.set_media("p1", "111", 1000.5)
    entry = ledger.get("p1")
    assert entry is not None
    assert (entry.state, entry.media_id, entry.media_registered_at) == ("uploaded", "111", 1000.5)
    # The create keeps it; a refused create goes back to uploaded (no second upload needed)
    ledger.mark_creating(entry.model_copy(update={"state": "creating", "board_id": "9",
                                                  "attempt": "attempt-1"}))
    assert (ledger.get("p1") or entry).state == "creating"
    ledger.clear_creating("p1")
    again = ledger.get("p1")
    assert again is not None and (again.state, again.media_id) == ("uploaded", "111")
    # Giving the upload up leaves the post leased, its message kept for the reconciler
    ledger.clear_media("p1")
    left = ledger.get("p1")
    assert left is not None and (left.state, left.media_id) == ("leased", None)
    assert ledger.message("p1") == '{"post_id": "p1"}'
    # An entry already creating stays creating (its reconcile trace is kept)
    assert ledger.acquire_lease("p2", "attempt-2")[0]
    ledger.mark_creating(LedgerEntry(post_id="p2", state="creating", board_id="9",
                                     attempt="attempt-2"))
    ledger.set_media("p2", "222", 1.0)
    ledger.clear_media("p2")
    kept = ledger.get("p2")
    assert kept is not None and (kept.state, kept.media_id) == ("creating", None)
    # A refused create without an upload goes back to leased, as before any create
    ledger.clear_creating("p2")
    assert (ledger.get("p2") or kept).state == "leased"


def test_creating_needs_the_lease(runtime: Runtime) -> None:
    from pinterest_agent.agents.ports import LeaseLostError

    ledger = runtime.store.ledger
    assert ledger.acquire_lease("p3", "mine")[0]
    ledger.release_lease("p3", "mine")
    assert ledger.acquire_lease("p3", "theirs")[0]
    # An attempt whose lease lapsed and was taken by another must not create
    with pytest.raises(LeaseLostError):
        ledger.mark_creating(LedgerEntry(post_id="p3", state="creating", attempt="mine"))
    assert (ledger.get("p3") or LedgerEntry(post_id="p3", state="published")).state == "leased"


# -- through the worker ---------------------------------------------------------------------------


@pytest.mark.redis
def test_video_post_becomes_one_video_pin_after_processing(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
    sent: list[httpx.Request],
) -> None:
    # Given Pinterest needs three status polls to process a video
    fresh_sandbox.state.media_polls = 3
    running = start_worker()
    # When a video post is enqueued
    enqueue_publish(running.broker, running.runtime.settings, video_payload(fresh_sandbox))
    outcome = wait_for(lambda: outcome_status(running.runtime, "video-1", "published"))
    # Then one VIDEO Pin, made once the upload had succeeded
    [pin] = fresh_sandbox.state.pins_on_board(channel.board_id)
    assert pin.id == outcome["pin_id"] and pin.creative_type == "VIDEO"
    assert counts(fresh_sandbox) == {"register": 1, "upload": 1, "poll": 3, "create": 1}
    # And the upload went out with a real Content-Length (S3 refuses chunked bodies)
    [upload] = [r for r in sent if r.url.path.startswith("/_sandbox/upload/")]
    video_bytes = len(generated_video("clip.mp4"))
    assert int(upload.headers["content-length"]) > video_bytes
    assert "transfer-encoding" not in upload.headers
    # And the Pin uses the upload with the first frame as its cover
    [create] = [r for r in sent if r.method == "POST" and r.url.path.endswith("/v5/pins")]
    source = json.loads(create.content)["media_source"]
    assert source["source_type"] == "video_id" and source["cover_image_key_frame_time"] == 0
    # And waiting for processing was not reported as a failure
    assert event_types(running.runtime) == ["post.published"]
    entry = running.runtime.store.ledger.get("video-1")
    assert entry is not None and entry.state == "published"
    assert entry.media_id == source["media_id"]
    assert fresh_sandbox.state.records.media[source["media_id"]].size == video_bytes


@pytest.mark.redis
def test_duplicated_video_post_uploads_once_and_makes_one_pin(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker]
) -> None:
    # Given the same video post delivered twice, processed concurrently
    fresh_sandbox.state.media_polls = 3
    running = start_worker(threads=4)
    payload = video_payload(fresh_sandbox)
    enqueue_publish(running.broker, running.runtime.settings, payload)
    enqueue_publish(running.broker, running.runtime.settings, json.dumps(payload))
    wait_for(lambda: "post.duplicate" in event_types(running.runtime))
    # Then one upload, one Pin, one post.published
    found = counts(fresh_sandbox)
    assert (found["register"], found["upload"], found["create"]) == (1, 1, 1)
    assert len(fresh_sandbox.state.pins_on_board(channel.board_id)) == 1
    assert event_types(running.runtime).count("post.published") == 1


@pytest.mark.redis
@pytest.mark.parametrize(("crash", "uploads"), [("before_store", 2), ("after_store", 1)])
def test_crash_right_after_the_upload(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
    crash: str, uploads: int,
) -> None:
    # Given the worker dies right after an upload, before or after the ledger stores media_id
    original = RedisPublishLedger.set_media
    calls = {"n": 0}

    def set_media_then_crash(
        self: RedisPublishLedger, post_id: str, media_id: str, at: float
    ) -> None:
        calls["n"] += 1
        first = calls["n"] == 1
        if first and crash == "before_store":
            raise RuntimeError("worker killed after the upload")
        original(self, post_id, media_id, at)
        if first and crash == "after_store":
            raise RuntimeError("worker killed after storing the upload")

    with mock.patch.object(RedisPublishLedger, "set_media", set_media_then_crash):
        running = start_worker()
        # When the message is delivered, then redelivered by Retries
        enqueue_publish(running.broker, running.runtime.settings, video_payload(fresh_sandbox))
        wait_for(lambda: outcome_status(running.runtime, "video-1", "published"))
    # Then a stored upload is never sent again (an unstored one may be), and one Pin exists
    found = counts(fresh_sandbox)
    assert (found["register"], found["upload"]) == (uploads, uploads)
    assert found["create"] == 1
    assert len(fresh_sandbox.state.pins_on_board(channel.board_id)) == 1


@pytest.mark.redis
def test_failed_processing_is_permanent_and_a_replay_uploads_again(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker]
) -> None:
    # Given a video Pinterest cannot process
    running = start_worker()
    url = f"{fresh_sandbox.base_url}/_sandbox/videos/broken-fail.mp4"
    message = enqueue_publish(running.broker, running.runtime.settings,
                              video_payload(fresh_sandbox, url=url))
    # Then the post fails at once with video_processing_failed, dead-lettered, nothing published
    outcome = wait_for(lambda: outcome_status(running.runtime, "video-1", "failed"))
    assert outcome["error"]["code"] == "video_processing_failed"
    assert outcome["error"]["field"] == "media.url"
    dead = wait_for(lambda: dead_letters(running.runtime).find(message.message_id))
    assert dead.retries == 0
    assert fresh_sandbox.state.pins_on_board(channel.board_id) == []
    assert counts(fresh_sandbox)["create"] == 0
    # And the upload is forgotten, so a replayed job uploads again; the failed post is not
    # driven again by the reconciler (an operator replays it)
    ledger = running.runtime.store.ledger
    left = ledger.get("video-1")
    assert left is not None and left.media_id is None and left.state == "leased"
    assert ledger.overdue() == [] and not running.runtime.redis_client.zscore(
        ledger.open_key, "video-1")
    dead_letters(running.runtime).retry(running.broker, dead.dead_id)
    wait_for(lambda: counts(fresh_sandbox)["register"] == 2 and dead_letters(
        running.runtime).find(message.message_id))
    assert counts(fresh_sandbox)["upload"] == 2


@pytest.mark.redis
@pytest.mark.parametrize(
    ("path", "code"),
    [("/_sandbox/images/cover.jpg", "source_not_a_video"),
     ("/_sandbox/pages/video", "source_not_a_video"),
     ("/_sandbox/status/404", "source_unreachable")],
)
def test_a_url_that_is_not_a_video_fails_before_any_upload(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
    path: str, code: str,
) -> None:
    running = start_worker()
    url = f"{fresh_sandbox.base_url}{path}"
    enqueue_publish(running.broker, running.runtime.settings,
                    video_payload(fresh_sandbox, url=url))
    outcome = wait_for(lambda: outcome_status(running.runtime, "video-1", "failed"))
    assert outcome["error"]["code"] == code
    assert counts(fresh_sandbox)["register"] == 0
    assert fresh_sandbox.state.pins_on_board(channel.board_id) == []


@pytest.mark.redis
@pytest.mark.parametrize("url", ["http://10.1.2.3/clip.mp4",
                                 "http://169.254.169.254/latest/clip.mp4"])
def test_a_video_on_a_private_address_is_unsafe(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
    url: str,
) -> None:
    running = start_worker()
    enqueue_publish(running.broker, running.runtime.settings,
                    video_payload(fresh_sandbox, url=url))
    outcome = wait_for(lambda: outcome_status(running.runtime, "video-1", "failed"))
    assert outcome["error"]["code"] == "unsafe_url"
    assert counts(fresh_sandbox)["register"] == 0


@pytest.mark.redis
def test_polls_do_not_use_up_the_retries_of_a_real_failure(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker]
) -> None:
    # Given more processing polls than the job has retries, then one 503 on the create
    running = start_worker()
    fresh_sandbox.state.media_polls = running.runtime.settings.max_retries + 3
    fresh_sandbox.state.faults.add(
        "POST", "/v5/pins", status=503, body={"code": 0, "message": "unavailable"}, times=1
    )
    enqueue_publish(running.broker, running.runtime.settings, video_payload(fresh_sandbox))
    # Then the 503 is retried like any transient failure and the Pin is made from one upload
    wait_for(lambda: outcome_status(running.runtime, "video-1", "published"))
    found = counts(fresh_sandbox)
    assert (found["register"], found["upload"], found["create"]) == (1, 1, 2)
    assert len(fresh_sandbox.state.pins_on_board(channel.board_id)) == 1
    assert event_types(running.runtime) == ["post.retrying", "post.published"]


@pytest.mark.redis
@pytest.mark.parametrize("settings", [{"video_processing_timeout_s": 0.001}], indirect=True)
def test_processing_past_the_timeout_is_retried_with_a_new_upload_then_dead_lettered(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
    settings: Settings,
) -> None:
    # Given Pinterest never finishes processing
    fresh_sandbox.state.media_polls = 1_000_000
    running = start_worker()
    message = enqueue_publish(running.broker, settings, video_payload(fresh_sandbox))
    # Then each attempt gives up with video_processing_timeout, retried up to max_retries
    outcome = wait_for(lambda: outcome_status(running.runtime, "video-1", "failed"))
    assert outcome["error"]["code"] == "video_processing_timeout"
    assert wait_for(lambda: dead_letters(running.runtime).find(message.message_id))
    retrying = [e for e in running.runtime.store.outcomes.events() if e["type"] == "post.retrying"]
    assert len(retrying) == settings.max_retries
    assert {e["payload"]["error"]["code"] for e in retrying} == {"video_processing_timeout"}
    # And every attempt uploaded afresh (the timed-out upload was forgotten); no Pin
    found = counts(fresh_sandbox)
    assert found["register"] == found["upload"] == settings.max_retries + 1
    assert found["create"] == 0
