-- KEYS: entry, open set. ARGV: post_id. The post reached a final outcome other than published
-- (failed, dead-lettered): it is no longer due for reconciling, and its twin key is freed.
redis.call('zrem', KEYS[2], ARGV[1])
local entry_key, post_id = KEYS[1], ARGV[1]
-- #include ledger_release_twin.lua
