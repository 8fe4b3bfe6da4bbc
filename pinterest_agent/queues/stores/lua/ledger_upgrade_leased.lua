if redis.call('hget', KEYS[1], 'state') == 'leased' then
  redis.call('hset', KEYS[1], 'state', 'uploaded')
end
return 1
