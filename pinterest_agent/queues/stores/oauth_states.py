"""One-time OAuth ``state`` values (``P:oauth-state:{flow}``)."""

from __future__ import annotations

import hmac

import redis

from pinterest_agent.queues.stores.keys import Keys, as_bytes

__all__ = ["OAUTH_STATE_TTL_S", "OAuthStates"]


OAUTH_STATE_TTL_S = 600


class OAuthStates:
    """One-time OAuth ``state``: stored with a TTL, consumed once, compared in constant time."""

    def __init__(self, client: redis.Redis[bytes], keys: Keys) -> None:
        self._client = client
        self._key = keys

    def save(self, flow_id: str, state: str, ttl_s: int = OAUTH_STATE_TTL_S) -> None:
        self._client.set(self._key("oauth-state", flow_id), state, ex=ttl_s)

    def consume(self, flow_id: str, received: str) -> bool:
        """True once for the state issued to *flow_id*; replays and mismatches are False."""
        stored = self._client.getdel(self._key("oauth-state", flow_id))
        if stored is None:
            return False
        return hmac.compare_digest(as_bytes(stored), received.encode())
