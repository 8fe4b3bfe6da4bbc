-- KEYS: entry, open set, lease, slot set ('' for none), slot wake-up list, [outcome, stream,
-- and from the 8th events_index.lua's marker and indexes].
-- ARGV: post_id, pin_id, board_id, attempt ('' to keep the lease), slot holder, slot limit,
-- [the outcome record's arguments]. The Pin, the lease, the write slot, and the outcome with its
-- event, in one step (the outcome record is _RECORD_OUTCOME's, inlined). Returns the kept
-- outcome when a final one was already stored.
redis.call('hset', KEYS[1], 'post_id', ARGV[1], 'state', 'published', 'pin_id', ARGV[2],
           'board_id', ARGV[3])
redis.call('hdel', KEYS[1], 'message')
redis.call('zrem', KEYS[2], ARGV[1])
if ARGV[4] ~= '' and redis.call('get', KEYS[3]) == ARGV[4] then redis.call('del', KEYS[3]) end
if KEYS[4] ~= '' then
  local slot_key, wake_key, holder, slot_limit = KEYS[4], KEYS[5], ARGV[5], ARGV[6]
  -- #include free_slot.lua
end
if KEYS[6] then
  local current = redis.call('get', KEYS[6])
  if current then
    local ok, doc = pcall(cjson.decode, current)
    if ok and type(doc) == 'table' and doc['status'] == 'published' then return current end
  end
  if tonumber(ARGV[8]) > 0 then
    redis.call('set', KEYS[6], ARGV[7], 'EX', ARGV[8])
  else
    redis.call('set', KEYS[6], ARGV[7])
  end
  local stream, first_index, subject_ttl = KEYS[7], 8, tonumber(ARGV[8])
  local event_id = redis.call('xadd', stream, 'MAXLEN', '~', ARGV[11], '*', 'type', ARGV[9],
                              'id', ARGV[10], 'payload', ARGV[7])
  -- #include events_index.lua
end
return false
