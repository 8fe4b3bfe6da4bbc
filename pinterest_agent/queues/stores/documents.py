"""JSON documents the agents keep: drafts (``P:draft:{post_id}``: the writer's draft, or an
upstream post as the publisher received it), insights, histories."""

from __future__ import annotations

import redis

from pinterest_agent.queues.stores.keys import Keys, as_str
from pinterest_agent.queues.stores.riders import Riders

__all__ = ["Documents"]


class Documents:
    """JSON documents the agents keep: drafts, follower snapshots, insights (newest first)."""

    def __init__(self, client: redis.Redis[bytes], keys: Keys, riders: Riders | None = None
                 ) -> None:
        self._client = client
        self._key = keys
        self._riders = riders

    def put(self, name: str, subject_id: str, value: str) -> None:
        self._client.set(self._key(name, subject_id), value)

    def put_new(self, name: str, subject_id: str, value: str, *, ttl_s: int) -> bool:
        """Store *value* unless a document is stored under that name already (kept as it is);
        it expires after *ttl_s* seconds. Returns whether it was stored."""
        return bool(self._client.set(self._key(name, subject_id), value, nx=True, ex=ttl_s))

    def put_new_soon(self, name: str, subject_id: str, value: str, *, ttl_s: int) -> None:
        """:meth:`put_new`, riding along with the thread's next script round trip inside a
        :meth:`Riders.collect` block (stored by the block's end at the latest); at once
        outside one."""
        key = self._key(name, subject_id)
        if self._riders is None or not self._riders.add(
                lambda pipe: pipe.set(key, value, nx=True, ex=ttl_s)):
            self._client.set(key, value, nx=True, ex=ttl_s)

    def get(self, name: str, subject_id: str) -> str | None:
        raw = self._client.get(self._key(name, subject_id))
        return as_str(raw) if raw is not None else None

    def push(self, name: str, subject_id: str, value: str, *, keep: int = 200) -> None:
        key = self._key(name, subject_id)
        with self._client.pipeline(transaction=True) as pipe:
            pipe.lpush(key, value)
            pipe.ltrim(key, 0, keep - 1)
            pipe.execute()

    def history(self, name: str, subject_id: str, *, limit: int = 200) -> list[str]:
        return [as_str(v) for v in self._client.lrange(self._key(name, subject_id), 0, limit - 1)]
