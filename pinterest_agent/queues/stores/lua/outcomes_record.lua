-- Keeps a final outcome (status "published"); writes anything else. Appends the event either way.
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
  redis.call('xadd', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'type', ARGV[3], 'id', ARGV[4],
             'payload', ARGV[1])
end
return kept
