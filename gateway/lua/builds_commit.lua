-- builds_commit: commit a build's received upload. A committed record
-- whose task still waits (an earlier commit failed before its enqueue) may
-- be committed again.
--
-- KEYS[1] imports_key  e:{O}:app:<app>:imports  hash buildName -> task
-- ARGV[1] build_name, ARGV[2] now_ms.
-- Reads the task e:task:<task> and its upload record (the task's
-- uploadKey, e:upload:<sha256 hex>), and sets the record committed.
-- Returns {'ok', task, group, sizeBytes} | {'not_found'}
--   | {'not_upload', task} | {'committed', task} | {'expired'}
--   | {'incomplete', state}.
--
--@setup HSET e:{o}:app:a:imports b1 t1
--@setup HSET e:task:t1 state waiting uploadKey e:upload:x group g1
--@setup HSET e:upload:x state received sizeBytes 10 expiresMs 9999999999999
--@keys e:{o}:app:a:imports
--@args b1 1700000000000
--@expect ok
--@check HGET e:upload:x state = committed
local imports_key = KEYS[1]
local build_name, now_ms = ARGV[1], ARGV[2]

local task = redis.call('HGET', imports_key, build_name)
if not task then return {'not_found'} end
if string.find(task, '@', 1, true) then
  return {'incomplete', 'being created'}
end
local t = redis.call('HMGET', '@EDGE_KEY_TASK_PREFIX@' .. task, 'state',
  'uploadKey', 'group')
if not t[1] then return {'not_found'} end
if not t[2] then return {'not_upload', task} end
local u = redis.call('HMGET', t[2], 'state', 'sizeBytes', 'expiresMs')
if t[1] ~= 'waiting' and t[1] ~= 'expired' and u[1] == 'committed' then
  return {'committed', task}
end
if t[1] ~= 'waiting' or not u[1] or u[1] == 'expired'
   or tonumber(now_ms) >= (tonumber(u[3]) or 0) then
  return {'expired'}
end
if u[1] ~= 'received' and u[1] ~= 'committed' then
  return {'incomplete', u[1]}
end
redis.call('HSET', t[2], 'state', 'committed')
return {'ok', task, t[3] or task, u[2] or '0'}
