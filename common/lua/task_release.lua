-- task_release: running -> queued without counting the attempt (a worker
-- shutting down), with `submit`.
--
-- KEYS[1] task_key    e:task:<name>   hash, the record
-- KEYS[2] queued_key  e:tasks:queued  zset name -> enqueue ms
-- KEYS[3] leases_key  e:tasks:leases  zset name -> lease deadline ms
-- KEYS[4] events_key  e:events        stream of task events
-- ARGV[1] owner, ARGV[2] attempt (the fencing token), ARGV[3] now_ms,
-- ARGV[4] now_iso.
-- Returns 1, or 0 when the task is no longer ours (GONE).
--
--@setup HSET e:task:t1 name t1 type hello state running owner w1 attempts 1
--@setup ZADD e:tasks:leases 1 t1
--@keys e:task:t1 e:tasks:queued e:tasks:leases e:events
--@args w1 1 1700000000000 2023-11-14T22:13:20.000Z
--@expect 1
--@check HGET e:task:t1 state = queued
--@check HGET e:task:t1 attempts = 0
--@check ZSCORE e:tasks:queued t1 = 1700000000000
local task_key, queued_key, leases_key, events_key =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local owner, attempt, now_ms, now_iso = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
--#include lib/task_emit.lua
--#include lib/task_fenced.lua

if not fenced() then return 0 end
redis.call('HINCRBY', task_key, 'attempts', -1)
redis.call('HSET', task_key, 'state', 'queued')
redis.call('HDEL', task_key, 'owner', 'leaseUntil', 'started')
local name = redis.call('HGET', task_key, 'name')
redis.call('ZREM', leases_key, name)
redis.call('ZADD', queued_key, now_ms, name)
emit_key(task_key, 'submit', now_iso, {'message',
  'released by worker ' .. owner .. ', queued again'})
return 1
