-- KEYS: the post's schedule record, the channel's schedule (zset), the channel's catalog
-- calendar (hash board|YYYY-MM-DD -> Pins planned). ARGV: post_id, action ('move' or
-- 'cancel'), new at, new day, keep_s.
-- Only a 'scheduled' record changes (a claimed one is being published); the planner's count
-- moves with it (a Pin the catalog planned carries its planner board in 'calendar_board').
local state = redis.call('hget', KEYS[1], 'state')
if state ~= 'scheduled' then return {'unchanged', state or 'none'} end
local old_at = redis.call('hget', KEYS[1], 'at')
local old_day = redis.call('hget', KEYS[1], 'day')
local planned = redis.call('hexists', KEYS[1], 'calendar_board') == 1
local board = redis.call('hget', KEYS[1], 'calendar_board')
if planned and old_day then
  local old_key = board .. '|' .. old_day
  if tonumber(redis.call('hget', KEYS[3], old_key) or '0') > 0 then
    redis.call('hincrby', KEYS[3], old_key, -1)
  end
end
if ARGV[2] == 'cancel' then
  redis.call('hset', KEYS[1], 'state', 'cancelled')
  redis.call('zrem', KEYS[2], ARGV[1])
  return {'cancelled', old_at}
end
redis.call('hset', KEYS[1], 'at', ARGV[3], 'day', ARGV[4])
redis.call('zadd', KEYS[2], ARGV[3], ARGV[1])
redis.call('expireat', KEYS[1], math.floor(tonumber(ARGV[3]) + tonumber(ARGV[5])))
if planned then redis.call('hincrby', KEYS[3], board .. '|' .. ARGV[4], 1) end
return {'moved', old_at}
