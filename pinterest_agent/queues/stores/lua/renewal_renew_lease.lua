-- KEYS[1]: the lease key. ARGV: holder, ttl_ms. Renew the holder's lease, or take it back if it
-- lapsed and nobody else holds it.
local holder = redis.call('get', KEYS[1])
if holder == ARGV[1] or not holder then
  redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
