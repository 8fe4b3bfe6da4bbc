-- A job for one channel asks for a turn. KEYS: run (zset id -> lease deadline), park (zset
-- id -> rank), msgs (hash id -> encoded message), out (zset id -> handed at), outmsgs (hash
-- id -> encoded message not yet re-sent), seq (counter), channels (zset channel -> 1),
-- tenants (hash channel -> tenant).
-- ARGV: message id, encoded message, limit, lease ttl ms, channel, handed ("1" when this
-- message was handed its turn), rank (the position it was parked at, or ""), base (the
-- prefix of this queue's turn keys), tenant limit (0: none).
-- Returns 1 (run now: a turn is held) or 0 (parked, in order, until a turn frees). A channel
-- of a tenant also needs one of the tenant's turns (see turns_tenant.lua).
local run, park, msgs, out, outmsgs, seq, channels, tenants =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local id, body, limit, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local channel, handed, rank = ARGV[5], ARGV[6] == '1', ARGV[7]
local base, tenant_limit = ARGV[8], tonumber(ARGV[9])
-- #include now_ms.lua
-- #include turns_tenant.lua
redis.call('zremrangebyscore', run, '-inf', now_ms)
if handed then
  redis.call('zrem', out, id)
  redis.call('hdel', outmsgs, id)
end
if redis.call('zscore', run, id) then  -- redelivered while it runs: the same turn
  redis.call('zadd', run, now_ms + ttl, id)
  return 1
end
if redis.call('zscore', park, id) then  -- redelivered after it was parked: stays parked
  return 0
end
local tenant = tenant_of(channel)
local busy = redis.call('zcard', run) + redis.call('zcard', out)
local admitted = busy < limit and (handed or redis.call('zcard', park) == 0)
if tenant then
  redis.call('sadd', base .. 'tenant:' .. tenant, channel)
  if admitted then
    local held = 0
    for _, c in ipairs(tenant_channels(tenant)) do
      held = held + channel_load(c)
    end
    admitted = held < tenant_limit
  end
  redis.call('sadd', base .. 'tenant:' .. tenant, channel)  -- (dropped above if idle)
end
if admitted then
  redis.call('zadd', run, now_ms + ttl, id)
  redis.call('pexpire', run, math.max(ttl, 1000) * 10)
  return 1
end
local score = tonumber(rank)
if not score then
  score = now_ms * 1000 + redis.call('incr', seq) % 1000
end
redis.call('zadd', park, score, id)
redis.call('hset', msgs, id, body)
redis.call('zadd', channels, 1, channel)
return 0
