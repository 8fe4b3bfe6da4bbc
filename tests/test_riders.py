"""Writes that ride along with the thread's next script round trip (``queues.stores.riders``),
on real Redis: queued inside a block, sent with the next script or at the block's end, however
it ends; written at once outside one."""

from __future__ import annotations

import uuid

import pytest
import redis

from pinterest_agent.queues.stores.documents import Documents
from pinterest_agent.queues.stores.keys import Keys
from pinterest_agent.queues.stores.riders import Riders

pytestmark = pytest.mark.redis

_ECHO = "return redis.call('get', KEYS[1]) or ARGV[1]"


@pytest.fixture()
def riders(redis_server: redis.Redis[bytes]) -> Riders:
    return Riders(redis_server)


@pytest.fixture()
def documents(redis_server: redis.Redis[bytes], prefix: str, riders: Riders) -> Documents:
    return Documents(redis_server, Keys(prefix), riders)


def test_outside_a_block_a_write_is_stored_at_once(
        documents: Documents, riders: Riders) -> None:
    assert not riders.add(lambda pipe: pipe.ping())
    documents.put_new_soon("draft", "p1", '{"a": 1}', ttl_s=60)
    assert documents.get("draft", "p1") == '{"a": 1}'


def test_a_queued_write_goes_with_the_next_script_ahead_of_it(
        redis_server: redis.Redis[bytes], documents: Documents, riders: Riders,
        prefix: str) -> None:
    script = redis_server.register_script(_ECHO)
    key = f"{prefix}:draft:p1"
    with riders.collect():
        # Given a post's copy queued
        documents.put_new_soon("draft", "p1", "copy", ttl_s=60)
        assert documents.get("draft", "p1") is None  # not sent yet
        # When the thread runs its next script
        reply = riders.run(script, keys=[key], args=["none"])
        # Then the write was stored first (the script read it)
        assert reply == b"copy"
    ttl = redis_server.ttl(key)
    assert 0 < ttl <= 60


def test_a_queued_write_is_stored_when_the_block_ends_without_a_script(
        documents: Documents, riders: Riders) -> None:
    with riders.collect():
        documents.put_new_soon("draft", "p1", "copy", ttl_s=60)
    assert documents.get("draft", "p1") == "copy"


def test_a_queued_write_is_stored_when_the_block_fails(
        documents: Documents, riders: Riders) -> None:
    with pytest.raises(RuntimeError, match="publish failed"), riders.collect():
        documents.put_new_soon("draft", "p1", "copy", ttl_s=60)
        raise RuntimeError("publish failed")
    assert documents.get("draft", "p1") == "copy"


def test_a_stored_document_is_kept(documents: Documents, riders: Riders) -> None:
    documents.put_new_soon("draft", "p1", "the writer's", ttl_s=60)
    with riders.collect():
        documents.put_new_soon("draft", "p1", "upstream copy", ttl_s=60)
    assert documents.get("draft", "p1") == "the writer's"


def test_a_script_redis_does_not_know_yet_is_loaded_and_run(
        redis_server: redis.Redis[bytes], documents: Documents, riders: Riders,
        prefix: str) -> None:
    # Given a script never loaded (as after a Redis restart)
    script = redis_server.register_script(f"-- {uuid.uuid4().hex}\n{_ECHO}")
    key = f"{prefix}:draft:p1"
    with riders.collect():
        documents.put_new_soon("draft", "p1", "copy", ttl_s=60)
        # Then it still answers, after the queued write
        assert riders.run(script, keys=[key], args=["none"]) == b"copy"


def test_blocks_are_per_thread_and_nest(documents: Documents, riders: Riders) -> None:
    with riders.collect():
        documents.put_new_soon("draft", "outer", "o", ttl_s=60)
        with riders.collect():
            documents.put_new_soon("draft", "inner", "i", ttl_s=60)
        assert documents.get("draft", "inner") == "i"
        assert documents.get("draft", "outer") is None
    assert documents.get("draft", "outer") == "o"
