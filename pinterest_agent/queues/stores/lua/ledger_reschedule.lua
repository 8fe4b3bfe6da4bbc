-- KEYS: entry, open set. ARGV: post_id, due_in_ms.
if redis.call('hget', KEYS[1], 'state') == 'published' then return 0 end
-- #include now_ms.lua
redis.call('zadd', KEYS[2], now_ms + tonumber(ARGV[2]), ARGV[1])
return 1
