"""Links that passed the preflight, shared by every worker process and machine
(``P:preflight:{sha256 of the URL}``, expiring when the verdict does).

``providers.netsafe.verdicts.SharedVerdicts`` on Redis: each process keeps its own cache in front
of it, so a link is requested once per fleet, not once per process, within
``PINTEREST_AGENT_PREFLIGHT_CACHE_S``. Only passed verdicts are written; an unreachable Redis
answers "not known" (the preflight then asks the site), never an error.
"""

from __future__ import annotations

import hashlib
import logging

import redis

from pinterest_agent.queues.stores.keys import Keys

__all__ = ["RedisVerdicts"]

log = logging.getLogger(__name__)


class RedisVerdicts:
    def __init__(self, client: redis.Redis[bytes], prefix: str) -> None:
        self._client = client
        self._key = Keys(prefix)

    def key(self, url: str) -> str:
        return self._key("preflight", hashlib.sha256(url.encode("utf-8", "surrogatepass"))
                         .hexdigest())

    def passed_for(self, url: str) -> float | None:
        try:
            left_ms = int(self._client.pttl(self.key(url)))
        except redis.RedisError as exc:
            log.debug("shared preflight verdicts unreadable (%s)", type(exc).__name__)
            return None
        return left_ms / 1000 if left_ms > 0 else None  # -2: none, -1: never (not ours)

    def remember(self, url: str, ttl_s: float) -> None:
        ttl_ms = int(ttl_s * 1000)
        if ttl_ms <= 0:
            return
        try:
            self._client.set(self.key(url), b"1", px=ttl_ms)
        except redis.RedisError as exc:
            log.debug("shared preflight verdict not written (%s)", type(exc).__name__)
