-- Uses ``entry_key`` and ``post_id``: the post's create is recorded, refused or given up, so its
-- twin key (see ledger_twin_check.lua) is freed for the next post of the same board, link and
-- title.
local twin = redis.call('hget', entry_key, 'twin')
if twin then
  if redis.call('get', twin) == post_id then redis.call('del', twin) end
  redis.call('hdel', entry_key, 'twin')
end
