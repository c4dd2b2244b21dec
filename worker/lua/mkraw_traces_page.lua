-- mkraw_traces_page: one page of an app's traces of one build.
--
-- The members after min: all members of the page's last score, so paging
-- never splits a score.
-- KEYS[1] traces_key  e:{org}:app:<app>:traces  zset traceId -> created ms
-- ARGV[1] min (score: '-inf' or '(<score>'), ARGV[2] page_size, ARGV[3]
-- trace_prefix (e:{org}:app:<app>:trace:), ARGV[4] build_id.
-- Returns {'ok', next min, id, key, id, key ...} (the traces of this
-- build) | {'done'}.
--
--@setup ZADD e:{o}:app:a:traces 1 t1
--@setup HSET e:{o}:app:a:trace:t1 buildId 1 key traces/o/a/t1
--@keys e:{o}:app:a:traces
--@args -inf 100 e:{o}:app:a:trace: 1
--@expect ok
local traces_key = KEYS[1]
local min, page_size, trace_prefix, build_id = ARGV[1], ARGV[2], ARGV[3],
  ARGV[4]

local rows = redis.call('ZRANGEBYSCORE', traces_key, min, '+inf',
  'WITHSCORES', 'LIMIT', 0, tonumber(page_size))
if #rows == 0 then return {'done'} end
local last = rows[#rows]
local ids = {}
for i = 1, #rows, 2 do
  if rows[i + 1] ~= last then ids[#ids + 1] = rows[i] end
end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', traces_key, last, last)) do
  ids[#ids + 1] = id
end
local out = {'ok', '(' .. last}
for _, id in ipairs(ids) do
  local h = redis.call('HMGET', trace_prefix .. id, 'buildId', 'key')
  if tonumber(h[1] or '') == tonumber(build_id) then
    out[#out + 1] = id
    out[#out + 1] = h[2] or ''
  end
end
return out
