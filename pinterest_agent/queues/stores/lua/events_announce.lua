-- KEYS: stream, then events_index.lua's marker, subject, status and channel indexes.
-- ARGV: type, subject id, payload, the stream's MAXLEN, the subject index's TTL (0: kept).
-- Appends an event (no outcome is touched) and indexes it.
local stream, first_index, subject_ttl = KEYS[1], 2, tonumber(ARGV[5])
local event_id = redis.call('xadd', stream, 'MAXLEN', '~', ARGV[4], '*', 'type', ARGV[1],
                            'id', ARGV[2], 'payload', ARGV[3])
-- #include events_index.lua
return event_id
