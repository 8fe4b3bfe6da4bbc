-- KEYS[1]: the slot set, KEYS[2]: its wake-up list. ARGV: holder, limit.
local slot_key, wake_key, holder, slot_limit = KEYS[1], KEYS[2], ARGV[1], ARGV[2]
-- #include free_slot.lua
return 1
