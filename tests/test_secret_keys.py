"""Credentials at rest: several keys for rotation, `channels rekey`, and records bound to their
channel."""

from __future__ import annotations

import time

import pytest
import redis
from pydantic import SecretStr

from pinterest_agent.agents.ports import ChannelCredentials
from pinterest_agent.errors import ConfigurationError
from pinterest_agent.queues.stores.secrets import SecretBox
from pinterest_agent.queues.stores.store import Store

pytestmark = pytest.mark.redis


def _creds(channel_id: str) -> ChannelCredentials:
    return ChannelCredentials(channel_id=channel_id, access_token=SecretStr(f"pina_{channel_id}"),
                              expires_at=time.time() + 3600)


def test_rotation_old_key_decrypts_and_rekey_moves_everything_to_the_new_key(
    redis_server: redis.Redis[bytes], prefix: str,
) -> None:
    old, new = SecretBox.generate_key(), SecretBox.generate_key()
    # Given credentials stored under the old key
    Store.build(redis_server, SecretBox(old), prefix=prefix).credentials.put(_creds("shop"))
    # When the operator sets NEW,OLD
    rotated = Store.build(redis_server, SecretBox(f"{new},{old}"), prefix=prefix)
    # Then the old record still decrypts, and rekey re-encrypts it with the new key
    assert rotated.credentials.get("shop") is not None
    assert rotated.credentials.rekey() == 1
    only_new = Store.build(redis_server, SecretBox(new), prefix=prefix)
    creds = only_new.credentials.get("shop")
    assert creds is not None and creds.access_token.get_secret_value() == "pina_shop"
    # And the old key alone no longer opens it
    with pytest.raises(ConfigurationError):
        Store.build(redis_server, SecretBox(old), prefix=prefix).credentials.get("shop")


def test_a_record_copied_under_another_channel_is_refused(
    redis_server: redis.Redis[bytes], prefix: str,
) -> None:
    store = Store.build(redis_server, SecretBox(SecretBox.generate_key()), prefix=prefix)
    store.credentials.put(_creds("victim"))
    store.credentials.put(_creds("attacker"))
    # Given someone with Redis access copies one channel's sealed record over another's
    sealed = redis_server.hget(f"{prefix}:channels", "attacker")
    assert sealed is not None
    redis_server.hset(f"{prefix}:channels", "victim", sealed)
    # Then reading it under the wrong id is refused
    with pytest.raises(ConfigurationError) as info:
        store.credentials.get("victim")
    assert info.value.code == "credentials_mismatch"


@pytest.mark.parametrize("key", ["", "short", "a,b", ","])
def test_malformed_keys_name_keygen(key: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        SecretBox(key)
    assert "pinterest-agent keygen" in str(info.value)
