-- task_fail: running -> failed with a message, and `error`.
--
-- KEYS[1] task_key    e:task:<name>   hash, the record
-- KEYS[2]             e:tasks:queued  (not used here)
-- KEYS[3] leases_key  e:tasks:leases  zset name -> lease deadline ms
-- KEYS[4] events_key  e:events        stream of task events
-- ARGV[1] owner, ARGV[2] attempt (the fencing token), ARGV[3] now_iso,
-- ARGV[4] message, ARGV[5] exception (JSON object or ''), ARGV[6] error
-- (JSON object or '').
-- Returns 1, or 0 when the task is no longer ours (GONE).
--
--@setup HSET e:task:t1 name t1 type hello state running owner w1 attempts 1
--@setup ZADD e:tasks:leases 1 t1
--@keys e:task:t1 e:tasks:queued e:tasks:leases e:events
--@args w1 1 2023-11-14T22:13:20.000Z broken '' {"code":1}
--@expect 1
--@check HGET e:task:t1 state = failed
--@check HGET e:task:t1 error = {"code":1}
--@check ZCARD e:tasks:leases = 0
local task_key, leases_key, events_key = KEYS[1], KEYS[3], KEYS[4]
local owner, attempt, now_iso, message, exception, err =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
--#include lib/task_emit.lua
--#include lib/task_fenced.lua

if not fenced() then return 0 end
redis.call('HSET', task_key, 'state', 'failed', 'finished', now_iso,
  'message', message)
redis.call('HDEL', task_key, 'leaseUntil', 'result', 'exception', 'error')
if exception ~= '' then redis.call('HSET', task_key, 'exception', exception) end
if err ~= '' then redis.call('HSET', task_key, 'error', err) end
redis.call('ZREM', leases_key, redis.call('HGET', task_key, 'name'))
emit_key(task_key, 'error', now_iso, {'attempt', attempt,
  'exception', exception, 'error', err, 'message', message})
return 1
