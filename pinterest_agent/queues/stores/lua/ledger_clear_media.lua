redis.call('hdel', KEYS[1], 'media_id', 'media_registered_at')
if redis.call('hget', KEYS[1], 'state') == 'uploaded' then
  redis.call('hset', KEYS[1], 'state', 'leased')
end
return 1
