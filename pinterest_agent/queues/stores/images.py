"""Rendered images, stored once by content hash (``P:image:{sha256}``)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

import redis

from pinterest_agent.queues.lua import load_script
from pinterest_agent.queues.stores.keys import Keys

__all__ = ["RedisImageStore"]


_LUA = "pinterest_agent.queues.stores"
_PUT_IMAGE = load_script(_LUA, "images_put")


class RedisImageStore:
    """``agents.ports.ImageStore`` on Redis: ``P:image:{sha256}`` holds the bytes, kept
    ``ttl_s`` after the post is due, so a message, a draft or an event carries only the hash."""

    def __init__(
        self, client: redis.Redis[bytes], prefix: str, *, ttl_s: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._key = Keys(prefix)
        self._ttl_s = ttl_s
        self._clock = clock
        self._put = client.register_script(_PUT_IMAGE)

    def put(self, data: bytes, *, due_at: float | None = None) -> str:
        digest = hashlib.sha256(data).hexdigest()
        wait_s = max(0.0, (due_at or 0.0) - self._clock())
        self._put(keys=[self._key("image", digest)], args=[data, self._ttl_s + int(wait_s)])
        return digest

    def get(self, sha256: str) -> bytes | None:
        return self._client.get(self._key("image", sha256))

    def exists(self, sha256: str) -> bool:
        return bool(self._client.exists(self._key("image", sha256)))
