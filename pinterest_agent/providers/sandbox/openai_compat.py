"""An OpenAI-compatible endpoint in the sandbox, so the real ``openai`` client runs offline.

Routes (base URL for the client: ``<sandbox>/openai/v1``):

- ``POST /openai/v1/chat/completions``: answers in OpenAI's chat-completion format with a
  deterministic JSON answer chosen by ``response_format.json_schema.name``. ``PinCopy`` and
  ``DesignSpec`` are built from the JSON inside the prompt's ``<brief>`` / ``<copy>`` delimiters
  (title from the first keyword and the name, link = the brief's ``destination_url``, sentences
  carrying URLs left out, like a model that ignores injected instructions; the title kept within
  the ``title: at most N characters`` the system message states). Other schema names
  use a builder added with :func:`add_answer_builder`, or a filler that walks the JSON Schema.
  ``usage`` counts tokens roughly (4 characters a token, 85 per attached image).
  A ``DesignSpec`` request with an image part (a ``data:image/...;base64`` URL, as a vision
  model gets) is answered *from the image*: the subject's box is where the pixels differ from
  the background (each pixel against both ends of its row and of its column, so gradients and
  plain backdrops count as background), the focal point is the box's centre. Without an image,
  ``subject`` is null and the focal point the centre, like a model that cannot see.
- ``POST /openai/v1/images/generations``: a deterministic 1024x1536 PNG gradient as ``b64_json``.

Requests without ``Authorization: Bearer ...`` get OpenAI's 401 error envelope. Responses carry
the headers a real OpenAI response has that cassettes must scrub (``openai-organization``,
``openai-project``, ``x-request-id``, ``set-cookie``), with harmless sandbox values.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from collections.abc import Callable, Mapping
from io import BytesIO
from typing import Any

from pinterest_agent.providers.sandbox.routes import RouteRegistry, SandboxRequest, SandboxResponse

__all__ = [
    "AnswerBuilder",
    "add_answer_builder",
    "build_answer",
    "chat_completion",
    "design_spec_answer",
    "image_parts",
    "pin_copy_answer",
    "register",
    "subject_in_image",
    "tagged_json",
]

AnswerBuilder = Callable[[list[Mapping[str, Any]], Mapping[str, Any]], dict[str, Any]]
"""``(messages, json_schema) -> answer``; the answer must validate against the schema."""

_BUILDERS: dict[str, AnswerBuilder] = {}
_URL = re.compile(r"https?://|www\.|\b[\w-]+\.(?:com|net|org|io|co|example)\b", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_PALETTES = {
    "recipe": ["#F4E3C1", "#8C3B1F", "#D98E04"],
    "product": ["#1F3A4D", "#E8EEF2", "#C9A227"],
    "how-to": ["#2E5E4E", "#F1F7F2", "#E07A5F"],
    "article": ["#3D405B", "#F4F1DE", "#81B29A"],
}
_DANGLING = {"a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the",
             "to", "with"}
_ANGLES = {
    "benefit": "{lead} for everyday comfort: {name}",
    "question": "{lead}? Why we love the {name}",
    "occasion": "{lead} gift idea: {name}",
    "detail": "{lead} up close: {name}",
    "search": "{lead} ideas: {name}",
}
"""Title forms for a variation's angle (``title_angle``), tried until one is not an earlier
Pin's title (``avoid_titles``)."""
_LAYOUTS = {"recipe": "band_bottom", "product": "band_top", "how-to": "band_top",
            "article": "band_center"}


def register(registry: RouteRegistry) -> None:
    """Add the OpenAI-compatible routes."""
    registry.add("POST", "/openai/v1/chat/completions", _chat_route)
    registry.add("POST", "/openai/v1/images/generations", _images_route)


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


