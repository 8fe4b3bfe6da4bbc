"""Every outbound request has a total deadline: a server that trickles its answer is cut off.

A loopback server answers every request with a valid status line and then one byte every half
second, for ever (in its headers, or in a long body). httpx's per-read timeout never fires on
it; the deadline must. The bounds asserted are generous (the machine is shared): what matters
is that the call ends, with the transient error of its kind, long before the trickle would.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dramatiq
import httpx
import pytest
from cryptography.fernet import Fernet
from dramatiq.brokers.stub import StubBroker
from pydantic import BaseModel, SecretStr

import pinterest_agent.providers.netsafe as netsafe
from pinterest_agent.agents.llm import LLMUnavailableError, OpenAIStructuredLLM, make_openai_client
from pinterest_agent.errors import TransientError
from pinterest_agent.prompts.loader import PromptLibrary
from pinterest_agent.providers import deadlines as deadlines_module
from pinterest_agent.providers.deadlines import (
    abort_reads,
    current_deadline,
    deadline,
    deadline_transport,
)
from pinterest_agent.providers.pinterest import PinterestClient, PinterestTransientError
from pinterest_agent.providers.pinterest.models import MediaUpload
from pinterest_agent.queues.broker.shutdown import SHUTDOWN_REASON, AbortReadsAtShutdown
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings

TRICKLE_FOR_S = 40.0
"""The trickle server gives up after this long, so that old code fails instead of hanging."""
BOUND_S = 20.0
"""A call with a 1 to 2 s deadline must end within this (generous on a shared machine)."""


class Greeting(BaseModel):
    text: str


class TrickleServer:
    """Answers each connection with ``HTTP/1.1 200 OK`` and then, one byte per ``interval_s``:
    ``mode="headers"`` the bytes of a header that never ends, ``mode="body"`` the body after
    complete headers declaring a megabyte."""

    def __init__(self, mode: str, interval_s: float = 0.5) -> None:
        self.mode = mode
        self.interval_s = interval_s
        self.requests: list[bytes] = []
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> TrickleServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._listener.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                self.requests.append(conn.recv(65536))
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                if self.mode == "body":
                    conn.sendall(b"Content-Type: image/png\r\nContent-Length: 1000000\r\n\r\n")
                else:
                    conn.sendall(b"X-Slow: ")
                ends = time.monotonic() + TRICKLE_FOR_S
                while time.monotonic() < ends and not self._stop.is_set():
                    conn.sendall(b"a")
                    time.sleep(self.interval_s)
            except OSError:
                return  # the client hung up: what a deadline does


@pytest.fixture(params=["headers", "body"])
def trickle(request: pytest.FixtureRequest) -> Iterator[TrickleServer]:
    with TrickleServer(request.param) as server:
        yield server


@pytest.fixture()
def header_trickle() -> Iterator[TrickleServer]:
    with TrickleServer("headers") as server:
        yield server


@contextmanager
def finishes_within(bound_s: float) -> Iterator[None]:
    started = time.monotonic()
    yield
    took = time.monotonic() - started
    assert took < bound_s, f"took {took:.1f} s"


def fetcher(**kwargs: Any) -> netsafe.SafeFetcher:
    return netsafe.SafeFetcher(allow_loopback=True, timeout_s=5.0, **kwargs)


# -- the SSRF-safe fetcher -------------------------------------------------------------------
def test_a_link_preflight_trickling_its_headers_ends_at_its_deadline(
    header_trickle: TrickleServer,
) -> None:
    # Given a destination page that sends one header byte every half second, and a 2 s deadline
    safe = fetcher(preflight_deadline_s=2.0)
    # When the link is preflighted
    with finishes_within(BOUND_S), pytest.raises(netsafe.DestinationUnavailableError) as failed:
        safe.check_reachable(f"{header_trickle.url}/page")
    # Then it ends as destination_unavailable (transient), saying the deadline passed
    assert failed.value.code == "destination_unavailable"
    assert isinstance(failed.value, TransientError)
    assert "did not finish within 2 s" in failed.value.message


def test_a_source_trickling_its_headers_or_body_ends_at_its_deadline(
    trickle: TrickleServer,
) -> None:
    # Given a source image that trickles (headers or body), and a 2 s fetch deadline
    safe = fetcher(fetch_deadline_s=2.0)
    # When it is fetched
    with finishes_within(BOUND_S), pytest.raises(netsafe.FetchUnavailableError) as failed:
        safe.fetch(f"{trickle.url}/image.png", max_bytes=10_000_000)
    # Then it ends as source_unavailable, saying the deadline passed
    assert failed.value.code == "source_unavailable"
    assert "did not finish within 2 s" in failed.value.message


def test_a_video_fetch_and_a_feed_fetch_have_their_own_deadlines(
    trickle: TrickleServer, tmp_path: Path,
) -> None:
    # Given a long default deadline, the video (streamed to a file) and the feed say their own
    safe = fetcher(fetch_deadline_s=600.0, file_deadline_s=1.5)
    with finishes_within(BOUND_S), pytest.raises(netsafe.FetchUnavailableError) as video, \
            safe.fetch_to_file(f"{trickle.url}/video.mp4", max_bytes=10_000_000,
                               directory=tmp_path):
        pass
    assert "did not finish within 1.5 s" in video.value.message
    assert list(tmp_path.iterdir()) == []  # the partial file is gone
    with finishes_within(BOUND_S), pytest.raises(netsafe.FetchUnavailableError) as feed:
        safe.fetch(f"{trickle.url}/feed.xml", max_bytes=10_000_000, deadline_s=1.0)
    assert "did not finish within 1 s" in feed.value.message


def test_the_deadline_of_a_fetch_to_file_does_not_hold_in_its_with_block(tmp_path: Path) -> None:
    # Given a video that downloads at once
    def video(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"\x00" * 64)

    safe = netsafe.SafeFetcher(allow_loopback=True, transport=httpx.MockTransport(video),
                               resolver=lambda host, port: ["93.184.216.34"])
    # When the caller works inside the with block (the upload to Pinterest)
    with safe.fetch_to_file("https://example.com/v.mp4", max_bytes=1000,
                            directory=tmp_path) as fetched:
        # Then the fetch's deadline no longer bounds it
        assert current_deadline() is None
        assert fetched.size == 64


def test_a_host_lookup_that_hangs_ends_at_the_deadline() -> None:
    # Given a resolver that never answers (getaddrinfo ignores timeouts)
    release = threading.Event()

    def hanging(host: str, port: int) -> list[str]:
        release.wait(60)
        return ["93.184.216.34"]

    safe = netsafe.SafeFetcher(resolver=hanging, preflight_deadline_s=1.0)
    try:
        # When a link on that host is preflighted
        with finishes_within(BOUND_S), \
                pytest.raises(netsafe.DestinationUnavailableError) as failed:
            safe.check_reachable("https://slow-dns.example/page")
        # Then it ends as destination_unavailable, naming the lookup
        assert "did not finish within 1 s" in failed.value.message
        with finishes_within(BOUND_S), pytest.raises(netsafe.FetchUnavailableError):
            safe.check_url("https://slow-dns.example/image.png")
    finally:
        release.set()


def test_worker_shutdown_cuts_off_an_in_flight_read(header_trickle: TrickleServer) -> None:
    # Given a preflight trickling under a long deadline in another thread
    safe = fetcher(preflight_deadline_s=600.0)
    outcome: list[BaseException] = []

    def preflight() -> None:
        try:
            safe.check_reachable(f"{header_trickle.url}/page")
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=preflight, daemon=True)
    thread.start()
    deadline_wait = time.monotonic() + BOUND_S
    while not header_trickle.requests and time.monotonic() < deadline_wait:
        time.sleep(0.05)
    time.sleep(0.3)
    # When the worker shuts down
    assert abort_reads("the worker is shutting down") >= 1
    # Then the read ends at once, as a transient failure saying why
    thread.join(BOUND_S)
    assert not thread.is_alive()
    assert isinstance(outcome[0], netsafe.DestinationUnavailableError)
    assert "the worker is shutting down" in outcome[0].message


def test_a_worker_shutting_down_does_not_wait_for_a_trickling_fetch(
    header_trickle: TrickleServer,
) -> None:
    # Given a Dramatiq worker (with the worker's shutdown middleware) whose actor preflights a
    # trickling link under a long deadline
    broker = StubBroker()
    broker.add_middleware(AbortReadsAtShutdown())
    safe = fetcher(preflight_deadline_s=600.0)
    outcome: list[BaseException] = []

    def preflight() -> None:
        try:
            safe.check_reachable(f"{header_trickle.url}/page")
        except Exception as exc:
            outcome.append(exc)

    actor = dramatiq.actor(preflight, broker=broker, max_retries=0)
    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=100)
    worker.start()
    try:
        actor.send()
        wait_until = time.monotonic() + BOUND_S
        while not header_trickle.requests and time.monotonic() < wait_until:
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        # When the worker is stopped (what SIGTERM does), it is stopped promptly
        with finishes_within(BOUND_S):
            worker.stop(timeout=120_000)
    # And the fetch ended as a transient failure saying why
    assert isinstance(outcome[0], netsafe.DestinationUnavailableError)
    assert SHUTDOWN_REASON in outcome[0].message


# -- Pinterest -------------------------------------------------------------------------------
def pinterest(server: TrickleServer, deadline_s: float) -> PinterestClient:
    http = httpx.Client(base_url=f"{server.url}/v5", timeout=httpx.Timeout(5.0),
                        transport=deadline_transport(deadline_s=deadline_s))
    return PinterestClient(http, "token", upload_deadline_s=1.0)


def test_a_pinterest_request_trickling_ends_at_its_deadline(trickle: TrickleServer) -> None:
    api = pinterest(trickle, deadline_s=1.5)
    # When a GET trickles, it ends as a transient network error
    with finishes_within(BOUND_S), pytest.raises(PinterestTransientError) as read:
        api.request("GET", "/boards")
    assert read.value.code == "network" and not read.value.outcome_unknown
    assert "did not finish within 1.5 s" in read.value.message
    # And a POST that trickles may have been applied: outcome_unknown, reconcile first
    with finishes_within(BOUND_S), pytest.raises(PinterestTransientError) as write:
        api.request("POST", "/pins", json={"board_id": "1"})
    assert write.value.code == "network" and write.value.outcome_unknown


def test_a_video_upload_has_its_own_deadline(header_trickle: TrickleServer,
                                             tmp_path: Path) -> None:
    # Given an API deadline far longer than the upload's (1 s)
    api = pinterest(header_trickle, deadline_s=600.0)
    video = tmp_path / "v.mp4"
    video.write_bytes(b"\x00" * 1024)
    upload = MediaUpload.model_validate({
        "media_id": "1", "media_type": "video", "upload_url": f"{header_trickle.url}/upload",
        "upload_parameters": {"key": "k"},
    })
    # When the upload store trickles, the upload ends at its own deadline
    with finishes_within(BOUND_S), pytest.raises(PinterestTransientError) as failed:
        api.media.upload(upload, video, "video.mp4")
    assert "did not finish within 1 s" in failed.value.message


# -- the LLM ---------------------------------------------------------------------------------
def test_a_model_server_trickling_ends_as_llm_unavailable(
    trickle: TrickleServer, tmp_path: Path,
) -> None:
    # Given a model server that trickles, behind the client the worker builds
    client = make_openai_client(api_key="test", base_url=f"{trickle.url}/v1", timeout_s=1.5,
                                max_retries=0)
    (tmp_path / "greet.j2").write_text(
        "{% block system %}Greet.{% endblock %}{% block user %}{{ who }}{% endblock %}")
    llm = OpenAIStructuredLLM(client, model="gpt-4o-mini", prompts=PromptLibrary(tmp_path))
    # When a completion is asked for, it ends as llm_unavailable (transient)
    with finishes_within(BOUND_S), pytest.raises(LLMUnavailableError) as failed:
        llm.generate(template="greet", variables={"who": "Ann"}, output=Greeting)
    assert failed.value.code == "llm_unavailable"
    assert isinstance(failed.value, TransientError)
    assert "did not finish within 1.5 s" in failed.value.message


# -- the wiring ------------------------------------------------------------------------------
def test_default_settings_give_every_request_a_finite_deadline(
    redis_server: Any, prefix: str,
) -> None:
    # Given the default settings (tests shrink deadlines; production keeps these)
    settings = Settings(secret_key=SecretStr(Fernet.generate_key().decode()), key_prefix=prefix,
                        openai_api_key=SecretStr("test"))
    defaults = {"preflight_deadline_s": 15.0, "source_fetch_deadline_s": 60.0,
                "video_fetch_deadline_s": 240.0, "feed_fetch_deadline_s": 300.0,
                "pinterest_timeout_s": 30.0, "video_upload_deadline_s": 300.0,
                "openai_timeout_s": 20.0}
    assert {name: getattr(settings, name) for name in defaults} == defaults
    runtime = Runtime.build(settings, redis_client=redis_server)
    try:
        # Then the runtime sends under them
        assert (runtime.fetcher.preflight_deadline_s, runtime.fetcher.fetch_deadline_s,
                runtime.fetcher.file_deadline_s) == (15.0, 60.0, 240.0)
        transport = runtime.pinterest_http._transport
        assert getattr(transport, "deadline_s", None) == 30.0
        assert runtime.pinterest_api("token").upload_deadline_s == 300.0
        llm_transport = runtime.openai_client._client._transport  # type: ignore[attr-defined]
        assert getattr(llm_transport, "deadline_s", None) == 20.0
    finally:
        runtime.close()


def test_the_deadline_modules_public_surface_is_pinned() -> None:

    assert sorted(deadlines_module.__all__) == [
        "DEADLINE_EXTENSION", "Deadline", "DeadlineBackend", "DeadlineTransport", "abort_reads",
        "current_deadline", "deadline", "deadline_transport",
    ]


def test_a_nested_deadline_never_extends_an_earlier_one() -> None:
    with deadline(5.0) as outer, deadline(600.0) as inner:
        assert inner is outer
    with deadline(600.0) as outer, deadline(5.0) as inner:
        assert inner is not outer and inner is not None and inner.seconds == 5.0
