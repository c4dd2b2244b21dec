-- apps_delete: delete an app's Redis state, expire its pending uploads and
-- schedule its files for deletion at once (the worker's sweep, wk_gc).
--
-- KEYS[1] app_key          e:{O}:app:<name>      hash, must exist; its
--                          :tracecounts is deleted and its :deleting set
--                          to the gc entry (until the sweep is done)
-- KEYS[2] apps_key         e:{O}:apps            zset name -> created ms
-- KEYS[3] gc_due_key       e:gc:due              zset gc entry -> due ms
-- KEYS[4] events_key       e:events              stream of task events
-- KEYS[5] imports_key      e:{O}:app:<name>:imports  hash build -> task
-- KEYS[6] training_key     e:{O}:training:<name> hash
-- KEYS[7] traces_key       e:{O}:app:<name>:traces   zset traceId -> ms
-- KEYS[8] uploads_due_key  e:uploads:due         zset task -> expiresMs
-- ARGV[1] name, ARGV[2] now_rfc3339 (RFC 3339), ARGV[3] dep_prefix
-- (e:{O}:deployment:), ARGV[4] gc_entry (JSON), ARGV[5] now_ms,
-- ARGV[6] trace_prefix (e:{O}:app:<name>:trace:), ARGV[7] message of the
-- expired uploads.
-- Every task the imports hash names that is still waiting becomes expired
-- (finished now_rfc3339, the message, an error event, as edge_taskops's
-- expire writes it), leaves e:uploads:due, and so does its upload record
-- when that names the task. A reservation ("<token>@<ms>") names no task
-- hash and is skipped. The per-trace hashes go in batches of 500.
-- Returns {'ok', uploads expired} | {'not_found'}.
--
--@setup HSET e:{o}:app:a name a deployments ["d"]
--@setup SADD e:{o}:deployment:d:apps a
--@setup ZADD e:{o}:apps 1 a
--@setup HSET e:{o}:app:a:imports b1 t1 b2 g@1
--@setup HSET e:task:t1 name t1 type dltar state waiting uploadKey e:upload:x
--@setup HSET e:upload:x task t1 state open
--@setup ZADD e:uploads:due 1 t1
--@setup ZADD e:{o}:app:a:traces 1 tr1
--@setup HSET e:{o}:app:a:trace:tr1 traceId tr1
-- luacheck: push no max comment line length
--@keys e:{o}:app:a e:{o}:apps e:gc:due e:events e:{o}:app:a:imports e:{o}:training:a e:{o}:app:a:traces e:uploads:due
--@args a 2024-01-01T00:00:00.000Z e:{o}:deployment: {"app":"a"} 1700000000000 e:{o}:app:a:trace: app_deleted
-- luacheck: pop
--@expect ok
--@check HGET e:task:t1 state = expired
--@check HGET e:upload:x state = expired
--@check XLEN e:events = 1
--@check EXISTS e:{o}:app:a:trace:tr1 = 0
--@check SISMEMBER e:{o}:deployment:d:apps a = 0
--@check GET e:{o}:app:a:deleting = {"app":"a"}
local app_key, apps_key, gc_due_key, events_key = KEYS[1], KEYS[2], KEYS[3],
  KEYS[4]
local imports_key, training_key, traces_key, uploads_due_key = KEYS[5],
  KEYS[6], KEYS[7], KEYS[8]
local name, now_rfc3339, dep_prefix, gc_entry = ARGV[1], ARGV[2], ARGV[3],
  ARGV[4]
local now_ms, trace_prefix, message = ARGV[5], ARGV[6], ARGV[7]
local upload_prefix = '@EDGE_KEY_UPLOAD_PREFIX@'
local queued_key = '@EDGE_KEY_TASKS_QUEUED@' -- for lib/task_expire.lua

--#include lib/task_expire.lua

if redis.call('EXISTS', app_key) == 0 then return {'not_found'} end
--#include lib/apps_deregister.lua
local n = 0
for _, task in ipairs(redis.call('HVALS', imports_key)) do
  local key = '@EDGE_KEY_TASK_PREFIX@' .. task
  local f = redis.call('HMGET', key, 'state', 'uploadKey')
  if f[1] == 'waiting' then
    task_expire(key, task, now_rfc3339, message)
    redis.call('ZREM', uploads_due_key, task)
    local up = f[2]
    if type(up) == 'string'
       and string.sub(up, 1, #upload_prefix) == upload_prefix
       and redis.call('HGET', up, 'task') == task then
      redis.call('HSET', up, 'state', 'expired')
    end
    n = n + 1
  end
end
local ids = redis.call('ZRANGE', traces_key, 0, -1)
for i = 1, #ids, 500 do
  local batch = {}
  for j = i, math.min(i + 499, #ids) do
    batch[#batch + 1] = trace_prefix .. ids[j]
  end
  redis.call('DEL', unpack(batch))
end
redis.call('DEL', app_key, imports_key, training_key, traces_key)
redis.call('ZREM', apps_key, name)
redis.call('ZADD', gc_due_key, now_ms, gc_entry)
redis.call('DEL', app_key .. '@EDGE_KEY_APP_TRACECOUNTS@')
redis.call('SET', app_key .. '@EDGE_KEY_APP_DELETING@', gc_entry)
return {'ok', n}
