-- KEYS: the post's schedule record. ARGV: now (s), slack_s, force ('1': due whatever its time).
-- Returns {outcome, at}: 'none' (no record: the message's own time rules), 'cancelled', 'due'
-- (an earlier message claimed it), 'wait' (moved later: not yet), or 'claimed' (publish now).
-- Only a 'scheduled' record can be claimed, so a claim and a cancel never both win.
local state = redis.call('hget', KEYS[1], 'state')
if not state then return {'none', ''} end
local at = redis.call('hget', KEYS[1], 'at')
if state ~= 'scheduled' then return {state, at} end
if ARGV[3] ~= '1' and tonumber(at) > tonumber(ARGV[1]) + tonumber(ARGV[2]) then
  return {'wait', at}
end
redis.call('hset', KEYS[1], 'state', 'due')
return {'claimed', at}
