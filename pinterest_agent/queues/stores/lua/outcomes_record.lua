-- Keeps a final outcome (status "published"); writes anything else. Appends the event either way,
-- and indexes it (KEYS[3] on: events_index.lua's marker, subject, status and channel indexes).
local current = redis.call('get', KEYS[1])
local kept = nil
if current then
  local ok, doc = pcall(cjson.decode, current)
  if ok and type(doc) == 'table' and doc['status'] == 'published' then kept = current end
end
if not kept then
  if tonumber(ARGV[2]) > 0 then
    redis.call('set', KEYS[1], ARGV[1], 'EX', ARGV[2])
  else
    redis.call('set', KEYS[1], ARGV[1])
  end
end
if ARGV[3] ~= '' then
  local stream, first_index, subject_ttl = KEYS[2], 3, tonumber(ARGV[2])
  local event_id = redis.call('xadd', stream, 'MAXLEN', '~', ARGV[5], '*', 'type', ARGV[3],
                              'id', ARGV[4], 'payload', ARGV[1])
  -- #include events_index.lua
end
return kept
