-- KEYS: routing. ARGV: rollout field. Returns the ended rollout's JSON, or nil.
local current = redis.call('hget', KEYS[1], ARGV[1])
if not current then return nil end
redis.call('hdel', KEYS[1], ARGV[1])
redis.call('hincrby', KEYS[1], 'serial', 1)
return current
