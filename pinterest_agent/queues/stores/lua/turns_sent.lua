-- A handed message is on the broker again: its copy here is no longer needed. KEYS: out,
-- outmsgs. ARGV: id. The id stays in ``out`` (holding the turn) until the message starts.
if redis.call('zscore', KEYS[1], ARGV[1]) then
  redis.call('hdel', KEYS[2], ARGV[1])
end
return 1
