"""The LLM seam: structured outputs, one repair round, typed errors, cache, logging."""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
import uuid
from collections.abc import Callable
from typing import Any, cast

import httpx2
import openai
import pytest
import redis
from pydantic import BaseModel, Field

from pinterest_agent.agents import llm as llm_package
from pinterest_agent.agents.design.designer import DesignSpec, design_variables
from pinterest_agent.agents.design.scene_map import PINTEREST
from pinterest_agent.agents.llm import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT_S,
    LLMCallRecord,
    LLMConfigurationError,
    LLMOutputInvalidError,
    LLMRateLimitedError,
    LLMRefusalError,
    LLMRequestError,
    LLMTruncatedError,
    LLMUnavailableError,
    MemoryLLMCache,
    OpenAIStructuredLLM,
    RedisLLMCache,
    ScriptedLLM,
    cache_key,
    make_openai_client,
    strict_json_schema,
    worst_case_llm_s,
)
from pinterest_agent.agents.writer import PinCopy, copy_variables
from pinterest_agent.errors import ConfigurationError, PermanentError, TransientError
from pinterest_agent.prompts.loader import PromptLibrary
from tests.conftest_llm import TEST_API_KEY, load_brief, replay

EXPECTED_EXPORTS = [
    "DEFAULT_CACHE_PREFIX", "DEFAULT_CACHE_TTL_S", "DEFAULT_MAX_OUTPUT_TOKENS",
    "DEFAULT_MAX_RETRIES", "DEFAULT_TIMEOUT_S", "Completion", "LLMCache", "LLMCallRecord",
    "LLMConfigurationError", "LLMError", "LLMOutputInvalidError", "LLMRateLimitedError",
    "LLMRefusalError", "LLMRequestError", "LLMResult", "LLMTruncatedError", "LLMUnavailableError",
    "MemoryLLMCache", "OpenAIStructuredLLM", "RedisLLMCache", "ScriptedCall", "ScriptedLLM",
    "StructuredLLM", "StructuredLLMBase", "T", "cache_key", "make_openai_client",
    "map_openai_error", "repair_instructions", "response_format", "strict_json_schema",
    "validation_problems", "worst_case_llm_s",
]


class Greeting(BaseModel):
    text: str = Field(min_length=1, max_length=12)


def greet_library(tmp_path: Any) -> PromptLibrary:
    (tmp_path / "greet.j2").write_text(
        "{% block system %}Greet.{% endblock %}{% block user %}<d>{{ who | as_data }}</d>"
        "{% endblock %}"
    )
    return PromptLibrary(tmp_path)


def test_public_surface_is_pinned() -> None:
    assert sorted(llm_package.__all__) == sorted(EXPECTED_EXPORTS)


def test_strict_schema_is_the_common_subset() -> None:
    schema = strict_json_schema(PinCopy)
    assert schema["additionalProperties"] is False
    assert schema["required"] == list(schema["properties"])
    text = json.dumps(schema)
    for keyword in ('"maxLength"', '"minLength"', '"pattern"', '"default"', '"title": "'):
        assert keyword not in text
    assert "at most 100 characters" in schema["properties"]["title"]["description"]


# -- the repair round ---------------------------------------------------------------------------


def test_an_invalid_answer_gets_one_repair_round_showing_the_problems(tmp_path: Any) -> None:
    # Given a model whose first answer is too long and second is fine
    llm = ScriptedLLM(greet_library(tmp_path)).enqueue(
        Greeting, Greeting.model_construct(text="Hello there, dear friend"), '{"text": "Hi!"}'
    )
    # When asked
    result = llm.generate(template="greet", variables={"who": "Ann"}, output=Greeting)
    # Then the repaired answer is returned, and the repair round showed the previous answer
    # and the problem
    assert result.value.text == "Hi!"
    assert result.repaired and not result.cached
    repair = llm.calls[1].messages
    assert repair[-2] == {"role": "assistant", "content": '{"text":"Hello there, dear friend"}'}
    assert "text: String should have at most 12 characters" in repair[-1]["content"]
    assert llm.remaining() == 0


