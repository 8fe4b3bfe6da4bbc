-- A turn ends (ARGV[1] is the id that held it or was handed one, or "" for a sweep), and the
-- free turns go to the oldest parked messages: the channel's own, or, for a channel of a
-- tenant, the tenant's channels' in turn (round robin from the channel served last, oldest
-- first within a channel), each channel within its own limit. KEYS as turns_admit.lua. ARGV:
-- id, limit, resend after ms (a handed message not yet sent again by then was lost with its
-- worker: hand it again), forget after ms (a handed message sent but not started by then no
-- longer holds a turn), channel, base, tenant limit (0: none), look ahead (how many of the
-- channel's parked messages next in line to return as well; "0" or absent: none).
-- Returns {{channel, id, rank, encoded, ...} to send, each then confirmed by turns_sent.lua,
-- {encoded, ...} next in line after them}.
local run, park, msgs, out, outmsgs, seq, channels, tenants =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local id, limit = ARGV[1], tonumber(ARGV[2])
local resend_ms, forget_ms, channel = tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local base, tenant_limit = ARGV[6], tonumber(ARGV[7])
local ahead = tonumber(ARGV[8] or '0') or 0
-- #include now_ms.lua
-- #include turns_tenant.lua
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
    send[#send + 1] = channel
    send[#send + 1] = stale
    send[#send + 1] = ''
    send[#send + 1] = body
  elseif redis.call('zscore', out, stale) < now_ms - forget_ms then
    redis.call('zrem', out, stale)
  end
end
-- Hands channel c's oldest parked message on; true when one was handed.
local function hand_head(c)
  local park_c, msgs_c = base .. 'park:' .. c, base .. 'msgs:' .. c
  while true do
    local head = redis.call('zrange', park_c, 0, 0, 'WITHSCORES')
    if #head == 0 then return false end
    local next_id, next_rank = head[1], head[2]
    local body = redis.call('hget', msgs_c, next_id)
    redis.call('zrem', park_c, next_id)
    redis.call('hdel', msgs_c, next_id)
    if body then
      redis.call('zadd', base .. 'out:' .. c, now_ms, next_id)
      redis.call('hset', base .. 'outmsgs:' .. c, next_id, body)
      send[#send + 1] = c
      send[#send + 1] = next_id
      send[#send + 1] = next_rank
      send[#send + 1] = body
      return true
    end
  end
end
local function forget_if_idle(c)
  if redis.call('zcard', base .. 'park:' .. c) == 0
      and redis.call('zcard', base .. 'out:' .. c) == 0 then
    redis.call('zrem', channels, c)
  end
end
-- The channel's parked messages next in line, once the turns are handed.
local function next_up()
  local upcoming = {}
  if ahead > 0 then
    local ids = redis.call('zrange', park, 0, ahead - 1)
    if #ids > 0 then
      for _, body in ipairs(redis.call('hmget', msgs, unpack(ids))) do
        if body then upcoming[#upcoming + 1] = body end
      end
    end
  end
  return upcoming
end
local tenant = tenant_of(channel)
if not tenant then
  local free = limit - redis.call('zcard', run) - redis.call('zcard', out)
  while free > 0 and hand_head(channel) do
    free = free - 1
  end
  forget_if_idle(channel)
  return {send, next_up()}
end
redis.call('sadd', base .. 'tenant:' .. tenant, channel)
local ring, free, parked = tenant_channels(tenant), {}, {}
local tenant_free = tenant_limit
for _, c in ipairs(ring) do
  local busy, waiting = channel_load(c)
  tenant_free = tenant_free - busy
  free[c], parked[c] = limit - busy, waiting
end
-- round robin: the channels after the one served last (at first, the one whose turn ended),
-- then the others
local rr = base .. 'rr:' .. tenant
local last = redis.call('get', rr) or channel
local order = {}
for _, c in ipairs(ring) do
  if c > last then order[#order + 1] = c end
end
for _, c in ipairs(ring) do
  if c <= last then order[#order + 1] = c end
end
local served = false
while tenant_free > 0 do
  local progress = false
  for _, c in ipairs(order) do
    if tenant_free > 0 and free[c] > 0 and parked[c] > 0 then
      parked[c] = parked[c] - 1
      if hand_head(c) then
        free[c], tenant_free = free[c] - 1, tenant_free - 1
        served, progress = c, true
      end
    end
  end
  if not progress then break end
end
if served then
  redis.call('set', rr, served)
end
forget_if_idle(channel)
for _, c in ipairs(ring) do
  forget_if_idle(c)
end
return {send, next_up()}
