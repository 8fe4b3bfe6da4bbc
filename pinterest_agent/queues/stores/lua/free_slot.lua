-- Uses ``slot_key``, ``wake_key``, ``holder``, ``slot_limit``. Frees the holder's slot and wakes
-- one process waiting for it (the wake-up list is capped at the number of slots).
if redis.call('zrem', slot_key, holder) == 1 then
  redis.call('lpush', wake_key, '1')
  redis.call('ltrim', wake_key, 0, tonumber(slot_limit) - 1)
  redis.call('pexpire', wake_key, 60000)
end
