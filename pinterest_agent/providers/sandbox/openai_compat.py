"""An OpenAI-compatible endpoint in the sandbox, so the real ``openai`` client runs offline.

Routes (base URL for the client: ``<sandbox>/openai/v1``):

- ``POST /openai/v1/chat/completions``: answers in OpenAI's chat-completion format with a
  deterministic JSON answer chosen by ``response_format.json_schema.name``. ``PinCopy`` and
  ``DesignSpec`` are filled from the JSON inside the prompt's ``<brief>`` delimiters by a
  stand-in that knows none of the project's rules (:mod:`.naive_answers`: the name as the title
  however long, the summary as the description with whatever it carries, the first URL in the
  brief as the link, the name as the headline; nothing read from the instructions, the repair
  round answered like the first). A ``DesignSpec`` request with an image part (a
  ``data:image/...;base64`` URL, as a vision model gets) is answered *from the image*: the
  subject's box is where the pixels differ from the background. Other schema names use a builder
  added with :func:`add_answer_builder`, or a filler that walks the JSON Schema. ``usage``
  counts tokens roughly (4 characters a token, 85 per attached image). Requests in another
  output mode (``json_object``, tools, prompted) get a plain-text answer.
- ``POST /openai/v1/images/generations``: a deterministic 1024x1536 PNG gradient as ``b64_json``.

The seeded adversarial mode (:mod:`.adversary`, off unless configured) breaks answers on
purpose at a set rate: over-long fields, another link, obeyed injections, invented claims,
refusals, truncated or malformed JSON, 429, 500 and timeouts.

Every chat request body is kept, the last :data:`KEPT_REQUESTS` of them, for tests to read
what a worker sent (:func:`chat_requests`; ``state.reset()`` forgets them). Requests without
``Authorization: Bearer ...`` get OpenAI's 401 error envelope. Responses carry
the headers a real OpenAI response has that cassettes must scrub (``openai-organization``,
``openai-project``, ``x-request-id``, ``set-cookie``), with harmless sandbox values, and a
``system_fingerprint`` of ``fp_sandbox``: a recording of them is a recording of the stand-in.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from collections import deque
from collections.abc import Callable, Mapping
from io import BytesIO
from typing import TYPE_CHECKING, Any

from pinterest_agent.providers.sandbox import adversary
from pinterest_agent.providers.sandbox.naive_answers import (
    design_spec_answer,
    pin_copy_answer,
    subject_in_image,
)
from pinterest_agent.providers.sandbox.routes import RouteRegistry, SandboxRequest, SandboxResponse

if TYPE_CHECKING:
    from pinterest_agent.providers.sandbox.state import SandboxState

__all__ = [
    "AnswerBuilder",
    "add_answer_builder",
    "build_answer",
    "chat_completion",
    "chat_requests",
    "design_spec_answer",
    "image_parts",
    "pin_copy_answer",
    "register",
    "subject_in_image",
    "tagged_json",
]
# design_spec_answer, pin_copy_answer and subject_in_image live in .naive_answers.

AnswerBuilder = Callable[[list[Mapping[str, Any]], Mapping[str, Any]], dict[str, Any]]
"""``(messages, json_schema) -> answer``; the answer must validate against the schema."""

_BUILDERS: dict[str, AnswerBuilder] = {}
_REFUSAL = "I'm sorry, but I can't help with that request."
KEPT_REQUESTS = 200
_REQUESTS_KEY = "openai_compat.requests"


def register(registry: RouteRegistry) -> None:
    """Add the OpenAI-compatible routes."""
    registry.add("POST", "/openai/v1/chat/completions", _chat_route)
    registry.add("POST", "/openai/v1/images/generations", _images_route)
    adversary.register(registry)


def add_answer_builder(schema_name: str, builder: AnswerBuilder) -> None:
    """Answer structured-output requests named ``schema_name`` with ``builder``."""
    _BUILDERS[schema_name] = builder


# -- pure answer building ---------------------------------------------------------------------


def tagged_json(messages: list[Mapping[str, Any]], tag: str) -> Any:
    """The JSON between ``<tag>`` and ``</tag>`` in the first message that has it, or ``None``."""
    pattern = re.compile(rf"<{tag}>(.*?)</{tag}>", re.DOTALL)
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):  # text and image parts: search the text parts
            content = "\n".join(str(p.get("text", "")) for p in content
                                if isinstance(p, Mapping) and p.get("type") == "text")
        if not isinstance(content, str):
            continue
        found = pattern.search(content)
        if found:
            try:
                return json.loads(found.group(1))
            except ValueError:
                return None
    return None


def image_parts(messages: list[Mapping[str, Any]]) -> list[bytes]:
    """The decoded bytes of every ``data:`` image URL in the messages' content parts."""
    found: list[bytes] = []
    for message in messages:
        content = message.get("content")
        if not isinstance(content, list):
            continue
        for part in content:
            if not isinstance(part, Mapping) or part.get("type") != "image_url":
                continue
            url = str((part.get("image_url") or {}).get("url", ""))
            header, _, data = url.partition(",")
            if header.startswith("data:image/") and header.endswith(";base64"):
                try:
                    found.append(base64.b64decode(data, validate=True))
                except ValueError:
                    continue
    return found


