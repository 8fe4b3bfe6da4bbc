"""Videos are streamed: fetched into a temporary file, uploaded from it, never held in memory.

A small stdlib server on loopback serves generated bodies (with or without a Content-Length) and
counts what it manages to send, so a test can tell "refused at the first bytes" from "downloaded,
then refused". Uploads go to the sandbox's S3 stand-in, which keeps each upload's size and SHA-256.
"""

from __future__ import annotations

import hashlib
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from pinterest_agent.agents.messages import VideoMedia
from pinterest_agent.agents.video import SourceNotAVideoError, VideoOptions, VideoUploads
from pinterest_agent.providers.netsafe import FetchTooLargeError, SafeFetcher, UnsafeURLError
from pinterest_agent.providers.pinterest import MediaUpload, PinterestClient
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings
from tests.conftest import Channel, RunningWorker, make_settings
from tests.helpers import enqueue_publish, outcome_status, post_payload, wait_for

MiB = 1024 * 1024
FTYP = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41"


def filler(size: int, *, video: bool) -> Iterator[bytes]:
    """*size* bytes in 64 KiB chunks: an ``ftyp`` box then filler, or HTML-ish bytes."""
    first = FTYP if video else b"<!doctype html><html>"
    block = hashlib.sha256(b"filler").digest() * 2048  # 64 KiB
    sent = 0
    while sent < size:
        chunk = (first + block)[: min(len(block), size - sent)] if sent == 0 else \
            block[: size - sent]
        yield chunk
        sent += len(chunk)


def body_of(size: int, *, video: bool) -> bytes:
    return b"".join(filler(size, video=video))


class _Bodies(BaseHTTPRequestHandler):
    """``/video?size=N``, ``/page?size=N`` with a Content-Length; ``&length=none`` sends none
    (the body ends when the connection closes). Counts the bytes each request got out."""

    protocol_version = "HTTP/1.1"
    sent: ClassVar[list[int]] = []

    def do_GET(self) -> None:
        split = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(split.query).items()}
        size = int(query["size"])
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4" if split.path == "/video" else "text/html")
        if query.get("length") == "none":
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(size))
        self.end_headers()
        sent = 0
        try:
            for chunk in filler(size, video=split.path == "/video"):
                self.wfile.write(chunk)
                sent += len(chunk)
        except OSError:
            self.close_connection = True
        finally:
            self.sent.append(sent)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture()
def bodies() -> Iterator[tuple[str, list[int]]]:
    """The server's base URL and the list of bytes sent per request."""
    _Bodies.sent = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Bodies)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Bodies.sent
    server.shutdown()
    server.server_close()


@pytest.fixture()
def fetcher() -> Iterator[SafeFetcher]:
    safe = SafeFetcher(allow_loopback=True)
    yield safe
    safe.close()


# -- the streaming fetch ------------------------------------------------------------------------


def test_a_fetch_to_file_streams_the_body_to_disk_and_deletes_it_after_the_block(
    bodies: tuple[str, list[int]], fetcher: SafeFetcher, tmp_path: Path
) -> None:
    base, _ = bodies
    # When a 3 MiB video is fetched to a file
    with fetcher.fetch_to_file(f"{base}/video?size={3 * MiB}", max_bytes=4 * MiB,
                               directory=tmp_path, head_bytes=12) as fetched:
        # Then the file holds every byte, and its first bytes are at hand
        assert fetched.path.parent == tmp_path and fetched.size == 3 * MiB
        assert hashlib.sha256(fetched.path.read_bytes()).hexdigest() == hashlib.sha256(
            body_of(3 * MiB, video=True)).hexdigest()
        assert fetched.head == FTYP[:12]
    # And the file is gone once the block ends
    assert list(tmp_path.iterdir()) == []


def test_the_file_is_deleted_when_the_block_fails(
    bodies: tuple[str, list[int]], fetcher: SafeFetcher, tmp_path: Path
) -> None:
    base, _ = bodies
    with pytest.raises(RuntimeError), fetcher.fetch_to_file(
        f"{base}/video?size=1000", max_bytes=4 * MiB, directory=tmp_path
    ):
        assert len(list(tmp_path.iterdir())) == 1
        raise RuntimeError("the upload failed")
    assert list(tmp_path.iterdir()) == []