def _words(text: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", text.lower()).split())


def _clip_words(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    words = text[: limit + 1].rsplit(" ", 1)[0].rstrip(" ,;:-").split(" ")
    while len(words) > 1 and words[-1].lower() in _DANGLING:
        words.pop()
    return " ".join(words) or text[:limit]


def _clean_sentences(text: str, limit: int) -> str:
    """Sentences of ``text`` without URLs or instructions aimed at a model, up to ``limit``."""
    kept: list[str] = []
    for sentence in _SENTENCE.split(" ".join(text.split())):
        lowered = sentence.lower()
        if _URL.search(sentence) or "instruction" in lowered or "ignore" in lowered:
            continue
        if len(" ".join([*kept, sentence])) > limit:
            break
        kept.append(sentence)
    return " ".join(kept) or _clip_words(_URL.sub("", text), limit)


def pin_copy_answer(brief: Mapping[str, Any], *, title_max: int = 100) -> dict[str, Any]:
    """A valid ``PinCopy`` for the brief's data, its title at most ``title_max`` characters."""
    name = str(brief.get("name", "Untitled"))
    keywords = [str(k) for k in brief.get("keywords", [])][:8]
    main = keywords[0] if keywords else None
    early = main is None or _words(main) in _words(name)[:40]
    title = name if early or main is None else f"{main.title()}: {name}"
    angle = str(brief.get("title_angle") or "")
    avoid = {_words(str(t)) for t in brief.get("avoid_titles", [])}
    lead = main.title() if main else name
    for form in (_ANGLES.get(angle), *_ANGLES.values()):
        if _words(title) not in avoid:
            break
        if form is not None:
            title = form.format(lead=lead, name=name)
    title_max = max(10, min(title_max, 100))
    clipped = _clip_words(title, title_max)
    if main is not None and _words(main) not in _words(clipped):  # the cut dropped the keyword
        clipped = _clip_words(f"{main.title()}: {name}", title_max)
    summary = _clean_sentences(str(brief.get("summary", name)), 420)
    extra = f" Ideas for {', '.join(keywords[1:3])}." if len(keywords) > 1 else ""
    hashtag = "#" + re.sub(r"\W", "", main.title()) if main else None
    return {
        "title": clipped,
        "description": _clip_words(summary + extra, 480),
        "alt_text": _clip_words(f"Photo of {name}, shown clearly in vertical format.", 500),
        "link": str(brief.get("destination_url", "")),
        "keywords": keywords or [name.lower()[:60]],
        "hashtags": [hashtag[:51]] if hashtag and len(hashtag) > 1 else [],
    }


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


_SUBJECT_SIDE = 96
_SUBJECT_DIFF = 48
"""A channel this far from both row ends and both column ends is not background."""


def subject_in_image(data: bytes) -> dict[str, float] | None:
    """The box ``{x0, y0, x1, y1}`` (fractions) of the pixels unlike the background, or None."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(BytesIO(data)) as opened:
            image = opened.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    image.thumbnail((_SUBJECT_SIDE, _SUBJECT_SIDE))
    width, height = image.size
    pixels = image.load()
    assert pixels is not None

    def far(a: Any, b: Any) -> bool:
        return max(abs(int(a[i]) - int(b[i])) for i in range(3)) > _SUBJECT_DIFF

    xs: list[int] = []
    ys: list[int] = []
    for y in range(height):
        row_ends = (pixels[0, y], pixels[width - 1, y])
        for x in range(width):
            p = pixels[x, y]
            if (far(p, row_ends[0]) and far(p, row_ends[1]) and far(p, pixels[x, 0])
                    and far(p, pixels[x, height - 1])):
                xs.append(x)
                ys.append(y)
    if len(xs) < max(4, width * height // 400):
        return None
    xs.sort()
    ys.sort()
    trim = len(xs) // 50  # ignore the outermost 2 % of foreground pixels (specks, noise)
    return {"x0": round(xs[trim] / width, 3), "y0": round(ys[trim] / height, 3),
            "x1": round((xs[-1 - trim] + 1) / width, 3),
            "y1": round((ys[-1 - trim] + 1) / height, 3)}


def design_spec_answer(
    brief: Mapping[str, Any], copy: Mapping[str, Any] | None, image: bytes | None = None
) -> dict[str, Any]:
    """A valid ``DesignSpec`` for the brief's data (and the attached photo, if any)."""
    kind = str(brief.get("kind", "other"))
    name = str(brief.get("name", "Untitled"))
    palette = _PALETTES.get(kind, ["#264653", "#F1FAEE", "#E9C46A"])
    prompt = None
    if not brief.get("has_source_image", True):
        prompt = f"A vertical natural-light photo of {_clip_words(name, 200)}, no text, no logos."
    subject = subject_in_image(image) if image is not None else None
    focal = {"x": 0.5, "y": 0.5}
    if subject is not None:
        focal = {"x": round((subject["x0"] + subject["x1"]) / 2, 3),
                 "y": round((subject["y0"] + subject["y1"]) / 2, 3)}
    return {
        "headline": _clip_words(name, 40),
        "layout": _LAYOUTS.get(kind, "band_bottom"),
        "palette": palette,
        "dominant_color": palette[1],
        "focal_point": focal,
        "subject": subject,
        "image_prompt": prompt,
    }


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


def _stated_limit(messages: list[Mapping[str, Any]], field: str, default: int) -> int:
    """The ``- FIELD: at most N characters`` limit the system message states, like a model that
    follows the template's instructions (so an edited limit changes the answer)."""
    pattern = re.compile(rf"^\W*{field}:\s*at most (\d+) characters", re.MULTILINE | re.I)
    for message in messages:
        content = message.get("content")
        if message.get("role") == "system" and isinstance(content, str):
            found = pattern.search(content)
            if found:
                return int(found.group(1))
    return default


def build_answer(
    messages: list[Mapping[str, Any]], json_schema: Mapping[str, Any]
) -> dict[str, Any]:
    """The deterministic answer for a structured-output request."""
    name = str(json_schema.get("name", ""))
    if name in _BUILDERS:
        return _BUILDERS[name](messages, json_schema)
    brief = tagged_json(messages, "brief")
    if name == "PinCopy" and isinstance(brief, dict):
        return pin_copy_answer(brief, title_max=_stated_limit(messages, "title", 100))
    if name == "DesignSpec" and isinstance(brief, dict):
        images = image_parts(messages)
        return design_spec_answer(brief, tagged_json(messages, "copy"),
                                  images[0] if images else None)
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


def chat_completion(body: Mapping[str, Any]) -> dict[str, Any]:
    """An OpenAI ``chat.completion`` object answering ``body`` (a create request)."""
    messages = [m for m in body.get("messages", []) if isinstance(m, Mapping)]
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        content = json.dumps(build_answer(messages, response_format.get("json_schema", {})))
    else:
        content = "Sandbox answer."
    prompt_text = json.dumps(messages) + json.dumps(response_format)
    digest = hashlib.sha256(prompt_text.encode()).hexdigest()[:24]
    images = image_parts(messages)
    text_only = json.dumps(_without_images(messages)) + json.dumps(response_format)
    prompt_tokens = _tokens(text_only) + _IMAGE_TOKENS * len(images)
    completion_tokens = _tokens(content)
    return {
        "id": f"chatcmpl-sandbox{digest}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": str(body.get("model", "sandbox-model")),
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": None,
                        "annotations": []},
            "logprobs": None,
            "finish_reason": "stop",
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


def _chat_route(request: SandboxRequest) -> SandboxResponse:
    body = _checked(request)
    if isinstance(body, SandboxResponse):
        return body
    if not isinstance(body.get("messages"), list) or not body.get("model"):
        return _openai_error(400, "'model' and 'messages' are required.", "invalid_request_error")
    return SandboxResponse.json(chat_completion(body), headers=_HEADERS)


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
