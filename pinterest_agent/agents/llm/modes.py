"""How a structured answer is asked for: the output modes an OpenAI-compatible server may need.

Servers differ in what they accept (pydantic-ai's ``NativeOutput`` / ``ToolOutput`` /
``PromptedOutput`` and instructor's ``JSON_SCHEMA`` / ``TOOLS`` / ``JSON`` / ``MD_JSON`` name the
same split)::

    json_schema   response_format {"type": "json_schema", "json_schema": {strict schema}}
                  (OpenAI, recent vLLM, llama.cpp's C++ server)
    json_object   response_format {"type": "json_object", "schema": {...}} (llama-cpp-python's
                  server, older vLLM: JSON constrained by the schema, no "json_schema" type)
    tools         one forced function call whose parameters are the schema; the answer is its
                  arguments (servers with tool calling but no response_format)
    prompted      the schema in the prompt, the JSON taken out of the text (fenced or bare)
                  (any chat server)

Every mode yields the answer as JSON text; the shared loop (:mod:`.core`) validates it with the
same pydantic model and repairs it once, so each mode ends in the same typed errors. ``auto``
tries them in that order, moving on only when the server refuses the request itself (a 400/422,
or a 500 naming the response format or tools), and :class:`ModeMemory` remembers what worked per
base URL and model, so a process asks a refusing server once.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any, Literal

from pydantic import BaseModel

from pinterest_agent.agents.llm.schema import (
    bounded_json_schema,
    response_format,
    strict_json_schema,
)

__all__ = [
    "AUTO_ORDER",
    "ModeMemory",
    "OutputMode",
    "extract_json",
    "is_format_refusal",
    "mode_request",
    "prompted_instructions",
]

OutputMode = Literal["auto", "json_schema", "json_object", "tools", "prompted"]
AUTO_ORDER: tuple[OutputMode, ...] = ("json_schema", "json_object", "tools", "prompted")
TOOL_NAME = "answer"

_REFUSAL_WORDS = re.compile(
    r"response_format|json_schema|json_object|tool|function|schema|grammar|'text'|not supported"
    r"|unsupported|unknown (field|parameter)|extra (inputs|fields)",
    re.IGNORECASE,
)
_FENCE = re.compile(r"```(?:json)?\s*(\{.*?\})\s*```", re.DOTALL | re.IGNORECASE)


def mode_request(mode: OutputMode, output: type[BaseModel]) -> dict[str, Any]:
    """The ``chat.completions.create`` keyword arguments that ask for *output* in *mode*."""
    if mode == "json_schema":
        return {"response_format": response_format(output)}
    if mode == "json_object":
        return {"response_format": {"type": "json_object", "schema": bounded_json_schema(output)}}
    if mode == "tools":
        return {
            "tools": [{"type": "function", "function": {
                "name": TOOL_NAME,
                "description": f"Give the answer as a {output.__name__}.",
                "parameters": strict_json_schema(output)}}],
            "tool_choice": {"type": "function", "function": {"name": TOOL_NAME}},
        }
    if mode == "prompted":
        return {}
    raise ValueError(f"no request for mode {mode!r}")


def prompted_instructions(output: type[BaseModel]) -> str:
    """What the prompted mode adds to the conversation: the schema and the answer's form."""
    schema = json.dumps(strict_json_schema(output), ensure_ascii=False)
    return (
        f"Answer with one JSON object and nothing else (no prose, no code fence), a "
        f"{output.__name__} matching this JSON Schema:\n{schema}"
    )


def extract_json(text: str) -> str:
    """The JSON object in a prompted answer: the whole text when it is one, else a fenced
    block, else the span from the first ``{`` to its matching ``}``. Returns *text* unchanged
    when none is found (the validation then reports it, and the repair round shows it)."""
    stripped = text.strip()
    if stripped.startswith("{") and stripped.endswith("}"):
        return stripped
    fenced = _FENCE.search(text)
    if fenced:
        return fenced.group(1)
    start = text.find("{")
    if start < 0:
        return text
    depth, in_string, escaped = 0, False, False
    for index in range(start, len(text)):
        char = text[index]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[start:index + 1]
    return text


def is_format_refusal(status: int | None, detail: str) -> bool:
    """Whether a server's error answer refuses the *form* of the request (the output mode),
    rather than failing: a 400/422, or a 500 that names the response format or tools (as
    llama-cpp-python's server answers ``Input should be 'text' or 'json_object'``)."""
    if status in (400, 422):
        return True
    return status is not None and status >= 500 and bool(_REFUSAL_WORDS.search(detail))


class ModeMemory:
    """The output mode that worked, per base URL and model, for this process (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._modes: dict[tuple[str, str], OutputMode] = {}

    def get(self, base_url: str, model: str) -> OutputMode | None:
        with self._lock:
            return self._modes.get((base_url, model))

    def remember(self, base_url: str, model: str, mode: OutputMode) -> None:
        with self._lock:
            self._modes[(base_url, model)] = mode