def test_a_body_over_the_cap_is_refused_mid_stream_and_the_partial_file_deleted(
    bodies: tuple[str, list[int]], fetcher: SafeFetcher, tmp_path: Path
) -> None:
    base, _ = bodies
    seen: list[list[Path]] = []
    # Given a body with no Content-Length, 8 MiB long, and a 1 MiB cap
    url = f"{base}/video?size={8 * MiB}&length=none"
    # When it is fetched to a file
    with pytest.raises(FetchTooLargeError) as refused, fetcher.fetch_to_file(
        url, max_bytes=MiB, directory=tmp_path, head_bytes=12,
        check_head=lambda head: seen.append(list(tmp_path.iterdir())),
    ):
        pytest.fail("an over-cap body must not be handed over")
    # Then it was being written to a file in the directory, and that partial file is gone
    assert len(seen) == 1 and len(seen[0]) == 1
    assert list(tmp_path.iterdir()) == []
    assert refused.value.code == "source_too_large"
    assert str(refused.value.details["url"]).startswith(f"{base}/video")


def test_a_declared_length_over_the_cap_is_refused_before_the_body(
    bodies: tuple[str, list[int]], fetcher: SafeFetcher, tmp_path: Path
) -> None:
    base, _ = bodies
    with pytest.raises(FetchTooLargeError, match=f"{64 * MiB} bytes"), fetcher.fetch_to_file(
        f"{base}/video?size={64 * MiB}", max_bytes=MiB, directory=tmp_path
    ):
        pytest.fail("an over-cap body must not be handed over")
    assert list(tmp_path.iterdir()) == []


def test_the_fetch_keeps_the_ssrf_guard(tmp_path: Path) -> None:
    # Given the production fetcher (no loopback), a video URL on a private address is refused
    fetcher = SafeFetcher()
    with pytest.raises(UnsafeURLError), fetcher.fetch_to_file(
        "http://127.0.0.1:9/clip.mp4", max_bytes=MiB, directory=tmp_path
    ):
        pytest.fail("a private address must not be fetched")
    assert list(tmp_path.iterdir()) == []


# -- the video steps ----------------------------------------------------------------------------


class _NoCalls:
    """An ApiCall that fails the test if the video step reaches Pinterest."""

    def __call__(self, fn: Callable[[PinterestClient], Any], /) -> Any:
        pytest.fail("nothing may be registered or uploaded for a refused video")


@pytest.mark.redis
def test_a_non_video_is_refused_at_its_first_bytes_without_downloading_the_rest(
    bodies: tuple[str, list[int]], fetcher: SafeFetcher, tmp_path: Path, runtime: Runtime
) -> None:
    base, sent = bodies
    size = 128 * MiB
    uploads = VideoUploads(ledger=runtime.store.ledger, fetcher=fetcher,
                           options=VideoOptions(tmp_dir=tmp_path))
    # When a "video" URL answers with 128 MiB of HTML
    media = VideoMedia(url=f"{base}/page?size={size}")
    with pytest.raises(SourceNotAVideoError):
        uploads.ready_media_id("not-a-video", media, None, _NoCalls())
    # Then it is refused from its first bytes: the server got out no more than what the
    # sockets buffer (a few MiB), far from the whole body; and no file is left behind
    wait_for(lambda: len(sent) == 1)
    assert sent[0] < 32 * MiB
    assert list(tmp_path.iterdir()) == []


def test_the_default_video_cap_is_2_gib() -> None:
    assert Settings().max_video_bytes == 2 * 1024 * MiB
    assert VideoOptions().max_bytes == 2 * 1024 * MiB


# -- the streamed upload ------------------------------------------------------------------------


