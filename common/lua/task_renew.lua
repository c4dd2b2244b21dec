-- task_renew: extend the lease of a running task its worker still holds.
--
-- KEYS[1] task_key    e:task:<name>   hash, the record
-- KEYS[2]             e:tasks:queued  (not used here)
-- KEYS[3] leases_key  e:tasks:leases  zset name -> lease deadline ms
-- KEYS[4]             e:events        (not used here)
-- ARGV[1] owner, ARGV[2] attempt (the fencing token), ARGV[3] lease_until
-- (ms).
-- Returns 1, or 0 when the task is no longer ours (GONE).
--
--@setup HSET e:task:t1 name t1 state running owner w1 attempts 1
--@keys e:task:t1 e:tasks:queued e:tasks:leases e:events
--@args w1 1 1700000060000
--@expect 1
--@check HGET e:task:t1 leaseUntil = 1700000060000
--@check ZSCORE e:tasks:leases t1 = 1700000060000
local task_key, leases_key = KEYS[1], KEYS[3]
local owner, attempt, lease_until = ARGV[1], ARGV[2], ARGV[3]
--#include lib/task_fenced.lua

if not fenced() then return 0 end
redis.call('HSET', task_key, 'leaseUntil', lease_until)
redis.call('ZADD', leases_key, lease_until,
  redis.call('HGET', task_key, 'name'))
return 1
