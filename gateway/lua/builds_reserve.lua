-- builds_reserve: check the app and reserve its import entry of a build.
-- A failed or expired import (or one whose task is gone) is replaced; a
-- reservation older than stale_ms is too.
--
-- KEYS[1] app_key      e:{O}:app:<app>          hash, must exist
-- KEYS[2] imports_key  e:{O}:app:<app>:imports  hash buildName -> task
--                      name, or "<group>@<ms>" while reserved
-- ARGV[1] build_name, ARGV[2] reservation ("<group>@<ms>"), ARGV[3] now_ms,
-- ARGV[4] stale_ms.
-- Returns {'ok'} | {'not_found'} | {'locked', error} | {'exists'}
--   | {'importing', task or ''}.
--
--@setup HSET e:{o}:app:a name a builds []
--@keys e:{o}:app:a e:{o}:app:a:imports
--@args b1 g@1700000000000 1700000000000 60000
--@expect ok
--@check HGET e:{o}:app:a:imports b1 = g@1700000000000
local app_key, imports_key = KEYS[1], KEYS[2]
local build_name, reservation, now_ms, stale_ms = ARGV[1], ARGV[2],
  ARGV[3], ARGV[4]

if redis.call('EXISTS', app_key) == 0 then return {'not_found'} end
local app = redis.call('HMGET', app_key, 'locked', 'error', 'builds')
if app[1] == '1' then return {'locked', app[2] or ''} end
local ok, builds = pcall(cjson.decode, app[3] or '[]')
if ok and type(builds) == 'table' then
  for _, b in ipairs(builds) do
    if type(b) == 'table' and b.buildName == build_name then
      return {'exists'}
    end
  end
end
local cur = redis.call('HGET', imports_key, build_name)
if cur then
  local at = string.find(cur, '@', 1, true)
  if at then
    local since = tonumber(string.sub(cur, at + 1)) or 0
    if tonumber(now_ms) - since < tonumber(stale_ms) then
      return {'importing', ''}
    end
  else
    local state = redis.call('HGET', '@EDGE_KEY_TASK_PREFIX@' .. cur, 'state')
    if state and state ~= 'failed' and state ~= 'expired' then
      return {'importing', cur}
    end
  end
end
redis.call('HSET', imports_key, build_name, reservation)
return {'ok'}
