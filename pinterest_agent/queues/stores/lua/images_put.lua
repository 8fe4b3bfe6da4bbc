-- KEYS: the image. ARGV: bytes, ttl_s. Store once; storing again only extends the expiry.
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 1 end
if redis.call('ttl', KEYS[1]) < tonumber(ARGV[2]) then redis.call('expire', KEYS[1], ARGV[2]) end
return 0
