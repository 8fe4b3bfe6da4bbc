-- KEYS: lease, entry, [slot set]. ARGV: attempt, lease ttl_ms, post_id, -, -, board_id,
-- started_at, settle_ms, slot holder, slot limit, slot ttl_ms, twin key, entry key prefix (the
-- lease script's layout). Mark "creating" only while this attempt holds the lease (else -1: the
-- fencing check, so an attempt whose lease lapsed never sends), and only while no other post of
-- its twin key has a create unsettled (else {-2, holder, wait_ms}); with a slot set, only when a
-- write slot is free, taking it (else 0: nothing changed).
if redis.call('get', KEYS[1]) ~= ARGV[1] then return -1 end
-- #include now_ms.lua
local twin_key, entry_prefix, post_id = ARGV[12], ARGV[13], ARGV[3]
-- #include ledger_twin_check.lua
if twin_holder then return {-2, twin_holder, tostring(twin_wait_ms)} end
if KEYS[3] then
  local slot_key, holder, slot_limit, slot_ttl_ms = KEYS[3], ARGV[9], ARGV[10], ARGV[11]
  -- #include take_slot.lua
  if not taken then return 0 end
end
-- #include ledger_set_creating.lua
return 1
