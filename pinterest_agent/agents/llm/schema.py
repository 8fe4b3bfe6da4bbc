"""The JSON Schema sent as ``response_format`` for structured outputs.

OpenAI's strict mode (and the stricter OpenAI-compatible servers) accept only a subset of JSON
Schema: every property required, ``additionalProperties: false``, optional values written as
nullable, no ``default``, and length/range/pattern keywords rejected by some servers. So the wire
schema is the pydantic model's schema reduced to that common subset, with each dropped limit
restated in the field's description (the model still reads it), and the full pydantic model
validates the answer on our side. That is also why the seam calls ``chat.completions.create`` with
this schema instead of ``chat.completions.parse``: ``parse`` raises on a validation error and loses
the raw answer the repair round must show the model.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from pydantic import BaseModel

__all__ = [
    "GRAMMAR_MAX_LENGTH",
    "bounded_json_schema",
    "response_format",
    "strict_json_schema",
    "strict_schema_json",
]

_DROPPED = {
    "maxLength": "at most {} characters",
    "minLength": "at least {} characters",
    "maxItems": "at most {} items",
    "minItems": "at least {} items",
    "maximum": "at most {}",
    "minimum": "at least {}",
    "pattern": "matching {}",
}
_NOISE = ("title", "default", "examples", "format")


def strict_json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s JSON Schema in the strict-mode subset (a fresh dict each call)."""
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    strict: dict[str, Any] = _strict(schema, defs)
    return strict


_BOUNDS = frozenset({"maxLength", "minLength", "maxItems", "minItems"})
GRAMMAR_MAX_LENGTH = 1000
"""Longer string limits stay in the description: llama.cpp expands ``maxLength`` into nested
optional rules, and a link's 2,048 crashed its grammar (a segmentation fault in the server)."""


def bounded_json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The strict subset plus the length and item-count limits, for servers that turn the schema
    into a grammar (``json_object`` with a ``schema``: llama.cpp, vLLM): the grammar then stops a
    string or a list at its limit, where a small model would loop until the token cap. Patterns
    and ranges stay in the descriptions (grammar converters support them unevenly)."""
    schema = model.model_json_schema()
    bounded: dict[str, Any] = _strict(schema, schema.get("$defs", {}), keep=_BOUNDS)
    return bounded


@functools.lru_cache(maxsize=64)
def strict_schema_json(model: type[BaseModel]) -> str:
    """:func:`strict_json_schema` as canonical JSON (sorted keys, no spaces), computed once per
    model: what the LLM cache key hashes."""
    return json.dumps(strict_json_schema(model), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)


def response_format(model: type[BaseModel]) -> dict[str, Any]:
    """The ``response_format`` parameter of ``chat.completions.create`` for ``model``."""
    return {
        "type": "json_schema",
        "json_schema": {
            "name": model.__name__,
            "strict": True,
            "schema": strict_json_schema(model),
        },
    }


def _strict(node: Any, defs: dict[str, Any], keep: frozenset[str] = frozenset()) -> Any:
    if isinstance(node, list):
        return [_strict(item, defs, keep) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node and len(node) > 1:
        # Strict mode forbids keywords beside $ref: inline the definition under the siblings.
        target = defs[node["$ref"].rsplit("/", 1)[-1]]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    out: dict[str, Any] = {}
    notes: list[str] = []
    for key, value in node.items():
        if key in _NOISE:
            continue
        if key in keep and not (key == "maxLength" and value > GRAMMAR_MAX_LENGTH):
            out[key] = value
            continue
        if key in _DROPPED:
            if not (key in ("minLength", "minItems") and value <= 1):  # 1 says nothing useful
                notes.append(_DROPPED[key].format(value))
            continue
        if key in ("properties", "$defs"):
            out[key] = {name: _strict(sub, defs, keep) for name, sub in value.items()}
        else:
            out[key] = _strict(value, defs, keep)
    if notes:
        described = out.get("description", "")
        out["description"] = (described + " " if described else "") + f"({', '.join(notes)})"
    if out.get("type") == "object" and "properties" in out:
        out["required"] = list(out["properties"])
        out["additionalProperties"] = False
    return out
