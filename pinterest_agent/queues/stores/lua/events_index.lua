-- Index the event just appended (a fragment). Locals used: stream (the stream's key), event_id
-- (what XADD returned), first_index: KEYS[first_index] is the "indexed since" marker,
-- KEYS[first_index + 1] the subject's index, the rest the status and channel indexes;
-- subject_ttl (seconds, 0: kept). Each index is a sorted set of the events' ids, every score 0,
-- zero-padded so they sort by their bytes; entries older than the stream's oldest are dropped.
if KEYS[first_index] then
  local function padded(id)
    local ms, seq = string.match(id, '^(%d+)-(%d+)$')
    return string.rep('0', 20 - #ms) .. ms .. '-' .. string.rep('0', 20 - #seq) .. seq
  end
  local member = padded(event_id)
  redis.call('set', KEYS[first_index], member, 'NX')
  local below = '(' .. padded(redis.call('xrange', stream, '-', '+', 'COUNT', 1)[1][1])
  for i = first_index + 1, #KEYS do
    redis.call('zadd', KEYS[i], 0, member)
    redis.call('zremrangebylex', KEYS[i], '-', below)
  end
  if subject_ttl > 0 then redis.call('expire', KEYS[first_index + 1], subject_ttl) end
end
