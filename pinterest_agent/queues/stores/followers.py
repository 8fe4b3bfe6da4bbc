"""Follower snapshots per channel (``P:followers:{channel}``)."""

from __future__ import annotations

import redis

from pinterest_agent.agents.insights.followers import FollowerSnapshot
from pinterest_agent.queues.stores.keys import Keys

__all__ = ["RedisFollowerSnapshots"]


class RedisFollowerSnapshots:
    """``agents.insights.followers.FollowerSnapshotStore`` on Redis: a list per channel, oldest
    first, keeping the last ``keep`` snapshots (a year of weekly runs by default)."""

    def __init__(self, client: redis.Redis[bytes], keys: Keys, *, keep: int = 60) -> None:
        self._client = client
        self._key = keys
        self._keep = keep

    def load(self, channel_id: str) -> list[FollowerSnapshot]:
        raw = self._client.lrange(self._key("followers", channel_id), 0, -1)
        return [FollowerSnapshot.model_validate_json(item) for item in raw]

    def save(self, channel_id: str, snapshot: FollowerSnapshot) -> None:
        key = self._key("followers", channel_id)
        with self._client.pipeline(transaction=True) as pipe:
            pipe.rpush(key, snapshot.model_dump_json())
            pipe.ltrim(key, -self._keep, -1)
            pipe.execute()
