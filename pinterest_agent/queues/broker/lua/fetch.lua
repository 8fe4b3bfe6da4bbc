-- Pops up to ARGV[4] ids, marks them fetched by this worker (as dispatch.lua's "fetch" does) and
-- returns id, body pairs (a missing body comes back as nil).
local ns, queue, worker, now, count = KEYS[1], ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
redis.call('zadd', ns .. ':__heartbeats__', now, worker)
local list = ns .. ':' .. queue
local msgs = list .. '.msgs'
local acks = ns .. ':__acks__.' .. worker .. '.' .. queue
local out = {}
for i = 1, count do
  local id = redis.call('lpop', list)
  if not id then break end
  redis.call('sadd', acks, id)
  out[#out + 1] = id
  out[#out + 1] = redis.call('hget', msgs, id)
end
return out