def test_a_second_failure_is_a_clear_permanent_error(tmp_path: Any) -> None:
    llm = ScriptedLLM(greet_library(tmp_path)).enqueue(Greeting, '{"text": ""}', "not json")
    with pytest.raises(LLMOutputInvalidError) as info:
        llm.generate(template="greet", variables={"who": "Ann"}, output=Greeting)
    assert isinstance(info.value, PermanentError)
    assert info.value.code == "llm_output_invalid"
    assert "after one repair round" in str(info.value)
    assert len(llm.calls) == 2  # exactly one repair round, never a third call


def test_check_problems_also_trigger_the_repair(tmp_path: Any) -> None:
    llm = ScriptedLLM(greet_library(tmp_path)).enqueue(
        Greeting, '{"text": "Bye"}', '{"text": "Hello"}'
    )

    def must_greet(value: Greeting) -> list[str]:
        return [] if value.text.startswith("H") else ["text must start with H"]

    result = llm.generate(template="greet", variables={"who": "A"}, output=Greeting,
                          check=must_greet)
    assert result.value.text == "Hello"
    assert "text must start with H" in llm.calls[1].messages[-1]["content"]


# -- the real openai client, replayed ------------------------------------------------------------


def test_replayed_answer_through_the_openai_client() -> None:
    brief = load_brief("product")
    with replay("draft_product") as llm:
        result = llm.generate(template="pin_copy", variables=copy_variables(brief), output=PinCopy)
        design = llm.generate(template="design_spec",
                              variables=design_variables(brief, result.value, PINTEREST),
                              output=DesignSpec)
    assert design.value.headline
    assert result.template == "pin_copy" and len(result.template_hash) == 16
    assert result.model == "sandbox-stand-in"  # a recording of the stand-in, and it says so
    assert result.input_tokens > 0 and result.output_tokens > 0
    assert result.value.link == brief.destination_url


def test_an_unused_recording_fails_the_replay() -> None:
    # Given a cassette with two recorded answers, when only one is asked for
    brief = load_brief("product")
    with pytest.raises(AssertionError, match="never played"), replay("draft_product") as llm:
        llm.generate(template="pin_copy", variables=copy_variables(brief), output=PinCopy)


def test_refusal_is_a_typed_permanent_error() -> None:
    with pytest.raises(LLMRefusalError) as info, replay("refusal") as llm:
        llm.generate(template="pin_copy", variables=copy_variables(load_brief("product")),
                     output=PinCopy)
    assert "can't help" in str(info.value)
    assert isinstance(info.value, PermanentError)


def test_truncated_answer_is_a_typed_error_without_repair() -> None:
    with pytest.raises(LLMTruncatedError) as info, replay("truncated") as llm:
        llm.generate(template="pin_copy", variables=copy_variables(load_brief("product")),
                     output=PinCopy)
    assert info.value.code == "llm_truncated"
    assert "max_output_tokens" in str(info.value)


# -- transport failures mapped onto the error tree ----------------------------------------------


def client_answering(handler: Callable[[httpx2.Request], httpx2.Response]) -> openai.OpenAI:
    return openai.OpenAI(
        api_key=TEST_API_KEY, base_url="https://llm.test/v1", max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )


