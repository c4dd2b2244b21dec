-- task_succeed_next: running -> succeeded, and the next task of the
-- pipeline created queued in the same script (both or neither).
--
-- KEYS[1] task_key       e:task:<name>       hash, the record
-- KEYS[2] queued_key     e:tasks:queued      zset name -> enqueue ms
-- KEYS[3] leases_key     e:tasks:leases      zset name -> lease deadline ms
-- KEYS[4] events_key     e:events            stream of task events
-- KEYS[5] next_key       e:task:<next name>  hash, the next task's record
-- KEYS[6] org_tasks_key  e:{org}:tasks       zset name -> created ms;
--                                            absent for a task without org
-- ARGV[1] owner, ARGV[2] attempt (the fencing token), ARGV[3] now_iso,
-- ARGV[4] result (JSON object text), ARGV[5] build_changed ('true',
-- 'false' or ''), ARGV[6] now_ms, ARGV[7] next_name, ARGV[8] next_type,
-- ARGV[9] next_params (JSON), ARGV[10] next_dxf ('' = inherited).
-- The next task inherits group, orgName, appName, buildName, createdBy,
-- dxfName and buildChanged. The import entry of the task's build
-- (e:{org}:app:<app>:imports) and the app's trace processing reservation
-- (processingTask in e:{org}:training:<app>) move on to the next task when
-- they named this one, so an import or a reordering is busy until its
-- last step ends.
-- Returns 1, 0 when the task is no longer ours (GONE), -1 when the next
-- name is taken (nothing done).
--
--@setup HSET e:task:t1 name t1 type mkraw state running owner w1 attempts 1
--@setup HSET e:task:t1 orgName o appName a buildName b
--@setup HSET e:{o}:app:a:imports b t1
--@keys e:task:t1 e:tasks:queued e:tasks:leases e:events e:task:t2 e:{o}:tasks
--@args w1 1 2023-11-14T22:13:20.000Z {} '' 1700000000000 t2 deploy {} ''
--@expect 1
--@check HGET e:task:t2 state = queued
--@check HGET e:task:t2 buildName = b
--@check HGET e:{o}:app:a:imports b = t2
--@check ZSCORE e:tasks:queued t2 = 1700000000000
--@check XLEN e:events = 2
local task_key, queued_key, leases_key, events_key, next_key,
  org_tasks_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local owner, attempt, now_iso, result, build_changed, now_ms, next_name,
  next_type, next_params, next_dxf = ARGV[1], ARGV[2], ARGV[3], ARGV[4],
  ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
--#include lib/task_fenced.lua
--#include lib/task_succeed.lua

if not fenced() then return 0 end
if redis.call('EXISTS', next_key) == 1 then return -1 end
succeed()
local f = redis.call('HMGET', task_key, 'name', 'group', 'orgName',
  'appName', 'buildName', 'createdBy', 'dxfName', 'buildChanged')
local rec = {'name', next_name, 'type', next_type, 'state', 'queued',
  'attempts', '0', 'created', now_iso, 'createdMs', now_ms,
  'params', next_params}
local copy = {'group', 'orgName', 'appName', 'buildName', 'createdBy',
  'dxfName', 'buildChanged'}
if next_dxf ~= '' then f[7] = next_dxf end
for i = 1, 7 do
  if f[i + 1] and f[i + 1] ~= '' then
    rec[#rec + 1] = copy[i]; rec[#rec + 1] = f[i + 1]
  end
end
redis.call('HSET', next_key, unpack(rec))
redis.call('ZADD', queued_key, now_ms, next_name)
if org_tasks_key then redis.call('ZADD', org_tasks_key, now_ms, next_name) end
emit_key(next_key, 'submit', now_iso, {'message', 'started by ' .. f[1]})
if f[3] and f[4] and f[5] then
  local ik = string.format('@EDGE_KEY_APP_FMT@', f[3], f[4])
    .. '@EDGE_KEY_APP_IMPORTS@'
  if redis.call('HGET', ik, f[5]) == f[1] then
    redis.call('HSET', ik, f[5], next_name)
  end
end
if f[3] and f[4] then
  local tk = string.format('@EDGE_KEY_TRAINING_FMT@', f[3], f[4])
  if redis.call('HGET', tk, 'processingTask') == f[1] then
    redis.call('HSET', tk, 'processingTask', next_name)
  end
end
return 1
