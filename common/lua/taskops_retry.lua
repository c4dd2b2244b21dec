-- taskops_retry: an org queues its failed task again (`submit` event).
--
-- KEYS[1] task_key    e:task:<name>   hash, the record
-- KEYS[2] queued_key  e:tasks:queued  zset name -> enqueue ms
-- KEYS[3]             e:tasks:leases  (not used here)
-- KEYS[4] events_key  e:events        stream of task events
-- ARGV[1] org, ARGV[2] now_iso, ARGV[3] now_ms, ARGV[4] message.
-- Returns the task's type, 0 when not found (or another org's), -1 when
-- not failed.
--
--@setup HSET e:task:t1 name t1 type hello orgName o state failed attempts 3
--@keys e:task:t1 e:tasks:queued e:tasks:leases e:events
--@args o 2023-11-14T22:13:20.000Z 1700000000000 retry
--@expect hello
--@check HGET e:task:t1 state = queued
--@check HGET e:task:t1 retries = 1
--@check ZSCORE e:tasks:queued t1 = 1700000000000
local task_key, queued_key, events_key = KEYS[1], KEYS[2], KEYS[4]
local org, now_iso, now_ms, message = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
--#include lib/taskops_owned.lua
--#include lib/task_emit.lua

if not owned() then return 0 end
if redis.call('HGET', task_key, 'state') ~= 'failed' then return -1 end
redis.call('HSET', task_key, 'state', 'queued', 'attempts', 0,
  'message', message)
redis.call('HINCRBY', task_key, 'retries', 1)
redis.call('HDEL', task_key, 'finished', 'started', 'owner', 'result',
  'exception', 'error', 'leaseUntil', 'progress')
redis.call('ZADD', queued_key, now_ms, redis.call('HGET', task_key, 'name'))
emit_key(task_key, 'submit', now_iso, {'message', message})
return redis.call('HGET', task_key, 'type')
