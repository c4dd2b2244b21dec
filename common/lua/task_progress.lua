-- task_progress: record the progress of a running task its worker holds.
--
-- KEYS[1] task_key  e:task:<name>  hash, the record
-- KEYS[2..4]        e:tasks:queued e:tasks:leases e:events (not used here)
-- ARGV[1] owner, ARGV[2] attempt (the fencing token), ARGV[3] progress
-- (JSON {doneBytes, totalBytes}).
-- Returns 1, or 0 when the task is no longer ours (GONE).
--
--@setup HSET e:task:t1 name t1 state running owner w1 attempts 1
--@keys e:task:t1 e:tasks:queued e:tasks:leases e:events
--@args w1 1 {"doneBytes":1,"totalBytes":2}
--@expect 1
--@check HGET e:task:t1 progress = {"doneBytes":1,"totalBytes":2}
local task_key = KEYS[1]
local owner, attempt, progress = ARGV[1], ARGV[2], ARGV[3]
--#include lib/task_fenced.lua

if not fenced() then return 0 end
redis.call('HSET', task_key, 'progress', progress)
return 1