def test_an_upload_from_a_file_sends_its_length_and_the_store_gets_every_byte(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    # Given a registered upload and a 5 MiB video file
    account = sandbox.state.seed_account("uploader")
    seen: list[httpx.Request] = []
    with httpx.Client(base_url=sandbox.api_base,
                      event_hooks={"request": [seen.append]}) as http:
        api = PinterestClient(http, account.access_token)
        upload: MediaUpload = api.media.register_video()
        video = tmp_path / "clip.mp4"
        video.write_bytes(body_of(5 * MiB, video=True))
        # When it is uploaded from the file
        api.media.upload(upload, video, "video.mp4")
    # Then the request carried a real Content-Length (S3 refuses chunked bodies) ...
    [sent] = [r for r in seen if r.url.path.startswith("/_sandbox/upload/")]
    assert int(sent.headers["content-length"]) > 5 * MiB
    assert "transfer-encoding" not in sent.headers
    # ... and the store received every byte of the file
    stored = sandbox.state.records.media[upload.media_id]
    assert stored.size == 5 * MiB
    assert stored.sha256 == hashlib.sha256(video.read_bytes()).hexdigest()
    assert stored.status in ("processing", "succeeded")


def test_the_upload_store_refuses_a_body_shorter_than_its_content_length(
    sandbox: SandboxServer,
) -> None:
    # Given a registered upload
    account = sandbox.state.seed_account("short-body")
    with httpx.Client(base_url=sandbox.api_base) as http:
        upload = PinterestClient(http, account.access_token).media.register_video()
    # When a client declares 10,000 bytes, sends 100 and stops sending
    path = f"/_sandbox/upload/{upload.media_id}"
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10000\r\n"
            "Content-Type: multipart/form-data; boundary=x\r\n\r\n").encode()
    with socket.create_connection((sandbox.host, sandbox.port), timeout=10) as conn:
        conn.sendall(head + b"--x\r\n" + b"a" * 95)
        conn.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    # Then it answers as S3 does, and the upload is not taken
    assert answer.startswith(b"HTTP/1.1 400") and b"IncompleteBody" in answer
    assert sandbox.state.records.media[upload.media_id].status == "registered"


# -- through the worker -------------------------------------------------------------------------


@pytest.fixture()
def settings(prefix: str, fresh_sandbox: SandboxServer, tmp_path: Path) -> Settings:
    """The shared test settings, with the videos' temporary files in a directory of the test's
    own, so it can check none is left behind."""
    return make_settings(prefix, fresh_sandbox, video_tmp_dir=tmp_path / "videos")


def _video_post(sandbox: SandboxServer, post_id: str) -> dict[str, Any]:
    media = {"type": "video", "url": f"{sandbox.base_url}/_sandbox/videos/{post_id}.mp4"}
    return post_payload(sandbox, post_id, media=media)


@pytest.mark.redis
def test_no_temporary_file_is_left_after_a_published_video_or_a_refused_upload(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
    settings: Settings,
) -> None:
    assert settings.video_tmp_dir is not None
    settings.video_tmp_dir.mkdir()
    running = start_worker()
    # Given the upload store refuses one upload for good (403), and accepts the next
    fresh_sandbox.state.faults.add("POST", r"/_sandbox/upload/.*", status=403, times=1,
                                   body="<Error><Code>AccessDenied</Code></Error>")
    # When a video post is refused, then another published
    enqueue_publish(running.broker, settings, _video_post(fresh_sandbox, "refused"))
    failed = wait_for(lambda: outcome_status(running.runtime, "refused", "failed"))
    assert failed["error"]["code"] == "upload_rejected"
    enqueue_publish(running.broker, settings, _video_post(fresh_sandbox, "published"))
    wait_for(lambda: outcome_status(running.runtime, "published", "published"))
    # Then no temporary file is left behind either way
    assert list(settings.video_tmp_dir.iterdir()) == []
    # And the published video's upload reached the store whole
    from pinterest_agent.providers.sandbox.control import generated_video

    [stored] = [m for m in fresh_sandbox.state.records.media.values() if m.status == "succeeded"]
    assert stored.sha256 == hashlib.sha256(generated_video("published.mp4")).hexdigest()
