-- task_reap: a task whose lease index entry expired goes back to the
-- queue, or fails once it used max_attempts.
--
-- KEYS[1] task_key    e:task:<name>   hash, the record
-- KEYS[2] queued_key  e:tasks:queued  zset name -> enqueue ms
-- KEYS[3] leases_key  e:tasks:leases  zset name -> lease deadline ms
-- KEYS[4] events_key  e:events        stream of task events
-- ARGV[1] name, ARGV[2] now_ms, ARGV[3] now_iso, ARGV[4] max_attempts.
-- Returns {0} (nothing to do: not running, or the lease was renewed),
-- {1, type} (queued again) or {2} (failed).
--
--@setup HSET e:task:t1 name t1 type hello state running owner w1 attempts 1 leaseUntil 1
--@setup ZADD e:tasks:leases 1 t1
--@keys e:task:t1 e:tasks:queued e:tasks:leases e:events
--@args t1 1700000000000 2023-11-14T22:13:20.000Z 3
--@expect (array)
--@check HGET e:task:t1 state = queued
--@check ZSCORE e:tasks:queued t1 = 1700000000000
--@check ZCARD e:tasks:leases = 0
local task_key, queued_key, leases_key, events_key =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local name, now_ms, now_iso, max_attempts = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
--#include lib/task_emit.lua

local f = redis.call('HMGET', task_key, 'state', 'leaseUntil', 'attempts',
  'type')
if f[1] ~= 'running' then
  redis.call('ZREM', leases_key, name); return {0}
end
local lease = tonumber(f[2]) or 0
if lease > tonumber(now_ms) then
  redis.call('ZADD', leases_key, lease, name); return {0}
end
local n = tonumber(f[3]) or 0
redis.call('ZREM', leases_key, name)
if n >= tonumber(max_attempts) then
  local msg = 'task lease expired after ' .. n ..
    (n == 1 and ' attempt' or ' attempts') .. ' (worker lost)'
  redis.call('HSET', task_key, 'state', 'failed', 'finished', now_iso,
    'message', msg)
  redis.call('HDEL', task_key, 'leaseUntil', 'result', 'exception', 'error')
  emit_key(task_key, 'error', now_iso, {'attempt', tostring(n),
    'message', msg})
  return {2}
end
redis.call('HSET', task_key, 'state', 'queued')
redis.call('HDEL', task_key, 'owner', 'leaseUntil', 'started')
redis.call('ZADD', queued_key, now_ms, name)
emit_key(task_key, 'submit', now_iso, {'attempt', tostring(n), 'message',
  'lease expired (worker lost), queued again'})
return {1, f[4] or ''}
