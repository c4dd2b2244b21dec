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
local ids = redis.call('ZRANGEBYSCORE', due_key, '-inf', now,
  'LIMIT', 0, tonumber(max))
for _, id in ipairs(ids) do
  local dkey = dlvkey(id)
  local d = redis.call('HMGET', dkey, 'status', 'org', 'sub', 'taskName')
  if d[1] ~= 'pending' then
    redis.call('ZREM', due_key, id)
  else
    local key = subkey(d[2], d[3])
    local s = redis.call('HMGET', key, 'state', 'url', 'slackChannel',
      'secret')
    if not s[1] then
      drop(key, id, d[4], now)
    elseif s[1] ~= 'enabled' then
      close(key, id, d[4], 'failed', 'subscription is disabled', now,
        tonumber(keep_ms))
    else
      redis.call('ZADD', due_key, lease_until, id)
      local n = redis.call('HINCRBY', dkey, 'attempt', 1)
      local f = redis.call('HMGET', dkey, 'eventId', 'type', 'event', 'body')
      out[#out + 1] = {id, d[2], d[3], d[4], f[1] or '', f[2] or '',
        f[3] or '', f[4] or '', tostring(n), s[2] or '', s[3] or '',
        s[4] or ''}
    end
  end
end
return out
