-- Uses ``twin_key`` ('' for none), ``entry_prefix``, ``post_id``, ``now_ms``; sets
-- ``twin_holder`` (nil: this post may be marked "creating") and ``twin_wait_ms``. Reconciling
-- recognises a Pin by its board, link and title (the twin key is their hash), so only one post
-- of a twin key may have a create unsettled at a time: the key names that post, and holds while
-- its entry is "creating" under that key (a post recorded, refused or closed frees it).
local twin_holder, twin_wait_ms = nil, 0
if twin_key ~= '' then
  local holder = redis.call('get', twin_key)
  if holder and holder ~= post_id then
    local held = entry_prefix .. holder
    if redis.call('hget', held, 'state') == 'creating'
        and redis.call('hget', held, 'twin') == twin_key then
      twin_holder = holder
      twin_wait_ms = (tonumber(redis.call('hget', held, 'settle_at')) or now_ms) - now_ms
    end
  end
end
