-- A turn ends (ARGV[1] is the id that held it or was handed one, or "" for a sweep), and the channel's free turns
-- go to its oldest parked messages. KEYS as turns_admit.lua. ARGV: id, limit, resend after ms
-- (a handed message not yet sent again by then was lost with its worker: hand it again),
-- forget after ms (a handed message sent but not started by then no longer holds a turn),
-- channel, look ahead (how many of the parked messages next in line to return as well; "0" or
-- absent: none). Returns {{id, rank, encoded, ...} to send, each then confirmed by
-- turns_sent.lua, {encoded, ...} next in line after them}.
local run, park, msgs, out, outmsgs, seq, channels =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local id, limit = ARGV[1], tonumber(ARGV[2])
local resend_ms, forget_ms, channel = tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local ahead = tonumber(ARGV[6] or '0') or 0
-- #include now_ms.lua
if id ~= '' then  -- its turn ends, or a handed message never took its turn
  redis.call('zrem', run, id)
  redis.call('zrem', out, id)
  redis.call('hdel', outmsgs, id)
end
redis.call('zremrangebyscore', run, '-inf', now_ms)
local send = {}
for _, stale in ipairs(redis.call('zrangebyscore', out, '-inf', now_ms - resend_ms)) do
  local body = redis.call('hget', outmsgs, stale)
  if body then
    redis.call('zadd', out, now_ms, stale)
    send[#send + 1] = stale
    send[#send + 1] = ''
    send[#send + 1] = body
  elseif redis.call('zscore', out, stale) < now_ms - forget_ms then
    redis.call('zrem', out, stale)
  end
end
local free = limit - redis.call('zcard', run) - redis.call('zcard', out)
while free > 0 do
  local head = redis.call('zrange', park, 0, 0, 'WITHSCORES')
  if #head == 0 then break end
  local next_id, rank = head[1], head[2]
  local body = redis.call('hget', msgs, next_id)
  redis.call('zrem', park, next_id)
  redis.call('hdel', msgs, next_id)
  if body then
    redis.call('zadd', out, now_ms, next_id)
    redis.call('hset', outmsgs, next_id, body)
    send[#send + 1] = next_id
    send[#send + 1] = rank
    send[#send + 1] = body
    free = free - 1
  end
end
if redis.call('zcard', park) == 0 and redis.call('zcard', out) == 0 then
  redis.call('zrem', channels, channel)
end
local upcoming = {}
if ahead > 0 then
  local ids = redis.call('zrange', park, 0, ahead - 1)
  if #ids > 0 then
    for _, body in ipairs(redis.call('hmget', msgs, unpack(ids))) do
      if body then upcoming[#upcoming + 1] = body end
    end
  end
end
return {send, upcoming}
