"""``agents.pin_updates.UpdateLedger`` on Redis.

Keys (``P`` is the ``key_prefix`` setting)::

    P:update:{update_id}        hash  status applied|superseded, pin_id, revision (kept for good,
                                      like the publish ledger: it is what makes a resend a no-op)
    P:update-lease:{pin_id}     str   the attempt updating the Pin (short TTL, renewed)
    P:pin-revision:{pin_id}     str   the highest revision applied to the Pin

``finish`` writes the update's status and raises the Pin's revision in one script, so a reader
never sees one without the other.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import redis

from pinterest_agent.agents.messages import PostUpdate
from pinterest_agent.queues.lua import load_script
from pinterest_agent.queues.stores.renewal import Claim, Renewer

__all__ = ["RedisUpdateLedger"]

_LUA = "pinterest_agent.queues.stores"
_RELEASE = load_script(_LUA, "update_ledger_release")

_FINISH = load_script(_LUA, "update_ledger_finish")


class RedisUpdateLedger:
    def __init__(self, client: redis.Redis[bytes], prefix: str, renewer: Renewer, *,
                 lease_ttl_ms: int) -> None:
        self._client = client
        self._prefix = prefix
        self._renewer = renewer
        self._ttl_ms = lease_ttl_ms
        self._release = client.register_script(_RELEASE)
        self._finish = client.register_script(_FINISH)

    def _key(self, *parts: str) -> str:
        return ":".join((self._prefix, *parts))

    def status(self, update_id: str) -> str | None:
        raw = self._client.hget(self._key("update", update_id), "status")
        return raw.decode() if raw is not None else None

    def acquire(self, pin_id: str, attempt: str) -> bool:
        return bool(self._client.set(self._key("update-lease", pin_id), attempt, nx=True,
                                     px=self._ttl_ms))

    @contextmanager
    def keep(self, pin_id: str, attempt: str) -> Iterator[None]:
        with self._renewer.hold(Claim("lease", self._key("update-lease", pin_id), attempt,
                                      self._ttl_ms)):
            yield

    def release(self, pin_id: str, attempt: str) -> None:
        self._release(keys=[self._key("update-lease", pin_id)], args=[attempt])

    def revision(self, pin_id: str) -> int | None:
        raw = self._client.get(self._key("pin-revision", pin_id))
        return int(raw) if raw is not None else None

    def finish(self, update: PostUpdate, status: Literal["applied", "superseded"]) -> None:
        self._finish(keys=[self._key("update", update.update_id),
                           self._key("pin-revision", update.pin_id)],
                     args=[status, update.pin_id, update.revision])
