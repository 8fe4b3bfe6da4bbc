"""Shared fixtures for the LLM, writer, designer and imaging tests (a pytest plugin module).

Cassettes (``fixtures/cassettes/*.yaml``) hold OpenAI chat-completion traffic, replayed through
the real ``openai`` client with vcrpy, replay only (``record_mode="none"``), each recorded
interaction playable once (``allow_playback_repeats=False``); :func:`replay` asserts that every
interaction was played, so an unused recording fails its test. Requests are matched on method,
host, path and the structured-output schema name, so editing a template's wording does not
invalidate the recordings, but asking for a different output does.

Scrubbing runs both ways, at record time and again at replay: request headers
(``authorization``, ``openai-organization``, ``openai-project``, ``cookie``), response headers
(``set-cookie``, ``openai-organization``, ``openai-project``, ``x-request-id``) and token-like
fields in JSON bodies. ``fixtures/cassettes/record.py`` re-records against the sandbox.

The cassettes in ``fixtures/cassettes/*.yaml`` are recordings of the sandbox's stand-in model
(``providers/sandbox/openai_compat.py``), not of OpenAI: they are recorded and replayed at
:data:`SANDBOX_BASE_URL` (a host that cannot resolve) with the model :data:`SANDBOX_MODEL`, each
file opens with a comment saying so, and the answers carry ``fp_sandbox``. They test the client
path and the worker's handling of a rule-blind model's answers, not a real model's quality.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import vcr
from vcr.request import Request as VcrRequest

from pinterest_agent.agents.llm import OpenAIStructuredLLM, make_openai_client
from pinterest_agent.agents.messages import PinBrief
from pinterest_agent.prompts.loader import PromptLibrary
from pinterest_agent.providers.netsafe import FetchedBody, FetchFailedError

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "fixtures" / "cassettes"
BRIEFS = ROOT / "fixtures" / "briefs"
IMAGES = ROOT / "fixtures" / "images"
SAMPLE_BRIEFS = ("product", "recipe", "how-to", "article")

REQUEST_HEADERS_DROPPED = ("authorization", "openai-organization", "openai-project", "cookie")
RESPONSE_HEADERS_DROPPED = ("set-cookie", "openai-organization", "openai-project", "x-request-id")
BODY_SECRETS = ("api_key", "access_token", "refresh_token", "client_secret", "id_token", "code")
REDACTED = "REDACTED"
TEST_API_KEY = "test-key-not-a-secret"
SANDBOX_BASE_URL = "http://sandbox.invalid/openai/v1"
LOCAL_MODEL_BASE_URL = "http://local-gemma.invalid/v1"
"""Where the local model's recordings (``fixtures/cassettes/local_model``) are recorded and
replayed: a host that never resolves."""
"""Where the stand-in's recordings say they were made (``.invalid`` never resolves: RFC 2606)."""
SANDBOX_MODEL = "sandbox-stand-in"
TEST_MODEL = SANDBOX_MODEL


def _scrub_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (REDACTED if k in BODY_SECRETS and isinstance(v, str) else _scrub_json(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_json(item) for item in value]
    return value


def _scrub_body(body: bytes | str | None) -> bytes | str | None:
    if not body:
        return body
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    try:
        parsed = json.loads(text)
    except ValueError:
        return body
    cleaned = _scrub_json(parsed)
    if cleaned == parsed:
        return body  # untouched: keep the exact bytes (and the recorded content-length)
    scrubbed = json.dumps(cleaned, ensure_ascii=False)
    return scrubbed.encode("utf-8") if isinstance(body, bytes) else scrubbed


def scrub_request(request: VcrRequest) -> VcrRequest:
    for name in list(request.headers):
        if name.lower() in REQUEST_HEADERS_DROPPED or name.lower().startswith("x-stainless"):
            del request.headers[name]
    request.body = _scrub_body(request.body)
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in RESPONSE_HEADERS_DROPPED:
            del headers[name]
    body = response.get("body", {})
    if "string" in body:
        body["string"] = _scrub_body(body["string"])
    return response


def _schema_name(request: VcrRequest) -> str | None:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return None
    name = body.get("response_format", {}).get("json_schema", {}).get("name")
    return str(name) if name is not None else None


def match_schema_name(r1: VcrRequest, r2: VcrRequest) -> None:
    assert _schema_name(r1) == _schema_name(r2), f"{_schema_name(r1)} != {_schema_name(r2)}"


def llm_vcr(record_mode: str = "none") -> vcr.VCR:
    recorder = vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode=record_mode,
        match_on=("method", "scheme", "host", "port", "path", "schema_name"),
        before_record_request=scrub_request,
        before_record_response=scrub_response,
        decode_compressed_response=True,
    )
    recorder.register_matcher("schema_name", match_schema_name)
    return recorder


@contextmanager
def replay(
    cassette: str, prompts: PromptLibrary | None = None, *, base_url: str = SANDBOX_BASE_URL,
    model: str = SANDBOX_MODEL,
) -> Iterator[OpenAIStructuredLLM]:
    """An ``OpenAIStructuredLLM`` (real openai client) replaying ``cassette``, by default one of
    the sandbox stand-in's recordings at :data:`SANDBOX_BASE_URL`; fails if any recorded
    interaction was not played."""
    # vcrpy replays at httpx's own transport: send through it instead of the deadline's pool.
    client = make_openai_client(api_key=TEST_API_KEY, base_url=base_url, timeout_s=5,
                                max_retries=0, transport=httpx.HTTPTransport())
    llm = OpenAIStructuredLLM(client, model=model, prompts=prompts or PromptLibrary())
    with llm_vcr().use_cassette(f"{cassette}.yaml", allow_playback_repeats=False) as cass:
        yield llm
    assert cass.all_played, f"cassette {cassette} has interactions that were never played"


def load_brief(name: str) -> PinBrief:
    return PinBrief.model_validate_json((BRIEFS / f"{name}.json").read_text())


class FixtureFetcher:
    """An ``ImageFetcher`` serving ``fixtures/images`` by file name (the URL's last segment), or
    explicit bodies; unknown URLs answer like a 404. Records the URLs fetched."""

    def __init__(self, bodies: dict[str, bytes] | None = None) -> None:
        self.bodies = dict(bodies or {})
        self.fetched: list[str] = []

    def fetch(self, url: str, *, max_bytes: int) -> FetchedBody:
        self.fetched.append(url)
        if url in self.bodies:
            content = self.bodies[url]
        else:
            path = IMAGES / url.rsplit("/", 1)[-1]
            if not path.is_file():
                raise FetchFailedError("the source URL answered HTTP 404", url=url, status=404)
            content = path.read_bytes()
        return FetchedBody(content=content, content_type="image/jpeg", final_url=url)


@pytest.fixture
def fixture_fetcher() -> FixtureFetcher:
    return FixtureFetcher()


@pytest.fixture
def replay_llm() -> Callable[[str], Any]:
    """``with replay_llm("draft_recipe") as llm: ...``"""
    return replay
