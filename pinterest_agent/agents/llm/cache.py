"""A cache of validated LLM answers, so a redelivered job does not pay for the same call twice.

The key is the SHA-256 of (model, template hash, canonical JSON of the variables, output schema,
the SHA-256 of each attached image):
change any of them (another model, an edited template, another brief, a changed output model)
and the call is made again. The value is the validated answer as JSON; a hit is validated and
checked again before use, so a stale or tampered entry is ignored, never trusted. A cache that
fails (Redis down) is logged and skipped: caching saves money, it never fails a job.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from json.encoder import encode_basestring
from typing import Any, Protocol

import redis
from pydantic_core import to_jsonable_python

__all__ = [
    "DEFAULT_CACHE_PREFIX",
    "DEFAULT_CACHE_TTL_S",
    "FrozenVariables",
    "LLMCache",
    "MemoryLLMCache",
    "RedisLLMCache",
    "cache_key",
    "canonical_json",
    "keyed_by",
]

DEFAULT_CACHE_PREFIX = "pinterest-agent:llm-cache"
DEFAULT_CACHE_TTL_S = 7 * 24 * 3600
"""A week: long enough for any redelivery or replay, short enough not to pin old copy forever."""

log = logging.getLogger(__name__)


class LLMCache(Protocol):
    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str) -> None: ...


def cache_key(
    *,
    model: str,
    template_hash: str,
    variables: Mapping[str, Any],
    schema: Mapping[str, Any],
    images: Sequence[str] = (),
) -> str:
    """The hex SHA-256 naming one (model, template, inputs, output schema, images) call."""
    return keyed_by(model=model, template_hash=template_hash, variables=variables,
                    schema_json=canonical_json(schema), images=images)


def canonical_json(value: Any) -> str:
    """``value`` as the canonical JSON the key hashes (sorted keys, no spaces, UTF-8)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class FrozenVariables(Mapping[str, Any]):
    """Template variables that nobody changes after making them, keeping their canonical JSON
    once :func:`keyed_by` has computed it: a caller that keys the same call twice (the prompt
    workbench reads every case's answer ahead, then runs the case) serialises them once. Its
    values are not copied: whoever makes one must not change them afterwards."""

    __slots__ = ("_data", "_json")

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = dict(data)
        self._json: str | None = None

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def canonical_json(self) -> str:
        if self._json is None:
            self._json = _variables_json(self._data)
        return self._json


def _variables_json(variables: Mapping[str, Any]) -> str:
    return canonical_json(to_jsonable_python(dict(variables)))


def keyed_by(
    *,
    model: str,
    template_hash: str,
    variables: Mapping[str, Any],
    schema_json: str,
    images: Sequence[str] = (),
) -> str:
    """:func:`cache_key` with the schema already in canonical JSON (the seam keeps it per output
    model, so a call does not serialise its schema again). The same key, byte for byte: the
    parts are joined in sorted key order, as ``json.dumps(..., sort_keys=True)`` would."""
    parts = []
    if images:  # absent, not empty, without images: keys of text-only calls stay as they were
        digests = [hashlib.sha256(url.encode("utf-8")).hexdigest() for url in images]
        parts.append('"images":' + canonical_json(digests))
    parts += [
        '"model":' + encode_basestring(model),  # what json.dumps writes for a str, minus the
        '"schema":' + schema_json,                # call's overhead (a key is made per call)
        '"template_hash":' + encode_basestring(template_hash),
        '"variables":' + (variables.canonical_json() if isinstance(variables, FrozenVariables)
                          else _variables_json(variables)),
    ]
    canonical = "{" + ",".join(parts) + "}"
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class RedisLLMCache:
    """Answers in Redis under ``{prefix}:{key}`` with a TTL."""

    def __init__(
        self,
        client: redis.Redis[Any],
        prefix: str = DEFAULT_CACHE_PREFIX,
        ttl_s: int = DEFAULT_CACHE_TTL_S,
    ) -> None:
        self._redis = client
        self._prefix = prefix
        self._ttl_s = ttl_s

    def get(self, key: str) -> str | None:
        try:
            raw = self._redis.get(f"{self._prefix}:{key}")
        except redis.RedisError as exc:
            log.warning("llm cache read skipped: %s", exc)
            return None
        if raw is None:
            return None
        return raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)

    def set(self, key: str, value: str) -> None:
        try:
            self._redis.set(f"{self._prefix}:{key}", value, ex=self._ttl_s)
        except redis.RedisError as exc:
            log.warning("llm cache write skipped: %s", exc)

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        """Many answers in one round trip (an eval prefetching its cases); misses are None."""
        try:
            raw = self._redis.mget([f"{self._prefix}:{key}" for key in keys]) if keys else []
        except redis.RedisError as exc:
            log.warning("llm cache read skipped: %s", exc)
            return [None] * len(keys)
        return [None if r is None else r.decode("utf-8") if isinstance(r, bytes) else str(r)
                for r in raw]


class MemoryLLMCache:
    """A dict-backed cache for tests and one-off scripts."""

    def __init__(self) -> None:
        self.entries: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self.entries.get(key)

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        return [self.entries.get(key) for key in keys]

    def set(self, key: str, value: str) -> None:
        self.entries[key] = value
