"""Channel credentials in Redis, sealed with :class:`~.secrets.SecretBox` (``P:channels``,
locked per channel while a token is refreshed: ``P:channel-lock:{id}``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import redis

from pinterest_agent.agents.ports import (
    ChannelCredentials,
)
from pinterest_agent.errors import ConfigurationError
from pinterest_agent.queues.lua import load_script
from pinterest_agent.queues.stores.keys import Keys, as_bytes, as_str
from pinterest_agent.queues.stores.secrets import SecretBox

__all__ = ["LOCK_TIMEOUT_S", "LOCK_WAIT_S", "CredentialVault"]


LOCK_TIMEOUT_S = 60
LOCK_WAIT_S = 90


_LUA = "pinterest_agent.queues.stores"
_SWAP_FIELD = load_script(_LUA, "credentials_swap_field")


class CredentialVault:
    """``agents.ports.CredentialStore`` on Redis: credentials sealed with :class:`SecretBox`."""

    def __init__(self, client: redis.Redis[bytes], box: SecretBox, keys: Keys) -> None:
        self._client = client
        self._box = box
        self._key = keys
        self._swap = client.register_script(_SWAP_FIELD)

    def get(self, channel_id: str) -> ChannelCredentials | None:
        sealed = self._client.hget(self._key("channels"), channel_id)
        if sealed is None:
            return None
        credentials = ChannelCredentials.model_validate_json(self._box.open(as_bytes(sealed)))
        if credentials.channel_id != channel_id:  # a record copied under another channel's id
            raise ConfigurationError(
                f"the credentials stored for channel {channel_id!r} belong to another channel; "
                f"reconnect {channel_id!r} (`pinterest-agent channels connect`)",
                code="credentials_mismatch",
            )
        return credentials

    def rekey(self) -> int:
        """Re-encrypt every stored credential with the first secret key; returns how many."""
        key = self._key("channels")
        count = 0
        for field, sealed in self._client.hgetall(key).items():
            # swapped only if unchanged: a token refreshed meanwhile is already under the new key
            count += int(self._swap(keys=[key], args=[field, sealed,
                                                      self._box.rotate(as_bytes(sealed))]))
        return count

    def put(self, credentials: ChannelCredentials) -> None:
        data = credentials.model_dump(mode="json")
        for name in ("access_token", "refresh_token"):
            secret = getattr(credentials, name)
            data[name] = secret.get_secret_value() if secret is not None else None
        sealed = self._box.seal(json.dumps(data).encode())
        self._client.hset(self._key("channels"), credentials.channel_id, sealed)

    def channel_ids(self) -> list[str]:
        return sorted(as_str(k) for k in self._client.hkeys(self._key("channels")))

    def delete(self, channel_id: str) -> bool:
        return bool(self._client.hdel(self._key("channels"), channel_id))

    @contextmanager
    def lock(self, channel_id: str) -> Iterator[None]:
        lock = self._client.lock(
            self._key("channel-lock", channel_id),
            timeout=LOCK_TIMEOUT_S,
            blocking_timeout=LOCK_WAIT_S,
        )
        if not lock.acquire():
            raise TimeoutError(f"could not lock channel {channel_id!r} within {LOCK_WAIT_S}s")
        try:
            yield
        finally:
            with suppress(redis.exceptions.LockError):  # expired: the next holder has it
                lock.release()
