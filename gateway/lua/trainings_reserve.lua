-- trainings_reserve: check that an app's trace processing may start and
-- reserve it, so two triggers never start two processing tasks of one app.
--
-- KEYS[1] app_key       e:{O}:app:<app>              hash, must exist
-- KEYS[2] training_key  e:{O}:training:<app>         hash, settings and
--                       processing state
-- KEYS[3] counts_key    e:{O}:app:<app>:tracecounts  hash buildId -> traces
-- ARGV[1] task_prefix (e:task:), ARGV[2] token (the reservation's),
-- ARGV[3] now_ms, ARGV[4] until_ms (the reservation's deadline),
-- ARGV[5] is_auto ("1" when triggered by a new trace), ARGV[6]
-- default_reliable (nTracesReliable when unset).
-- Returns {'ok', current build id, dxfName, builds JSON, traces, needed}
--   | {'not_found'} | {'no_build'} | {'locked'}
--   | {'not_enough', build id, traces, needed} | {'busy', task or
--   reservation} | {'skip'} (automatic, not yet autoProcessEvery traces).
--
--@setup HSET e:{o}:app:a name a iCurBuild 1 dxfName x.dxf builds []
--@setup HSET e:{o}:app:a:tracecounts 1 3
--@setup HSET e:{o}:training:a nTracesReliable 2
--@keys e:{o}:app:a e:{o}:training:a e:{o}:app:a:tracecounts
--@args e:task: abc 1700000000000 1700000060000 0 10
--@expect ok
--@check HGET e:{o}:training:a processingTask = reserved:abc
local app_key, training_key, counts_key = KEYS[1], KEYS[2], KEYS[3]
local task_prefix, token, now_ms, until_ms = ARGV[1], ARGV[2], ARGV[3],
  ARGV[4]
local is_auto, default_reliable = ARGV[5], ARGV[6]

if redis.call('EXISTS', app_key) == 0 then return {'not_found'} end
local app = redis.call('HMGET', app_key, 'iCurBuild', 'dxfName', 'builds',
  'locked')
local cur = tonumber(app[1] or '0') or 0
if cur <= 0 or not app[2] or app[2] == '' then
  return {'no_build'} end
if app[4] == '1' then return {'locked'} end
local n = tonumber(redis.call('HGET', counts_key, tostring(cur))
  or '0') or 0
local t = redis.call('HMGET', training_key, 'nTracesReliable',
  'processingTask', 'processingUntil', 'autoProcessEvery',
  'triggerBuildId', 'tracesAtTrigger')
local need = tonumber(t[1] or default_reliable) or tonumber(default_reliable)
if n < need then
  return {'not_enough', tostring(cur), tostring(n), tostring(need)}
end
if t[2] then
  if string.sub(t[2], 1, 9) == 'reserved:' then
    if (tonumber(t[3] or '0') or 0) > tonumber(now_ms) then
      return {'busy', t[2]} end
  else
    local st = redis.call('HGET', task_prefix .. t[2], 'state')
    if st == 'queued' or st == 'running' or st == 'waiting' then
      return {'busy', t[2]} end
  end
end
if is_auto == '1' then
  local every = tonumber(t[4] or '0') or 0
  local base = 0
  if t[5] == tostring(cur) then base = tonumber(t[6] or '0') or 0 end
  if every <= 0 or n - base < every then return {'skip'} end
end
redis.call('HSET', training_key, 'processingTask', 'reserved:' .. token,
  'processingUntil', until_ms, 'triggerBuildId', tostring(cur),
  'tracesAtTrigger', tostring(n))
return {'ok', tostring(cur), app[2], app[3] or '[]', tostring(n),
  tostring(need)}
