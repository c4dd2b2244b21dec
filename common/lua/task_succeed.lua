-- task_succeed: running -> succeeded with its result, and `end`.
--
-- KEYS[1] task_key    e:task:<name>   hash, the record
-- KEYS[2]             e:tasks:queued  (not used here)
-- KEYS[3] leases_key  e:tasks:leases  zset name -> lease deadline ms
-- KEYS[4] events_key  e:events        stream of task events
-- ARGV[1] owner, ARGV[2] attempt (the fencing token), ARGV[3] now_iso,
-- ARGV[4] result (JSON object text), ARGV[5] build_changed ('true',
-- 'false' or '': unknown).
-- Returns 1, or 0 when the task is no longer ours (GONE).
--
--@setup HSET e:task:t1 name t1 type hello state running owner w1 attempts 1
--@setup ZADD e:tasks:leases 1 t1
--@keys e:task:t1 e:tasks:queued e:tasks:leases e:events
--@args w1 1 2023-11-14T22:13:20.000Z {"dxfName":"d1"} true
--@expect 1
--@check HGET e:task:t1 state = succeeded
--@check HGET e:task:t1 dxfName = d1
--@check ZCARD e:tasks:leases = 0
--@check XLEN e:events = 1
local task_key, leases_key, events_key = KEYS[1], KEYS[3], KEYS[4]
local owner, attempt, now_iso, result, build_changed =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
--#include lib/task_fenced.lua
--#include lib/task_succeed.lua

if not fenced() then return 0 end
succeed()
return 1
