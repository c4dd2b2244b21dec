-- store_finish: record how one delivery attempt ended: retry later,
-- succeeded, failed, or the subscription disabled (410 Gone: every
-- pending delivery of it fails).
--
-- KEYS[1] due_key  e:deliveries:due  zset delivery id -> due ms
-- ARGV[1] id, ARGV[2] attempt (the one leased), ARGV[3] outcome ('retry'
-- | 'succeeded' | 'failed' | 'disabled'), ARGV[4] status_code, ARGV[5]
-- err, ARGV[6] record (the attempt record, JSON), ARGV[7] next_at (ms,
-- retry), ARGV[8] now_ms, ARGV[9] now_iso, ARGV[10] keep_ms, ARGV[11]
-- reason (why the subscription was disabled).
-- Returns 1, or 0 when the delivery is not ours any more.
--
--@setup HSET e:dlv:1-1-s1 status pending attempt 1 org o sub s1 taskName t1
--@setup HSET e:{o}:sub:s1 state enabled
--@setup ZADD e:deliveries:due 1 1-1-s1
--@setup RPUSH e:{o}:sub:s1:chain:t1 1-1-s1
--@setup SADD e:{o}:sub:s1:pending 1-1-s1
--@keys e:deliveries:due
--@args 1-1-s1 1 succeeded 200 '' {} 0 1700000000000 2023-11-14T22:13:20.000Z 691200000 ''
--@expect 1
--@check HGET e:dlv:1-1-s1 status = succeeded
--@check ZCARD e:deliveries:due = 0
--@check LLEN e:{o}:sub:s1:attempts = 1
local due_key = KEYS[1]
local id, attempt, outcome, status_code, err, record, next_at, now_ms,
  now_iso, keep_ms, reason = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5],
  ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11]
--#include lib/store_helpers.lua

local dkey = dlvkey(id)
local now = tonumber(now_ms)
local keep = tonumber(keep_ms)
local d = redis.call('HMGET', dkey, 'status', 'attempt', 'org', 'sub',
  'taskName')
if d[1] ~= 'pending' or d[2] ~= attempt then return 0 end
local key = subkey(d[3], d[4])
if redis.call('EXISTS', key) == 0 then
  drop(key, id, d[5], now)
  return 0
end
local attempts_key = key .. '@EDGE_KEY_SUB_ATTEMPTS@'
redis.call('LPUSH', attempts_key, record)
redis.call('LTRIM', attempts_key, 0, 49) -- keeps 50 (NT_STORE_ATTEMPTS_KEPT)
redis.call('HSET', dkey, 'lastStatusCode', status_code, 'lastError', err)
if outcome == 'retry' then
  redis.call('HSET', dkey, 'nextAt', next_at)
  redis.call('ZADD', due_key, next_at, id)
elseif outcome == 'succeeded' or outcome == 'failed' then
  close(key, id, d[5], outcome, nil, now, keep)
else
  redis.call('HSET', key, 'state', 'disabled', 'disabledReason', reason,
    'updated', now_iso)
  close(key, id, d[5], 'failed', nil, now, keep)
  local why = 'subscription disabled: ' .. reason
  for _, other in ipairs(redis.call('SMEMBERS',
      key .. '@EDGE_KEY_SUB_PENDING@')) do
    local task = redis.call('HGET', dlvkey(other), 'taskName')
    if task then
      redis.call('DEL', key .. '@EDGE_KEY_SUB_CHAIN@' .. task)
      close(key, other, task, 'failed', why, now, keep)
    end
  end
  redis.call('DEL', key .. '@EDGE_KEY_SUB_PENDING@')
end
return 1