def _filler(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Any:
    if "$ref" in schema:
        return _filler(root["$defs"][str(schema["$ref"]).rsplit("/", 1)[-1]], root)
    if "anyOf" in schema:
        return _filler(schema["anyOf"][0], root)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: _filler(sub, root) for name, sub in props.items()}
    if kind == "array":
        return [_filler(schema.get("items", {}), root)]
    if kind == "integer":
        return 1
    if kind == "number":
        return 0.5
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return "sandbox"


def build_answer(
    messages: list[Mapping[str, Any]], json_schema: Mapping[str, Any]
) -> dict[str, Any]:
    """The deterministic answer for a structured-output request."""
    name = str(json_schema.get("name", ""))
    if name in _BUILDERS:
        return _BUILDERS[name](messages, json_schema)
    brief = tagged_json(messages, "brief")
    if name == "PinCopy" and isinstance(brief, dict):
        return pin_copy_answer(brief)
    if name == "DesignSpec" and isinstance(brief, dict):
        images = image_parts(messages)
        return design_spec_answer(brief, images[0] if images else None)
    schema = json_schema.get("schema", {})
    answer = _filler(schema, schema)
    return answer if isinstance(answer, dict) else {"value": answer}


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


_IMAGE_TOKENS = 85
"""What OpenAI counts for one ``detail: "low"`` image on gpt-4o."""


def _without_images(messages: list[Mapping[str, Any]]) -> list[Any]:
    out: list[Any] = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            content = [p for p in content if not (isinstance(p, Mapping)
                                                  and p.get("type") == "image_url")]
        out.append({**message, "content": content})
    return out


def _schema_name(body: Mapping[str, Any]) -> str:
    response_format = body.get("response_format") or {}
    if response_format.get("type") != "json_schema":
        return ""
    return str((response_format.get("json_schema") or {}).get("name", ""))


def _brief(body: Mapping[str, Any]) -> dict[str, Any] | None:
    messages = [m for m in body.get("messages", []) if isinstance(m, Mapping)]
    brief = tagged_json(messages, "brief")
    return brief if isinstance(brief, dict) else None


def chat_completion(body: Mapping[str, Any], *, misbehaviour: str | None = None) -> dict[str, Any]:
    """An OpenAI ``chat.completion`` object answering ``body`` (a create request); with a
    ``misbehaviour`` (one of :data:`.adversary.KINDS` but the HTTP ones) the answer breaks the
    rules in that way."""
    messages = [m for m in body.get("messages", []) if isinstance(m, Mapping)]
    response_format = body.get("response_format") or {}
    finish_reason, refusal = "stop", None
    content: str | None
    if response_format.get("type") == "json_schema":
        answer = build_answer(messages, response_format.get("json_schema", {}))
        brief = _brief(body)
        if misbehaviour is not None and brief is not None:
            answer = adversary.misbehave(misbehaviour, _schema_name(body), answer, brief)
        content = json.dumps(answer)
    else:
        content = "Sandbox answer."
    if misbehaviour == "refusal":
        content, refusal = None, _REFUSAL
    elif misbehaviour == "truncated" and content is not None:
        content, finish_reason = content[: len(content) // 2], "length"
    elif misbehaviour == "malformed" and content is not None:
        content = "Sure! Here is the JSON you asked for:\n" + content[:-1]
    prompt_text = json.dumps(messages) + json.dumps(response_format)
    digest = hashlib.sha256(prompt_text.encode()).hexdigest()[:24]
    images = image_parts(messages)
    text_only = json.dumps(_without_images(messages)) + json.dumps(response_format)
    prompt_tokens = _tokens(text_only) + _IMAGE_TOKENS * len(images)
    completion_tokens = _tokens(content or _REFUSAL)
    return {
        "id": f"chatcmpl-sandbox{digest}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": str(body.get("model", "sandbox-model")),
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": refusal,
                        "annotations": []},
            "logprobs": None,
            "finish_reason": finish_reason,
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0,
                                          "rejected_prediction_tokens": 0},
        },
        "service_tier": "default",
        "system_fingerprint": "fp_sandbox",
    }


