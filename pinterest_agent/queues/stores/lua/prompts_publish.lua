-- KEYS: set key, counter. ARGV: version key prefix, set sha, templates JSON, note, author,
-- created_at. Returns {version, 1 if new}.
local existing = redis.call('get', KEYS[1])
if existing then return {tonumber(existing), 0} end
local n = redis.call('incr', KEYS[2])
redis.call('set', KEYS[1], n)
redis.call('hset', ARGV[1] .. n, 'version', n, 'set_sha256', ARGV[2], 'templates', ARGV[3],
           'note', ARGV[4], 'author', ARGV[5], 'created_at', ARGV[6])
return {n, 1}
