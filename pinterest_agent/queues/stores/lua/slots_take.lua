-- KEYS[1]: the channel's slot set, ARGV: holder, limit, ttl_ms. 1 when the slot is taken.
local slot_key, holder, slot_limit, slot_ttl_ms = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
-- #include now_ms.lua
-- #include take_slot.lua
return taken and 1 or 0
