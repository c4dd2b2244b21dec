-- taskops_expire: an org expires its waiting upload task (`error` event).
--
-- KEYS[1] task_key    e:task:<name>   hash, the record
-- KEYS[2] queued_key  e:tasks:queued  zset name -> enqueue ms
-- KEYS[3]             e:tasks:leases  (not used here)
-- KEYS[4] events_key  e:events        stream of task events
-- ARGV[1] org, ARGV[2] now_iso, ARGV[3] message.
-- Returns 1, 0 when not found (or another org's), -1 when not waiting.
--
--@setup HSET e:task:t1 name t1 type dltar orgName o state waiting
--@keys e:task:t1 e:tasks:queued e:tasks:leases e:events
--@args o 2023-11-14T22:13:20.000Z expired
--@expect 1
--@check HGET e:task:t1 state = expired
--@check XLEN e:events = 1
local task_key, queued_key, events_key = KEYS[1], KEYS[2], KEYS[4]
local org, now_iso, message = ARGV[1], ARGV[2], ARGV[3]
--#include lib/taskops_owned.lua
--#include lib/task_expire.lua

if not owned() then return 0 end
if redis.call('HGET', task_key, 'state') ~= 'waiting' then return -1 end
task_expire(task_key, redis.call('HGET', task_key, 'name'), now_iso, message)
return 1
