-- KEYS[1]: a slot set. ARGV: holder, ttl_ms. Push the holder's deadline (Redis's clock) out, only
-- if it still holds a slot: a lapsed slot may have gone to someone else.
if not redis.call('zscore', KEYS[1], ARGV[1]) then return 0 end
local now = redis.call('time')
local deadline = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) + ARGV[2]
redis.call('zadd', KEYS[1], deadline, ARGV[1])
redis.call('pexpire', KEYS[1], ARGV[2])
return 1
