-- store_take: the deliveries due now, each leased for one attempt.
--
-- A delivery whose subscription was deleted is dropped; one whose
-- subscription is disabled fails.
-- KEYS[1] due_key  e:deliveries:due  zset delivery id -> due ms
-- ARGV[1] now_ms, ARGV[2] lease_until (ms: due again then, unless
-- finished), ARGV[3] max (deliveries at most), ARGV[4] keep_ms (finished
-- deliveries are kept this long).
-- Returns {{id, org, sub, task, eventId, type, event, body, attempt, url,
-- slackChannel, secret} ...}.
--
--@setup ZADD e:deliveries:due 1 1-1-s1
--@setup HSET e:dlv:1-1-s1 status pending org o sub s1 taskName t1
--@setup HSET e:dlv:1-1-s1 eventId 1-1 type hello event end body {}
--@setup HSET e:{o}:sub:s1 state enabled url http://h
--@keys e:deliveries:due
--@args 1700000000000 1700000060000 10 691200000
--@expect (array)
--@check HGET e:dlv:1-1-s1 attempt = 1
--@check ZSCORE e:deliveries:due 1-1-s1 = 1700000060000
local due_key = KEYS[1]
local now_ms, lease_until, max, keep_ms = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
--#include lib/store_helpers.lua

local now = tonumber(now_ms)
local out = {}
local subs = {} -- subscription key -> {state, url, slackChannel, secret}
local ids = redis.call('ZRANGEBYSCORE', due_key, '-inf', now,
  'LIMIT', 0, tonumber(max))
for _, id in ipairs(ids) do
  local dkey = dlvkey(id)
  -- one read: the body of a delivery that is not pending any more is rare
  local d = redis.call('HMGET', dkey, 'status', 'org', 'sub', 'taskName',
    'eventId', 'type', 'event', 'body')
  if d[1] ~= 'pending' then
    redis.call('ZREM', due_key, id)
  else
    local key = subkey(d[2], d[3])
    local s = subs[key]
    if not s then -- read once per call
      s = redis.call('HMGET', key, 'state', 'url', 'slackChannel', 'secret')
      subs[key] = s
    end
    if not s[1] then
      drop(key, id, d[4], now)
    elseif s[1] ~= 'enabled' then
      close(key, id, d[4], 'failed', 'subscription is disabled', now,
        tonumber(keep_ms))
    else
      redis.call('ZADD', due_key, lease_until, id)
      local n = redis.call('HINCRBY', dkey, 'attempt', 1)
      out[#out + 1] = {id, d[2], d[3], d[4], d[5] or '', d[6] or '',
        d[7] or '', d[8] or '', tostring(n), s[2] or '', s[3] or '',
        s[4] or ''}
    end
  end
end
return out
