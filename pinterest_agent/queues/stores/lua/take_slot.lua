-- Uses ``slot_key``, ``holder``, ``slot_limit``, ``slot_ttl_ms``, ``now_ms``; sets ``taken``.
-- Drops lapsed holders, then takes a slot if one is free, or renews the one ``holder`` still holds
-- (a slot handed over between threads of one process).
redis.call('zremrangebyscore', slot_key, '-inf', now_ms)
local taken = redis.call('zscore', slot_key, holder)
  or redis.call('zcard', slot_key) < tonumber(slot_limit)
if taken then
  redis.call('zadd', slot_key, now_ms + tonumber(slot_ttl_ms), holder)
  redis.call('pexpire', slot_key, slot_ttl_ms)
end
