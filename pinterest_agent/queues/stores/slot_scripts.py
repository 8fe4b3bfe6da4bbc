"""Lua fragments for a channel's write slots, shared by every script that takes or frees one.

A slot set is a sorted set of holders scored by their deadline in Redis's clock (ms). The
limiter (:mod:`queues.stores.limits`) takes and frees slots on their own; the publish ledger
(:mod:`queues.stores.store`) takes one together with marking a post ``creating`` and frees it together
with recording the Pin, so those steps cost one round trip each. The fragments use the Lua
locals named in their docstrings, which the enclosing script sets.
"""

from __future__ import annotations

__all__ = ["FREE_SLOT", "NOW_MS", "TAKE_SLOT"]

NOW_MS = """
local now = redis.call('time')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
"""
"""Sets ``now_ms``: Redis's clock in milliseconds (one clock for every worker)."""

TAKE_SLOT = """
redis.call('zremrangebyscore', slot_key, '-inf', now_ms)
local taken = redis.call('zscore', slot_key, holder)
  or redis.call('zcard', slot_key) < tonumber(slot_limit)
if taken then
  redis.call('zadd', slot_key, now_ms + tonumber(slot_ttl_ms), holder)
  redis.call('pexpire', slot_key, slot_ttl_ms)
end
"""
"""Uses ``slot_key``, ``holder``, ``slot_limit``, ``slot_ttl_ms``, ``now_ms``; sets ``taken``.
Drops lapsed holders, then takes a slot if one is free, or renews the one ``holder`` still holds
(a slot handed over between threads of one process)."""

FREE_SLOT = """
if redis.call('zrem', slot_key, holder) == 1 then
  redis.call('lpush', wake_key, '1')
  redis.call('ltrim', wake_key, 0, tonumber(slot_limit) - 1)
  redis.call('pexpire', wake_key, 60000)
end
"""
"""Uses ``slot_key``, ``wake_key``, ``holder``, ``slot_limit``. Frees the holder's slot and wakes
one process waiting for it (the wake-up list is capped at the number of slots)."""
