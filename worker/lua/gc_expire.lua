-- gc_expire: an upload task past its time: waiting -> expired (and its
-- upload record), or a task expired earlier, to be cleaned.
--
-- Left alone (the entry is put off): a record still `receiving`, touched
-- less than receiving_ms ago (a PUT that began in time may finish), and a
-- waiting task whose record is already `committed` (the gateway enqueues
-- it in a second call).
-- KEYS[1] task_key    e:task:<name>   hash, the record
-- KEYS[2] queued_key  e:tasks:queued  zset name -> enqueue ms
-- KEYS[3]             e:tasks:leases  (not used here)
-- KEYS[4] events_key  e:events        stream of task events
-- ARGV[1] now_iso, ARGV[2] message, ARGV[3] name (the task's), ARGV[4]
-- now_ms, ARGV[5] receiving_ms.
-- The upload record is the task's field uploadKey (e:upload:<hash>) when
-- that record names this task.
-- Returns {'expired', tarKey, orgName, fresh ('1' when expired now), part
-- (the upload record's unfinished write: its S3 UploadId, or its fs part
-- name; '' when none)} | {'receiving'} | {'committed', expiresMs} |
-- {state} for any other state | {'gone'}.
--
--@setup HSET e:task:t1 name t1 type dltar state waiting orgName o
--@setup HSET e:task:t1 uploadKey e:upload:h params {"tarKey":"builds/o/a/x.tar"}
--@setup HSET e:upload:h task t1 state receiving touchedMs 1 expiresMs 2
--@keys e:task:t1 e:tasks:queued e:tasks:leases e:events
--@args 2023-11-14T22:13:20.000Z expired t1 1700000000000 120000
--@expect expired
--@check HGET e:task:t1 state = expired
--@check HGET e:upload:h state = expired
--@check XLEN e:events = 1
local task_key, queued_key, events_key = KEYS[1], KEYS[2], KEYS[4]
local now_iso, message, name, now_ms, receiving_ms =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local upload_prefix = '@EDGE_KEY_UPLOAD_PREFIX@'
--#include lib/task_expire.lua

local f = redis.call('HMGET', task_key, 'state', 'params', 'uploadKey',
  'orgName')
if not f[1] then return {'gone'} end
if f[1] ~= 'waiting' and f[1] ~= 'expired' then return {f[1]} end
local up = f[3]
local u = {}
if type(up) == 'string'
    and string.sub(up, 1, #upload_prefix) == upload_prefix then
  u = redis.call('HMGET', up, 'task', 'state', 'touchedMs', 'expiresMs',
    'tarKey', 'part')
end
if u[1] ~= name then up = nil end
if up and u[2] == 'receiving' and tonumber(now_ms) -
   (tonumber(u[3]) or 0) < tonumber(receiving_ms) then
  return {'receiving'}
end
if up and f[1] == 'waiting' and u[2] == 'committed' then
  return {'committed', u[4] or '0'}
end
local fresh = '0'
if f[1] == 'waiting' then
  task_expire(task_key, name, now_iso, message)
  fresh = '1'
end
local ok, p = pcall(cjson.decode, f[2] or '{}')
if not ok or type(p) ~= 'table' then p = {} end
local tar = type(p.tarKey) == 'string' and p.tarKey or ''
if up then
  redis.call('HSET', up, 'state', 'expired')
  if tar == '' then tar = u[5] or '' end
end
return {'expired', tar, f[4] or '', fresh, up and u[6] or ''}
