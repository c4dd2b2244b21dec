-- task_claim: queued -> running for a worker, with a lease and `begin`.
--
-- KEYS[1] task_key    e:task:<name>   hash, the record
-- KEYS[2] queued_key  e:tasks:queued  zset name -> enqueue ms
-- KEYS[3] leases_key  e:tasks:leases  zset name -> lease deadline ms
-- KEYS[4] events_key  e:events        stream of task events
-- ARGV[1] owner (worker id), ARGV[2] now_ms (not used), ARGV[3]
-- lease_until (ms), ARGV[4] now_iso.
-- Returns {attempt, type, orgName, params}, or nil when not queued.
--
--@setup HSET e:task:t1 name t1 type hello state queued orgName o params {}
--@setup ZADD e:tasks:queued 1 t1
--@keys e:task:t1 e:tasks:queued e:tasks:leases e:events
--@args w1 1700000000000 1700000060000 2023-11-14T22:13:20.000Z
--@expect (array)
--@check HGET e:task:t1 state = running
--@check ZSCORE e:tasks:leases t1 = 1700000060000
--@check ZCARD e:tasks:queued = 0
local task_key, queued_key, leases_key, events_key =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local owner, lease_until, now_iso = ARGV[1], ARGV[3], ARGV[4]
--#include lib/task_emit.lua

local f = redis.call('HMGET', task_key, 'state', 'params',
  unpack(EMIT_FIELDS))
if f[1] ~= 'queued' then
  return false
end
local params = f[2]
table.remove(f, 1)
table.remove(f, 1) -- f: the EMIT_FIELDS, which the claim does not change
local n = redis.call('HINCRBY', task_key, 'attempts', 1)
redis.call('HSET', task_key, 'state', 'running', 'owner', owner,
  'leaseUntil', lease_until, 'started', now_iso)
redis.call('HDEL', task_key, 'finished')
local name = f[1]
redis.call('ZREM', queued_key, name)
redis.call('ZADD', leases_key, lease_until, name)
emit_fields(task_key, f, 'begin', now_iso, {'attempt', tostring(n)})
return {n, f[2] or '', f[3] or '', params or '{}'}
