-- builds_finish: name the dltar task in the import entry; an upload also
-- gets its record and its e:uploads:due entry, and the task its uploadKey.
--
-- KEYS[1] imports_key      e:{O}:app:<app>:imports  hash buildName -> task
-- KEYS[2] task_key         e:task:<task>            hash, the dltar task
-- KEYS[3] upload_key       e:upload:<sha256 hex>    hash, the upload
--                          record (only for an upload)
-- KEYS[4] uploads_due_key  e:uploads:due            zset task -> expiresMs
--                          (only for an upload)
-- ARGV[1] build_name, ARGV[2] reservation, ARGV[3] task, ARGV[4]
-- expires_ms, ARGV[5] keep_ms (the record's time to live), ARGV[6..] the
-- record's field/value pairs.
-- Returns {'ok'} | {'lost'} (the reservation was replaced meanwhile).
--
--@setup HSET e:{o}:app:a:imports b1 g@1
--@setup HSET e:task:t1 name t1 state waiting
--@keys e:{o}:app:a:imports e:task:t1 e:upload:x e:uploads:due
--@args b1 g@1 t1 1700000000000 604800000 task t1 state open
--@expect ok
--@check HGET e:{o}:app:a:imports b1 = t1
--@check HGET e:task:t1 uploadKey = e:upload:x
--@check ZSCORE e:uploads:due t1 = 1700000000000
local imports_key, task_key, upload_key, uploads_due_key = KEYS[1], KEYS[2],
  KEYS[3], KEYS[4]
local build_name, reservation, task, expires_ms, keep_ms = ARGV[1], ARGV[2],
  ARGV[3], ARGV[4], ARGV[5]
--#include lib/task_set.lua

if redis.call('HGET', imports_key, build_name) ~= reservation then
  return {'lost'}
end
redis.call('HSET', imports_key, build_name, task)
if upload_key then
  redis.call('HSET', upload_key, unpack(ARGV, 6))
  redis.call('PEXPIRE', upload_key, keep_ms)
  redis.call('ZADD', uploads_due_key, expires_ms, task)
  task_set_upload_key(task_key, upload_key)
end
return {'ok'}
