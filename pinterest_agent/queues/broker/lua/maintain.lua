-- Every few seconds, from every worker: beat this worker's heartbeat, hand the fetched messages of
-- workers silent for longer than the timeout back to their queues (for every queue this worker
-- serves, delay queues included), and drop expired dead letters. dispatch.lua does the same for
-- one queue on about 0.1 % of commands, which leaves a dead worker's jobs stranded for minutes.
local ns, worker, now = KEYS[1], ARGV[1], tonumber(ARGV[2])
local timeout, dead_ttl = tonumber(ARGV[3]), tonumber(ARGV[4])
local beats = ns .. ':__heartbeats__'
redis.call('zadd', beats, now, worker)
local requeued = 0
local dead = redis.call('zrangebyscore', beats, 0, now - timeout)
for _, gone in ipairs(dead) do
  for i = 5, #ARGV do
    local queue = ARGV[i]
    local acks = ns .. ':__acks__.' .. gone .. '.' .. queue
    for _, id in ipairs(redis.call('smembers', acks)) do
      if redis.call('hexists', ns .. ':' .. queue .. '.msgs', id) == 1 then
        redis.call('rpush', ns .. ':' .. queue, id)
        requeued = requeued + 1
      end
    end
    redis.call('del', acks)
  end
  if next(redis.call('keys', ns .. ':__acks__.' .. gone .. '.*')) == nil then
    redis.call('zrem', beats, gone)
  end
end
for i = 5, #ARGV do
  local queue = ARGV[i]
  if string.sub(queue, -3) ~= '.DQ' then
    local xq = ns .. ':' .. queue .. '.XQ'
    local expired = redis.call('zrangebyscore', xq, 0, now - dead_ttl, 'LIMIT', 0, 500)
    if next(expired) ~= nil then
      redis.call('zrem', xq, unpack(expired))
      redis.call('hdel', xq .. '.msgs', unpack(expired))
    end
  end
end
return requeued