def error_body(message: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": "x", "param": None, "code": code}}


@pytest.mark.parametrize(
    ("status", "headers", "body", "expected", "kind"),
    [
        (401, {}, error_body("Incorrect API key"), LLMConfigurationError, ConfigurationError),
        (404, {}, error_body("model not found"), LLMConfigurationError, ConfigurationError),
        (429, {"retry-after": "7"}, error_body("slow down"), LLMRateLimitedError, TransientError),
        (429, {}, error_body("quota", "insufficient_quota"), LLMConfigurationError,
         ConfigurationError),
        (500, {}, error_body("boom"), LLMUnavailableError, TransientError),
        (400, {}, error_body("bad schema"), LLMRequestError, PermanentError),
    ],
)
def test_http_failures_map_to_the_error_tree(
    tmp_path: Any, status: int, headers: dict[str, str], body: dict[str, Any],
    expected: type[Exception], kind: type[Exception],
) -> None:
    client = client_answering(lambda request: httpx2.Response(status, json=body, headers=headers))
    llm = OpenAIStructuredLLM(client, model="m", prompts=greet_library(tmp_path))
    with pytest.raises(expected) as info:
        llm.generate(template="greet", variables={"who": "A"}, output=Greeting)
    assert isinstance(info.value, kind)
    if expected is LLMRateLimitedError:
        assert isinstance(info.value, LLMRateLimitedError)
        assert info.value.retry_after_s == 7.0


def test_connection_failure_is_transient(tmp_path: Any) -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("refused", request=request)

    llm = OpenAIStructuredLLM(client_answering(refuse), model="m", prompts=greet_library(tmp_path))
    with pytest.raises(LLMUnavailableError):
        llm.generate(template="greet", variables={"who": "A"}, output=Greeting)


def test_errors_survive_pickling() -> None:
    error = LLMRateLimitedError("slow", retry_after_s=3.0)
    clone = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert type(clone) is LLMRateLimitedError and clone.retry_after_s == 3.0


@pytest.mark.parametrize(
    ("kwargs", "setting"),
    [({"api_key": None}, "openai_api_key"), ({"api_key": ""}, "openai_api_key"),
     ({"api_key": "k", "base_url": "api.openai.com"}, "openai_base_url")],
)
def test_client_configuration_errors_name_the_setting(kwargs: dict[str, Any],
                                                      setting: str) -> None:
    with pytest.raises(LLMConfigurationError) as info:
        make_openai_client(**kwargs)
    assert info.value.details["setting"] == setting


def test_default_client_budget_fits_the_actor_time_limit() -> None:
    client = make_openai_client(api_key="k")
    assert client.max_retries == DEFAULT_MAX_RETRIES
    # copy + design, each with its repair round, every request retried: still under 5 minutes
    worst = worst_case_llm_s(timeout_s=DEFAULT_TIMEOUT_S, max_retries=DEFAULT_MAX_RETRIES)
    assert worst < 5 * 60


# -- logging, hook and cache --------------------------------------------------------------------


def completion_json(content: str) -> dict[str, Any]:
    return {"id": "c", "object": "chat.completion", "created": 0, "model": "m-2026",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content, "refusal": None}}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14}}


def test_every_call_is_logged_without_the_key(tmp_path: Any,
                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="pinterest_agent.agents.llm")
    records: list[LLMCallRecord] = []
    sent: list[dict[str, Any]] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        sent.append(json.loads(request.content))
        return httpx2.Response(200, json=completion_json('{"text": "Hi"}'))

    llm = OpenAIStructuredLLM(client_answering(answer), model="m",
                              prompts=greet_library(tmp_path), on_call=records.append)
    llm.generate(template="greet", variables={"who": "A"}, output=Greeting)
    # The request used strict structured outputs
    assert sent[0]["response_format"]["json_schema"]["name"] == "Greeting"
    assert sent[0]["response_format"]["json_schema"]["strict"] is True
    # One log line and one hook record per call with model, template, hash, tokens, latency
    (record,) = records
    assert (record.model, record.template, record.input_tokens, record.output_tokens) == (
        "m-2026", "greet", 11, 3)
    assert len(record.template_hash) == 16 and record.outcome == "ok"
    line = caplog.records[-1].getMessage()
    assert "template=greet" in line and "input_tokens=11" in line and "latency_ms=" in line
    assert TEST_API_KEY not in caplog.text


