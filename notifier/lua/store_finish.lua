-- store_finish: record how delivery attempts ended, several in one call,
-- in order: retry later, succeeded, failed, or the subscription disabled
-- (410 Gone: every pending delivery of it fails, those later in this call
-- too, which then answer 0).
--
-- KEYS[1] due_key  e:deliveries:due  zset delivery id -> due ms
-- ARGV[1] now_ms, ARGV[2] now_iso, ARGV[3] keep_ms, ARGV[4] reason (why a
-- subscription is disabled), then 7 per attempt: id, attempt (the one
-- leased), outcome ('retry' | 'succeeded' | 'failed' | 'disabled'),
-- status_code, err, record (the attempt record, JSON), next_at (ms, retry).
-- Returns {r ...}, one per attempt: 1, or 0 when the delivery is not ours
-- any more.
--
--@setup HSET e:dlv:1-1-s1 status pending attempt 1 org o sub s1 taskName t1
--@setup HSET e:dlv:2-1-s1 status pending attempt 2 org o sub s1 taskName t2
--@setup HSET e:{o}:sub:s1 state enabled
--@setup ZADD e:deliveries:due 1 1-1-s1 1 2-1-s1
--@setup RPUSH e:{o}:sub:s1:chain:t1 1-1-s1
--@setup RPUSH e:{o}:sub:s1:chain:t2 2-1-s1
--@setup SADD e:{o}:sub:s1:pending 1-1-s1 2-1-s1
--@keys e:deliveries:due
--@args 1000 now_iso 99999999 R 1-1-s1 1 succeeded 200 '' {} 0 2-1-s1 2 retry 500 E {} 6000
--@expect (array)
--@check HGET e:dlv:1-1-s1 status = succeeded
--@check HGET e:dlv:2-1-s1 nextAt = 6000
--@check ZSCORE e:deliveries:due 2-1-s1 = 6000
--@check ZCARD e:deliveries:due = 1
--@check LLEN e:{o}:sub:s1:attempts = 2
local due_key = KEYS[1]
local now_ms, now_iso, keep_ms, reason = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
--#include lib/store_helpers.lua

local now = tonumber(now_ms)
local keep = tonumber(keep_ms)
local exists = {}  -- subscription key -> true/false, read once per call
local records = {} -- attempts key -> records in attempt order
local touched = {} -- attempts keys in first-touch order

-- Disable the subscription at key (410 Gone) and fail its pending ones.
local function disable(key)
  redis.call('HSET', key, 'state', 'disabled', 'disabledReason', reason,
    'updated', now_iso)
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

local function finish(id, attempt, outcome, status_code, err, record,
    next_at)
  local dkey = dlvkey(id)
  local d = redis.call('HMGET', dkey, 'status', 'attempt', 'org', 'sub',
    'taskName')
  if d[1] ~= 'pending' or d[2] ~= attempt then return 0 end
  local key = subkey(d[3], d[4])
  if exists[key] == nil then
    exists[key] = redis.call('EXISTS', key) == 1
  end
  if not exists[key] then
    drop(key, id, d[5], now)
    return 0
  end
  local attempts_key = key .. '@EDGE_KEY_SUB_ATTEMPTS@'
  if not records[attempts_key] then
    records[attempts_key] = {}
    touched[#touched + 1] = attempts_key
  end
  table.insert(records[attempts_key], record)
  redis.call('HSET', dkey, 'lastStatusCode', status_code, 'lastError', err)
  if outcome == 'retry' then
    redis.call('HSET', dkey, 'nextAt', next_at)
    redis.call('ZADD', due_key, next_at, id)
  elseif outcome == 'succeeded' or outcome == 'failed' then
    close(key, id, d[5], outcome, nil, now, keep)
  else
    close(key, id, d[5], 'failed', nil, now, keep)
    disable(key)
  end
  return 1
end

local out = {}
for i = 5, #ARGV, 7 do
  out[#out + 1] = finish(ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3],
    ARGV[i + 4], ARGV[i + 5], ARGV[i + 6])
end
-- Newest first, 50 kept (NT_STORE_ATTEMPTS_KEPT): LPUSH puts its last
-- argument at the head, as one LPUSH per attempt would; only the newest 50
-- of this call can stay.
for _, attempts_key in ipairs(touched) do
  local list = records[attempts_key]
  redis.call('LPUSH', attempts_key, unpack(list, math.max(1, #list - 49)))
  redis.call('LTRIM', attempts_key, 0, 49)
end
return out
