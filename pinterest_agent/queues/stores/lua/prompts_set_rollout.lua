-- KEYS: routing, candidate version key. ARGV: rollout field, rollout JSON. Returns 0 if the
-- candidate does not exist.
if redis.call('exists', KEYS[2]) == 0 then return 0 end
redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
redis.call('hincrby', KEYS[1], 'serial', 1)
return 1
