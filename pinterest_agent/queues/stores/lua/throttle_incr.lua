local value = tonumber(redis.call('get', KEYS[1]) or '0') + tonumber(ARGV[1])
if value > tonumber(ARGV[2]) then return 0 end
redis.call('set', KEYS[1], value, 'PX', ARGV[3])
return 1
