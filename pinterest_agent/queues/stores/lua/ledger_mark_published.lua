-- KEYS: entry, open set, lease, slot set ('' for none), slot wake-up list, the Pin's claim,
-- [outcome, stream, and from the 9th events_index.lua's marker and indexes].
-- ARGV: post_id, pin_id, board_id, attempt ('' to keep the lease), slot holder, slot limit,
-- claim ttl_s, [the outcome record's arguments]. The Pin (claimed for this post: a Pin claimed
-- by another post is refused, recording nothing, with {owner}), the lease, the write slot, and
-- the outcome with its event, in one step (the outcome record is _RECORD_OUTCOME's, inlined).
-- Returns the kept outcome when a final one was already stored.
local owner = redis.call('get', KEYS[6])
if owner and owner ~= ARGV[1] then return {owner} end
redis.call('set', KEYS[6], ARGV[1], 'EX', ARGV[7])
redis.call('hset', KEYS[1], 'post_id', ARGV[1], 'state', 'published', 'pin_id', ARGV[2],
           'board_id', ARGV[3])
redis.call('hdel', KEYS[1], 'message')
local entry_key, post_id = KEYS[1], ARGV[1]
-- #include ledger_release_twin.lua
redis.call('zrem', KEYS[2], ARGV[1])
if ARGV[4] ~= '' and redis.call('get', KEYS[3]) == ARGV[4] then redis.call('del', KEYS[3]) end
if KEYS[4] ~= '' then
  local slot_key, wake_key, holder, slot_limit = KEYS[4], KEYS[5], ARGV[5], ARGV[6]
  -- #include free_slot.lua
end
if KEYS[7] then
  local current = redis.call('get', KEYS[7])
  if current then
    local ok, doc = pcall(cjson.decode, current)
    if ok and type(doc) == 'table' and doc['status'] == 'published' then return current end
  end
  if tonumber(ARGV[9]) > 0 then
    redis.call('set', KEYS[7], ARGV[8], 'EX', ARGV[9])
  else
    redis.call('set', KEYS[7], ARGV[8])
  end
  local stream, first_index, subject_ttl = KEYS[8], 9, tonumber(ARGV[9])
  local event_id = redis.call('xadd', stream, 'MAXLEN', '~', ARGV[12], '*', 'type', ARGV[10],
                              'id', ARGV[11], 'payload', ARGV[8])
  -- #include events_index.lua
end
return false
