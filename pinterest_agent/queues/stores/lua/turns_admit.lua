-- A job for one channel asks for a turn. KEYS: run (zset id -> lease deadline), park (zset
-- id -> rank), msgs (hash id -> encoded message), out (zset id -> handed at), outmsgs (hash
-- id -> encoded message not yet re-sent), seq (counter), channels (zset channel -> 1).
-- ARGV: message id, encoded message, limit, lease ttl ms, channel, handed ("1" when this
-- message was handed its turn), rank (the position it was parked at, or "").
-- Returns 1 (run now: a turn is held) or 0 (parked, in order, until a turn frees).
local run, park, msgs, out, outmsgs, seq, channels =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local id, body, limit, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local channel, handed, rank = ARGV[5], ARGV[6] == '1', ARGV[7]
-- #include now_ms.lua
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
local busy = redis.call('zcard', run) + redis.call('zcard', out)
if busy < limit and (handed or redis.call('zcard', park) == 0) then
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
