-- KEYS: the post's schedule record, the channel's schedule (zset). ARGV: post_id, at, day,
-- keep_s, then field/value pairs (the preview: title, board, image; the planner's board).
-- A new record is scheduled at ``at``; a known one keeps its time and state (a move or a
-- cancel made in the console wins over the writer's later hand-off) and only gains the preview.
local state = redis.call('hget', KEYS[1], 'state')
if not state then
  redis.call('hset', KEYS[1], 'state', 'scheduled', 'at', ARGV[2], 'day', ARGV[3])
  redis.call('zadd', KEYS[2], ARGV[2], ARGV[1])
end
for i = 5, #ARGV, 2 do
  redis.call('hset', KEYS[1], ARGV[i], ARGV[i + 1])
end
local at = redis.call('hget', KEYS[1], 'at')
redis.call('expireat', KEYS[1], math.floor(tonumber(at) + tonumber(ARGV[4])))
return {redis.call('hget', KEYS[1], 'state'), at}
