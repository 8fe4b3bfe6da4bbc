-- KEYS: entry. ARGV: attempt, margin_ms. The attempt's create has ended (answered 5xx, or cut off
-- at its deadline) without telling whether it was applied: it is settled the margin from now, if
-- that is sooner than its mark said.
if redis.call('hget', KEYS[1], 'state') ~= 'creating' then return 0 end
if redis.call('hget', KEYS[1], 'attempt') ~= ARGV[1] then return 0 end
-- #include now_ms.lua
local settle_at = now_ms + tonumber(ARGV[2])
local current = tonumber(redis.call('hget', KEYS[1], 'settle_at'))
if not current or settle_at < current then redis.call('hset', KEYS[1], 'settle_at', settle_at) end
return 1
