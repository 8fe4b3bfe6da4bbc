-- KEYS: update entry, pin revision. ARGV: status, pin_id, revision.
redis.call('hset', KEYS[1], 'status', ARGV[1], 'pin_id', ARGV[2], 'revision', ARGV[3])
if ARGV[1] == 'applied' then
  local current = tonumber(redis.call('get', KEYS[2]) or '-1')
  if tonumber(ARGV[3]) > current then redis.call('set', KEYS[2], ARGV[3]) end
end
return 1
