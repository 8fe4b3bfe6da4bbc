"""Structured-output modes: a server that refuses ``json_schema`` (as llama-cpp-python's does)
is asked in the next mode once, and every mode ends in the same validation and typed errors.

The fake servers here are scripted per test (they know only the HTTP shape of each mode, never
the project's rules); the real local model is the judge of the answers themselves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx2
import openai
import pytest
from pydantic import BaseModel, Field

from pinterest_agent.agents.llm import (
    LLMError,
    LLMOutputInvalidError,
    LLMRequestError,
    OpenAIStructuredLLM,
)
from pinterest_agent.agents.llm.modes import ModeMemory, extract_json, is_format_refusal
from pinterest_agent.prompts.loader import PromptLibrary


class Greeting(BaseModel):
    text: str = Field(min_length=1, max_length=12)


def library(tmp_path: Any) -> PromptLibrary:
    (tmp_path / "greet.j2").write_text(
        "{% block system %}Greet.{% endblock %}{% block user %}<d>{{ who | as_data }}</d>"
        "{% endblock %}"
    )
    return PromptLibrary(tmp_path)


def chat(content: str | None, *, tool_arguments: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    finish = "stop"
    if tool_arguments is not None:
        message["tool_calls"] = [{"id": "call_1", "type": "function",
                                  "function": {"name": "answer", "arguments": tool_arguments}}]
        finish = "tool_calls"
    return {"id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": "small",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}}


class Server:
    """Records every request body; *answer* turns one into a response."""

    def __init__(self, answer: Callable[[dict[str, Any]], httpx2.Response]) -> None:
        self.bodies: list[dict[str, Any]] = []
        self._answer = answer

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        return self._answer(body)

    def client(self) -> openai.OpenAI:
        return openai.OpenAI(api_key="k", base_url="http://model.test/v1", max_retries=0,
                             http_client=httpx2.Client(transport=httpx2.MockTransport(self)))


def llama_like(body: dict[str, Any]) -> httpx2.Response:
    """llama-cpp-python's server: ``response_format`` type must be text or json_object."""
    kind = (body.get("response_format") or {}).get("type")
    if kind == "json_schema":
        return httpx2.Response(500, json={"error": {
            "message": "1 validation error: response_format.type Input should be 'text' or "
                       "'json_object'", "type": "internal_server_error"}})
    return httpx2.Response(200, json=chat('{"text": "Hi Ann"}'))


def test_auto_falls_back_once_to_json_object_and_remembers_it(tmp_path: Any) -> None:
    # Given a server that refuses json_schema but takes json_object with a schema
    server = Server(llama_like)
    llm = OpenAIStructuredLLM(server.client(), model="small", prompts=library(tmp_path),
                              modes=ModeMemory())
    # When asked twice
    first = llm.generate(template="greet", variables={"who": "Ann"}, output=Greeting)
    second = llm.generate(template="greet", variables={"who": "Bo"}, output=Greeting)
    # Then it asked in json_schema once, then json_object, and remembered that
    kinds = [body["response_format"]["type"] for body in server.bodies]
    assert kinds == ["json_schema", "json_object", "json_object"]
    assert first.value.text == second.value.text == "Hi Ann"
    assert server.bodies[1]["response_format"]["schema"]["properties"]["text"]["type"] == "string"
    assert llm.output_mode() == "json_object"


def test_a_fixed_mode_never_falls_back(tmp_path: Any) -> None:
    server = Server(llama_like)
    llm = OpenAIStructuredLLM(server.client(), model="small", prompts=library(tmp_path),
                              mode="json_schema", modes=ModeMemory())
    with pytest.raises(LLMRequestError) as info:
        llm.generate(template="greet", variables={"who": "Ann"}, output=Greeting)
    assert info.value.code == "llm_request_rejected" and info.value.details["status"] == 500
    assert len(server.bodies) == 1


def test_the_tools_mode_reads_the_forced_calls_arguments(tmp_path: Any) -> None:
    server = Server(lambda body: httpx2.Response(200, json=chat(
        None, tool_arguments='{"text": "Hello"}')))
    llm = OpenAIStructuredLLM(server.client(), model="small", prompts=library(tmp_path),
                              mode="tools", modes=ModeMemory())
    result = llm.generate(template="greet", variables={"who": "Ann"}, output=Greeting)
    assert result.value.text == "Hello"
    body = server.bodies[0]
    assert "response_format" not in body
    assert body["tool_choice"] == {"type": "function", "function": {"name": "answer"}}
    assert body["tools"][0]["function"]["parameters"]["required"] == ["text"]


def test_the_prompted_mode_puts_the_schema_in_the_prompt_and_finds_the_json(
    tmp_path: Any,
) -> None:
    server = Server(lambda body: httpx2.Response(200, json=chat(
        'Sure! Here it is:\n```json\n{"text": "Hey {you}"}\n```\nAnything else?')))
    llm = OpenAIStructuredLLM(server.client(), model="small", prompts=library(tmp_path),
                              mode="prompted", modes=ModeMemory())
    result = llm.generate(template="greet", variables={"who": "Ann"}, output=Greeting)
    assert result.value.text == "Hey {you}"
    body = server.bodies[0]
    assert "response_format" not in body and "tools" not in body
    assert "JSON Schema" in body["messages"][-1]["content"]


