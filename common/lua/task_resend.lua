-- task_resend: the queued tasks last sent at or before a cutoff, stamped
-- now (the broker gets them again); entries of tasks no longer queued go.
--
-- KEYS[1] queued_key  e:tasks:queued  zset name -> (re)sent ms
-- ARGV[1] cutoff_ms, ARGV[2] now_ms, ARGV[3] max (tasks at most),
-- ARGV[4] task_prefix (e:task:).
-- Returns {name, type, ...} of the tasks to send again.
--
--@setup HSET e:task:t1 name t1 type hello state queued
--@setup ZADD e:tasks:queued 1 t1
--@keys e:tasks:queued
--@args 10 1700000000000 100 e:task:
--@expect t1
--@check ZSCORE e:tasks:queued t1 = 1700000000000
local queued_key = KEYS[1]
local cutoff_ms, now_ms, max, task_prefix = ARGV[1], ARGV[2], ARGV[3], ARGV[4]

local names = redis.call('ZRANGEBYSCORE', queued_key, '-inf', cutoff_ms,
  'LIMIT', 0, tonumber(max))
local out = {}
for _, name in ipairs(names) do
  local f = redis.call('HMGET', task_prefix .. name, 'state', 'type')
  if f[1] ~= 'queued' then
    redis.call('ZREM', queued_key, name)
  else
    redis.call('ZADD', queued_key, 'XX', now_ms, name)
    out[#out + 1] = name; out[#out + 1] = f[2] or ''
  end
end
return out
