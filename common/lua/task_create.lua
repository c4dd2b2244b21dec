-- task_create: a new task record, queued (or waiting), with its `submit`.
--
-- KEYS[1] task_key       e:task:<name>     hash, the new record
-- KEYS[2] queued_key     e:tasks:queued    zset name -> enqueue ms
-- KEYS[3]                e:tasks:leases    (not used here)
-- KEYS[4] events_key     e:events          stream of task events
-- KEYS[5] org_tasks_key  e:{org}:tasks     zset name -> created ms; absent
--                                          for a task without an org
-- ARGV[1] now_ms, ARGV[2] now_iso, ARGV[3..] the record's field/value
-- pairs (name, type, state ... message).
-- Returns 1, or 0 when the name is taken (nothing written).
--
--@keys e:task:t1 e:tasks:queued e:tasks:leases e:events e:{o}:tasks
--@args 1700000000000 2023-11-14T22:13:20.000Z name t1 type hello state queued orgName o
--@expect 1
--@check ZSCORE e:tasks:queued t1 = 1700000000000
--@check ZSCORE e:{o}:tasks t1 = 1700000000000
--@check XLEN e:events = 1
local task_key, queued_key, events_key, org_tasks_key =
  KEYS[1], KEYS[2], KEYS[4], KEYS[5]
local now_ms, now_iso = ARGV[1], ARGV[2]
--#include lib/task_emit.lua

if redis.call('EXISTS', task_key) == 1 then return 0 end
redis.call('HSET', task_key, unpack(ARGV, 3))
-- The record is what ARGV says (the last of a repeated field wins, as in
-- HSET): no need to read it back.
local rec = {}
for i = 3, #ARGV - 1, 2 do rec[ARGV[i]] = ARGV[i + 1] end
if rec.state == 'queued' then
  redis.call('ZADD', queued_key, now_ms, rec.name)
end
if org_tasks_key then redis.call('ZADD', org_tasks_key, now_ms, rec.name) end
local f = {}
for i, field in ipairs(EMIT_FIELDS) do f[i] = rec[field] end
emit_fields(task_key, f, 'submit', now_iso, {'message', rec.message or ''})
return 1
