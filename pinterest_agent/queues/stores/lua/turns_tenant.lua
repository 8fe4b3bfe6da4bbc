-- Tenant helpers of the turn scripts (a tenant owns several channels and takes at most
-- ``tenant_limit`` turns across them). Uses the locals ``base`` (this queue's turn keys'
-- prefix, ending in ':'), ``tenants`` (hash channel -> tenant, written by ``channels set``),
-- ``tenant_limit`` and ``now_ms``; defines ``tenant_of``, ``channel_load`` and
-- ``tenant_channels``. A tenant's channel keys are named here from ``base``, not passed as
-- KEYS: which channels a tenant has is known only inside the script (one Redis, no cluster).
local function tenant_of(channel)
  if tenant_limit <= 0 then return false end
  local tenant = redis.call('hget', tenants, channel)
  if not tenant or tenant == '' then return false end
  return tenant
end
-- A channel's turns held or on their way (lapsed leases dropped), and its parked messages.
local function channel_load(c)
  local run_c = base .. 'run:' .. c
  redis.call('zremrangebyscore', run_c, '-inf', now_ms)
  return redis.call('zcard', run_c) + redis.call('zcard', base .. 'out:' .. c),
    redis.call('zcard', base .. 'park:' .. c)
end
-- The tenant's channels with turns or parked messages, by name; forgets the others (and
-- channels moved to another tenant since).
local function tenant_channels(tenant)
  local key = base .. 'tenant:' .. tenant
  local found = {}
  for _, c in ipairs(redis.call('smembers', key)) do
    local busy, parked = channel_load(c)
    if redis.call('hget', tenants, c) ~= tenant or (busy == 0 and parked == 0) then
      redis.call('srem', key, c)
    else
      found[#found + 1] = c
    end
  end
  table.sort(found)
  return found
end