def test_every_mode_ends_in_the_same_validation_and_repair(tmp_path: Any) -> None:
    # Given a tool-calling server whose answers break the model twice
    server = Server(lambda body: httpx2.Response(200, json=chat(
        None, tool_arguments='{"text": "far too long a greeting"}')))
    llm = OpenAIStructuredLLM(server.client(), model="small", prompts=library(tmp_path),
                              mode="tools", modes=ModeMemory())
    # Then one repair round, then the same typed error as in json_schema mode
    with pytest.raises(LLMOutputInvalidError):
        llm.generate(template="greet", variables={"who": "Ann"}, output=Greeting)
    assert len(server.bodies) == 2


def test_a_server_refusing_every_mode_is_one_typed_error(tmp_path: Any) -> None:
    server = Server(lambda body: httpx2.Response(400, json={"error": {
        "message": "unsupported parameter", "type": "invalid_request_error"}}))
    llm = OpenAIStructuredLLM(server.client(), model="small", prompts=library(tmp_path),
                              modes=ModeMemory())
    with pytest.raises(LLMRequestError):
        llm.generate(template="greet", variables={"who": "Ann"}, output=Greeting)
    assert len(server.bodies) == 4  # json_schema, json_object, tools, prompted: each once


def test_a_real_server_failure_is_not_taken_for_a_refusal(tmp_path: Any) -> None:
    # A 500 that says nothing about the request's form is the server failing: retried later,
    # not answered in another mode
    server = Server(lambda body: httpx2.Response(500, json={"error": {
        "message": "CUDA out of memory", "type": "server_error"}}))
    llm = OpenAIStructuredLLM(server.client(), model="small", prompts=library(tmp_path),
                              modes=ModeMemory())
    with pytest.raises(Exception) as info:
        llm.generate(template="greet", variables={"who": "Ann"}, output=Greeting)
    assert getattr(info.value, "code", "") == "llm_unavailable"
    assert len(server.bodies) == 1


@pytest.mark.parametrize(("text", "expected"), [
    ('{"a": 1}', '{"a": 1}'),
    ('  {"a": "}"}  ', '{"a": "}"}'),
    ('```json\n{"a": 1}\n```', '{"a": 1}'),
    ('Here: {"a": {"b": "x}y"}, "c": "\\"}"} and more', '{"a": {"b": "x}y"}, "c": "\\"}"}'),
    ("no json at all", "no json at all"),
    ('{"unclosed": 1', '{"unclosed": 1'),
])
def test_extract_json(text: str, expected: str) -> None:
    assert extract_json(text) == expected


def test_what_counts_as_a_refusal_of_the_request_form() -> None:
    assert is_format_refusal(400, "anything")
    assert is_format_refusal(500, "Input should be 'text' or 'json_object'")
    assert not is_format_refusal(500, "CUDA out of memory")
    assert not is_format_refusal(None, "json_schema")


@pytest.mark.parametrize(("base_url", "max_tokens_sent"), [
    ("http://model.test/v1", True),              # llama.cpp, Ollama, vLLM: they read max_tokens
    ("https://api.openai.com/v1", False),        # OpenAI refuses max_tokens for o-series models
    ("https://mine.openai.azure.com/openai/v1", False),
])
def test_the_output_cap_reaches_servers_that_only_read_max_tokens(
    tmp_path: Any, base_url: str, max_tokens_sent: bool
) -> None:
    # llama-cpp-python's server ignores max_completion_tokens: without max_tokens an answer ran
    # to the end of the context (4,000 tokens, minutes a request on a CPU)
    server = Server(llama_like)
    client = openai.OpenAI(api_key="k", base_url=base_url, max_retries=0,
                           http_client=httpx2.Client(transport=httpx2.MockTransport(server)))
    llm = OpenAIStructuredLLM(client, model="small", prompts=library(tmp_path),
                              mode="json_object", modes=ModeMemory(), max_output_tokens=321)
    llm.generate(template="greet", variables={"who": "Ann"}, output=Greeting)
    assert server.bodies[0]["max_completion_tokens"] == 321
    assert server.bodies[0].get("max_tokens") == (321 if max_tokens_sent else None)


def test_json_object_sends_the_limits_a_grammar_can_enforce(tmp_path: Any) -> None:
    # A small local model looped in a list until the token cap: with maxItems and maxLength in
    # the schema llama.cpp's grammar ends the list and the string at their limits
    from pinterest_agent.agents.writer import PinCopy

    server = Server(llama_like)
    llm = OpenAIStructuredLLM(server.client(), model="small", prompts=library(tmp_path),
                              mode="json_object", modes=ModeMemory())
    with pytest.raises(LLMError):
        llm.generate(template="greet", variables={"who": "Ann"}, output=PinCopy)
    schema = server.bodies[0]["response_format"]["schema"]
    assert schema["properties"]["hashtags"]["maxItems"] == 3
    assert schema["properties"]["title"]["maxLength"] == 100
    assert schema["properties"]["keywords"]["items"]["maxLength"] == 60
    assert "pattern" not in json.dumps(schema)  # stays in the description
    assert "maxLength" not in schema["properties"]["link"]  # 2,048 crashed llama.cpp's grammar
    assert schema["required"] == list(schema["properties"])
