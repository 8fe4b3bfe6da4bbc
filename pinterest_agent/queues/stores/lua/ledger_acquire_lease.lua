-- KEYS: lease, entry, open set, [slot set]. ARGV: attempt, ttl_ms, post_id, message,
-- reconcile_after_ms, [board_id, started_at, settle_ms, slot holder, slot limit, slot ttl_ms
-- ('' without a slot), twin key, entry key prefix].
-- Take the lease if free; for a post not yet published, mark it leased (keeping its first message)
-- and make it due for reconciling. With the "creating" arguments, a post that may be created now
-- (new, or only leased before: no earlier create to settle) is marked "creating" when the write
-- slot given is free, taking it. Returns {acquired, entry fields, 0} (the entry's fields with
-- ``settle_in_ms``, the time left until an earlier create is settled, when it has one),
-- {1, {}, 2} once marked "creating" with the slot, or {1, {}, 1} when the post may be created
-- but no slot was free (or none was given): it stays "leased" until a slot is taken, or
-- {1, {holder, wait_ms}, 3} when another post of its twin key has a create unsettled.
-- #include now_ms.lua
local acquired = redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
if acquired then
  local state = redis.call('hget', KEYS[2], 'state')
  if state ~= 'published' then
    if not state then redis.call('hset', KEYS[2], 'post_id', ARGV[3], 'state', 'leased') end
    if ARGV[4] ~= '' then redis.call('hsetnx', KEYS[2], 'message', ARGV[4]) end
    redis.call('zadd', KEYS[3], now_ms + tonumber(ARGV[5]), ARGV[3])
    if #ARGV >= 8 and (not state or state == 'leased') then
      local twin_key, entry_prefix, post_id = ARGV[12], ARGV[13], ARGV[3]
      -- #include ledger_twin_check.lua
      if twin_holder then return {1, {twin_holder, tostring(twin_wait_ms)}, 3} end
      if KEYS[4] then
        local slot_key, holder, slot_limit, slot_ttl_ms = KEYS[4], ARGV[9], ARGV[10], ARGV[11]
        -- #include take_slot.lua
        if taken then
          -- #include ledger_set_creating.lua
          return {1, {}, 2}
        end
      end
      return {1, {}, 1}
    end
  end
end
local fields = redis.call('hgetall', KEYS[2])
local settle_at = nil
for i = #fields - 1, 1, -2 do
  if fields[i] == 'message' then table.remove(fields, i + 1); table.remove(fields, i)
  elseif fields[i] == 'settle_at' then settle_at = tonumber(fields[i + 1]) end
end
if settle_at then
  table.insert(fields, 'settle_in_ms'); table.insert(fields, tostring(settle_at - now_ms))
end
return {acquired and 1 or 0, fields, 0}
