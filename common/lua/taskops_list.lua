-- taskops_list: one page of an org's tasks, filtered and ordered.
--
-- KEYS[1] org_tasks_key  e:{org}:tasks  zset name -> created ms
-- ARGV[1] min, ARGV[2] max (created ms, ZRANGE BYSCORE bounds), ARGV[3]
-- rev ('1': newest first), ARGV[4] app (lower-case part of appName, ''
-- any), ARGV[5] type, ARGV[6] state, ARGV[7] group ('' any), ARGV[8]
-- offset, ARGV[9] limit, ARGV[10] by_name ('0' no, '1' ascending, '2'
-- descending).
-- Returns {total, HGETALL of each task of the page ...}.
--
--@setup HSET e:task:t1 name t1 type hello state queued group t1 appName App
--@setup ZADD e:{o}:tasks 1 t1
--@keys e:{o}:tasks
--@args -inf +inf 1 app hello '' '' 0 10 0
--@expect (array)
local org_tasks_key = KEYS[1]
local min, max, rev, app, offset, limit, by_name =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[8], ARGV[9], ARGV[10]
local want = {type = ARGV[5], state = ARGV[6], group = ARGV[7]}
local task_prefix = '@EDGE_KEY_TASK_PREFIX@'

local ids
if rev == '1' then
  ids = redis.call('ZRANGE', org_tasks_key, max, min, 'BYSCORE', 'REV')
else
  ids = redis.call('ZRANGE', org_tasks_key, min, max, 'BYSCORE')
end
local matches = {}
for _, id in ipairs(ids) do
  local f = redis.call('HMGET', task_prefix .. id, 'type', 'state',
    'group', 'appName')
  local ok = f[1] ~= false
  if ok and want.type ~= '' and f[1] ~= want.type then ok = false end
  if ok and want.state ~= '' and f[2] ~= want.state then ok = false end
  if ok and want.group ~= '' and f[3] ~= want.group then ok = false end
  if ok and app ~= '' then
    ok = f[4] and string.find(string.lower(f[4]), app, 1, true) ~= nil
  end
  if ok then matches[#matches + 1] = id end
end
if by_name == '1' then table.sort(matches)
elseif by_name == '2' then
  table.sort(matches, function (a, b) return a > b end)
end
local out = {#matches}
local first = tonumber(offset) + 1
local last = math.min(#matches, first + tonumber(limit) - 1)
for i = first, last do
  out[#out + 1] = redis.call('HGETALL', task_prefix .. matches[i])
end
return out
