-- A refused create leaves nothing to reconcile; a video upload it used stays for the retry.
-- ARGV[1]: the attempt whose mark this is ('' for any): another attempt's mark is left alone.
if redis.call('hget', KEYS[1], 'state') ~= 'creating' then return 0 end
if ARGV[1] ~= '' and redis.call('hget', KEYS[1], 'attempt') ~= ARGV[1] then return 0 end
if redis.call('hget', KEYS[1], 'media_id') then
  redis.call('hset', KEYS[1], 'state', 'uploaded')
else
  redis.call('hset', KEYS[1], 'state', 'leased')
end
redis.call('hdel', KEYS[1], 'attempt', 'started_at', 'settle_at')
local entry_key, post_id = KEYS[1], redis.call('hget', KEYS[1], 'post_id')
-- #include ledger_release_twin.lua
return 1