def test_cache_hit_does_not_call_the_model_again(tmp_path: Any) -> None:
    cache = MemoryLLMCache()
    first = ScriptedLLM(greet_library(tmp_path), cache=cache).enqueue(Greeting, '{"text": "Hi"}')
    first.generate(template="greet", variables={"who": "A"}, output=Greeting)
    # Given a redelivered job with the same inputs, when asked again with an empty script
    again = ScriptedLLM(greet_library(tmp_path), cache=cache)
    result = again.generate(template="greet", variables={"who": "A"}, output=Greeting)
    # Then the cached answer is used and no call is made
    assert result.cached and result.value.text == "Hi" and again.calls == []
    # And other inputs miss the cache
    with pytest.raises(AssertionError, match="no answer queued"):
        again.generate(template="greet", variables={"who": "B"}, output=Greeting)


class CountingLibrary(PromptLibrary):
    """A library counting its renderings."""

    renders = 0

    def render(self, name: str, variables: Any) -> Any:
        self.renders += 1
        return super().render(name, variables)


def test_a_cache_hit_renders_nothing_and_names_the_template(tmp_path: Any) -> None:
    # Given an answer cached for a template and inputs
    cache = MemoryLLMCache()
    library = CountingLibrary(tmp_path)
    greet_library(tmp_path)
    first = ScriptedLLM(library, cache=cache).enqueue(Greeting, '{"text": "Hi"}')
    made = first.generate(template="greet", variables={"who": "A"}, output=Greeting)
    assert library.renders == 1
    # When the same call is made again
    again = first.generate(template="greet.j2", variables={"who": "A"}, output=Greeting)
    # Then the cache answers by the template's hash, without rendering the prompt
    assert again.cached and library.renders == 1
    assert (again.template, again.template_hash) == ("greet", made.template_hash)


def test_cache_keys_are_the_canonical_json_of_every_part() -> None:
    # The key is pinned: changing how it is computed would silently empty every cache
    from pinterest_agent.agents.llm.cache import keyed_by
    from pinterest_agent.agents.llm.schema import strict_json_schema, strict_schema_json

    variables = {"brief": {"name": "Orzo", "keywords": ["a", "b"]}, "n": 1}
    payload = {"model": "m", "template_hash": "h", "variables": variables,
               "schema": strict_json_schema(Greeting)}
    expected = hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":"),
                                         ensure_ascii=False).encode()).hexdigest()
    assert cache_key(model="m", template_hash="h", variables=variables,
                     schema=strict_json_schema(Greeting)) == expected
    assert keyed_by(model="m", template_hash="h", variables=variables,
                    schema_json=strict_schema_json(Greeting)) == expected


def test_cache_key_depends_on_every_part() -> None:
    base = {"model": "m", "template_hash": "h", "variables": {"a": 1}, "schema": {"s": 1}}
    key = cache_key(**base)  # type: ignore[arg-type]
    assert key == cache_key(**{**base, "variables": {"a": 1}})  # type: ignore[arg-type]
    for change in ({"model": "n"}, {"template_hash": "g"}, {"variables": {"a": 2}},
                   {"schema": {"s": 2}}):
        assert cache_key(**{**base, **change}) != key  # type: ignore[arg-type]


@pytest.mark.redis
def test_redis_cache_round_trip_with_ttl(redis_server: redis.Redis[bytes]) -> None:
    prefix = f"test-llm-{uuid.uuid4().hex[:8]}"
    cache = RedisLLMCache(redis_server, prefix=prefix, ttl_s=60)
    try:
        cache.set("k", '{"text":"Hi"}')
        assert cache.get("k") == '{"text":"Hi"}'
        assert 0 < int(redis_server.ttl(f"{prefix}:k")) <= 60
        assert cache.get("missing") is None
    finally:
        redis_server.delete(f"{prefix}:k")


class DownRedis:
    """A Redis client whose server is gone."""

    def get(self, key: str) -> bytes:
        raise redis.ConnectionError("connection refused")

    def set(self, key: str, value: str, ex: int) -> None:
        raise redis.ConnectionError("connection refused")


