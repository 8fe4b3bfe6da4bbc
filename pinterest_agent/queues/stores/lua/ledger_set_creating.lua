-- The "creating" mark: KEYS[1] the lease, KEYS[2] the entry; ARGV: attempt (1), lease ttl_ms (2),
-- post_id (3), board_id (6), started_at (7), settle_ms (8), twin key (12, '' for none); uses
-- ``now_ms``. Run only once ledger_twin_check.lua found no other holder of the twin key. Written right before
-- the create is sent (with the write slot held), so a crash after it is reconciled, not repeated:
-- ``settle_at`` (Redis's clock) is when that create is settled (the sender sends within its send
-- window of the mark, the request has a total deadline, plus a margin for Pinterest to apply it
-- and list it); no later attempt creates before then. The mark renews the lease for its full
-- TTL, so the sender holds it for a whole TTL after every mark.
redis.call('hset', KEYS[2], 'post_id', ARGV[3], 'state', 'creating', 'board_id', ARGV[6],
           'started_at', ARGV[7], 'attempt', ARGV[1],
           'settle_at', now_ms + tonumber(ARGV[8]))
redis.call('pexpire', KEYS[1], ARGV[2])
if ARGV[12] ~= '' then
  redis.call('set', ARGV[12], ARGV[3], 'PX', 86400000)
  redis.call('hset', KEYS[2], 'twin', ARGV[12])
end
