-- Sets ``now_ms``: Redis's clock in milliseconds (one clock for every worker).
local now = redis.call('time')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