def test_redis_cache_failure_never_fails_the_job() -> None:
    cache = RedisLLMCache(cast("redis.Redis[bytes]", DownRedis()))
    assert cache.get("k") is None
    cache.set("k", "v")  # logged and skipped


# -- cassettes: scrubbed both ways, nothing secret-looking committed -----------------------------


def test_cassette_scrubbers_drop_secrets_both_ways() -> None:
    from vcr.request import Request as VcrRequest

    from tests.conftest_llm import REDACTED, scrub_request, scrub_response

    # Given a request and a response carrying every kind of secret we know
    request = VcrRequest(
        "POST", "https://api.openai.com/v1/chat/completions",
        json.dumps({"model": "m", "api_key": "k-123"}).encode(),
        {"Authorization": "Bearer k-123", "OpenAI-Organization": "org-1",
         "OpenAI-Project": "proj-1", "Cookie": "a=b", "Content-Type": "application/json"},
    )
    response = {
        "status": {"code": 200, "message": "OK"},
        "headers": {"Set-Cookie": ["__cf_bm=x"], "openai-organization": ["org-1"],
                    "openai-project": ["proj-1"], "x-request-id": ["req_1"],
                    "content-type": ["application/json"]},
        "body": {"string": json.dumps({"access_token": "t", "refresh_token": "r", "ok": 1})},
    }
    # When scrubbed
    clean_request = scrub_request(request)
    clean_response = scrub_response(response)
    # Then only harmless parts remain
    assert {k.lower() for k in clean_request.headers} == {"content-type"}
    assert json.loads(clean_request.body)["api_key"] == REDACTED
    assert list(clean_response["headers"]) == ["content-type"]
    body = json.loads(clean_response["body"]["string"])
    assert body == {"access_token": REDACTED, "refresh_token": REDACTED, "ok": 1}


def test_committed_cassettes_hold_no_secret_looking_strings() -> None:
    import re

    from tests.conftest_llm import CASSETTES

    forbidden = re.compile(
        r"sk-[A-Za-z0-9_-]{8,}|Bearer [A-Za-z0-9._-]{20,}|set-cookie|authorization|"
        r"openai-organization|openai-project", re.IGNORECASE,
    )
    files = sorted(CASSETTES.glob("*.yaml"))
    assert len(files) >= 8
    for path in files:
        found = forbidden.search(path.read_text())
        assert found is None, f"{path.name} contains {found.group(0) if found else ''!r}"


# -- the sandbox's OpenAI-compatible endpoint ----------------------------------------------------


def test_sandbox_chat_completion_shape_and_unknown_schemas() -> None:
    from pinterest_agent.providers.sandbox.openai_compat import chat_completion

    body = chat_completion({
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "hi"}],
        "response_format": {"type": "json_schema", "json_schema": {
            "name": "Other", "schema": strict_json_schema(Greeting)}},
    })
    assert body["object"] == "chat.completion" and body["choices"][0]["finish_reason"] == "stop"
    assert Greeting.model_validate_json(body["choices"][0]["message"]["content"])
    assert body["usage"]["total_tokens"] == (
        body["usage"]["prompt_tokens"] + body["usage"]["completion_tokens"])


def test_sandbox_refuses_requests_without_a_key(sandbox: Any) -> None:
    import httpx

    response = httpx.post(sandbox.base_url + "/openai/v1/chat/completions",
                          json={"model": "m", "messages": []})
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_frozen_variables_key_like_the_plain_mapping_and_serialise_once() -> None:
    from pinterest_agent.agents.llm.cache import FrozenVariables, keyed_by

    plain = {"brief": {"name": "Linen Throw", "keywords": ["linen", "throw"]}, "locale": "en-US"}
    frozen = FrozenVariables(plain)
    args = {"model": "m", "template_hash": "h", "schema_json": "{}"}
    assert keyed_by(variables=frozen, **args) == keyed_by(variables=plain, **args)
    first = frozen.canonical_json()
    assert frozen.canonical_json() is first  # computed once
    assert dict(frozen) == plain and len(frozen) == 2