def generated_image_png(prompt: str, size: tuple[int, int] = (1024, 1536)) -> bytes:
    """A deterministic gradient PNG whose colours come from the prompt's hash."""
    from PIL import Image, ImageOps

    digest = hashlib.sha256(prompt.encode()).digest()
    start, end = tuple(digest[0:3]), tuple(digest[3:6])
    gradient = Image.linear_gradient("L").resize(size)
    image = ImageOps.colorize(gradient, start, end)
    buffer = BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


# -- routes -----------------------------------------------------------------------------------

_HEADERS = {
    "openai-organization": "sandbox-org",
    "openai-project": "proj_sandbox",
    "openai-processing-ms": "1",
    "openai-version": "2020-10-01",
    "x-request-id": "req_sandbox",
    "Set-Cookie": "__cf_bm=sandbox-cookie; path=/; HttpOnly; Secure",
}


def _openai_error(
    status: int, message: str, kind: str, param: str | None = None
) -> SandboxResponse:
    return SandboxResponse.json(
        {"error": {"message": message, "type": kind, "param": param, "code": None}}, status
    )


def _checked(request: SandboxRequest) -> Mapping[str, Any] | SandboxResponse:
    if not request.bearer_token:
        return _openai_error(401, "You didn't provide an API key.", "invalid_request_error")
    body = request.json
    if not isinstance(body, dict):
        return _openai_error(400, "The body must be a JSON object.", "invalid_request_error")
    return body


def chat_requests(state: SandboxState) -> list[Mapping[str, Any]]:
    """The chat-completion request bodies this sandbox received, oldest first (the last
    :data:`KEPT_REQUESTS`)."""
    with state.lock:
        return list(state.plugin_data.get(_REQUESTS_KEY, ()))


def _chat_route(request: SandboxRequest) -> SandboxResponse:
    body = _checked(request)
    if isinstance(body, SandboxResponse):
        return body
    with request.state.lock:
        kept = request.state.plugin_data.setdefault(_REQUESTS_KEY, deque(maxlen=KEPT_REQUESTS))
        kept.append(body)
    if not isinstance(body.get("messages"), list) or not body.get("model"):
        return _openai_error(400, "'model' and 'messages' are required.", "invalid_request_error")
    kind = request.state.llm.draw(body, adversary.applicable_kinds(_schema_name(body),
                                                                   _brief(body)))
    if kind == "rate_limited":
        response = _openai_error(429, "Rate limit reached for requests. Please try again in 1s.",
                                 "requests")
        response.headers.update({**_HEADERS, "retry-after": "1", "retry-after-ms": "100"})
        return response
    if kind == "server_error":
        return _openai_error(500, "The server had an error while processing your request. "
                             "Sorry about that!", "server_error")
    if kind == "timeout":
        request.state.stopping.wait(request.state.llm.hang_s)
        kind = None
    return SandboxResponse.json(chat_completion(body, misbehaviour=kind), headers=_HEADERS)


def _images_route(request: SandboxRequest) -> SandboxResponse:
    body = _checked(request)
    if isinstance(body, SandboxResponse):
        return body
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt:
        return _openai_error(400, "'prompt' is required.", "invalid_request_error", "prompt")
    width, _, height = str(body.get("size") or "1024x1536").partition("x")
    size = (int(width), int(height)) if width.isdigit() and height.isdigit() else (1024, 1536)
    data = base64.b64encode(generated_image_png(prompt, size)).decode("ascii")
    payload = {"created": int(time.time()), "data": [{"b64_json": data}],
               "usage": {"input_tokens": _tokens(prompt), "output_tokens": 0,
                         "total_tokens": _tokens(prompt)}}
    return SandboxResponse.json(payload, headers=_HEADERS)
