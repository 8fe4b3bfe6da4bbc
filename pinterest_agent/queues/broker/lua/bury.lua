-- Moves a fetched message to the dead-letter set of its canonical queue (dispatch.lua's "nack"),
-- keeping an empty body for an id that had none, so `jobs dead` still lists it.
local ns, queue, canonical, worker, now, id = KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local msgs = ns .. ':' .. queue .. '.msgs'
local xq = ns .. ':' .. canonical .. '.XQ'
redis.call('srem', ns .. ':__acks__.' .. worker .. '.' .. queue, id)
local body = redis.call('hget', msgs, id) or ''
redis.call('zadd', xq, now, id)
redis.call('hset', xq .. '.msgs', id, body)
redis.call('hdel', msgs, id)
return 1
