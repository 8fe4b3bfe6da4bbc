-- KEYS: routing, history. ARGV: label field. Returns {-1} (label unset) or {from, to or 0}.
local current = redis.call('hget', KEYS[1], ARGV[1])
if not current then return {-1} end
local previous = redis.call('lpop', KEYS[2])
if previous then
  redis.call('hset', KEYS[1], ARGV[1], previous)
else
  redis.call('hdel', KEYS[1], ARGV[1])
end
redis.call('hincrby', KEYS[1], 'serial', 1)
if previous then return {tonumber(current), tonumber(previous)} end
return {tonumber(current), 0}
