-- KEYS: routing, history, version key. ARGV: label field, version, history size, label name.
-- Returns -1 (no such version), 0 (the label pointed nowhere) or the version it pointed at.
-- Rollouts of that label whose candidate is now the label's version are ended.
if redis.call('exists', KEYS[3]) == 0 then return -1 end
local previous = redis.call('hget', KEYS[1], ARGV[1])
if previous == ARGV[2] then return tonumber(previous) end
redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
redis.call('hincrby', KEYS[1], 'serial', 1)
if previous then
  redis.call('lpush', KEYS[2], previous)
  redis.call('ltrim', KEYS[2], 0, tonumber(ARGV[3]) - 1)
end
local fields = redis.call('hgetall', KEYS[1])
for i = 1, #fields, 2 do
  if string.sub(fields[i], 1, 8) == 'rollout:' then
    local rollout = cjson.decode(fields[i + 1])
    if tostring(rollout['candidate']) == ARGV[2] and rollout['label'] == ARGV[4] then
      redis.call('hdel', KEYS[1], fields[i])
    end
  end
end
if previous then return tonumber(previous) end
return 0
