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
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import redis
from pydantic_core import to_jsonable_python

__all__ = [
    "DEFAULT_CACHE_PREFIX",
    "DEFAULT_CACHE_TTL_S",
    "LLMCache",
    "MemoryLLMCache",
    "RedisLLMCache",
    "cache_key",
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
    payload: dict[str, Any] = {
        "model": model,
        "template_hash": template_hash,
        "variables": to_jsonable_python(dict(variables)),
        "schema": schema,
    }
    if images:  # absent, not empty, without images: keys of text-only calls stay as they were
        payload["images"] = [hashlib.sha256(url.encode("utf-8")).hexdigest() for url in images]
    canonical = json.dumps(
        payload,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
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


class MemoryLLMCache:
    """A dict-backed cache for tests and one-off scripts."""

    def __init__(self) -> None:
        self.entries: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self.entries.get(key)

    def set(self, key: str, value: str) -> None:
        self.entries[key] = value
