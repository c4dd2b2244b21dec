-- store_ingest: take one task event from the stream: acknowledge it and
-- create a delivery for every enabled subscription that wants it.
--
-- A task's events are taken in seq order (e:evseq:<task> holds the last
-- one taken): an event whose predecessor was not taken yet (another
-- notifier holds it, or a dead one left it pending) is deferred, neither
-- acknowledged nor delivered, unless forced. A subscription's deliveries
-- of one task form a chain: only its head is due.
-- KEYS[1] due_key     e:deliveries:due   zset delivery id -> due ms
-- KEYS[2] events_key  e:events           stream of task events
-- KEYS[3] counts_key  e:notifier:counts  hash counter -> n
-- ARGV[1] group (consumer group), ARGV[2] entry_id (stream id), ARGV[3]
-- counter (the counts field to add 1 to), ARGV[4] org, ARGV[5]
-- task_type, ARGV[6] event, ARGV[7] task, ARGV[8] webhook_body (JSON),
-- ARGV[9] slack_text (JSON string), ARGV[10] now (ms), ARGV[11] seq (''
-- when none), ARGV[12] forced ('1': take it even out of order).
-- Returns {acked (1, 0 already handled, -1 deferred), deliveries created}.
--
--@setup XGROUP CREATE e:events g 0 MKSTREAM
--@setup XADD e:events 1-1 taskName t1
--@setup XREADGROUP GROUP g c STREAMS e:events >
--@setup ZADD e:{o}:subs 1 s1
--@setup HSET e:{o}:sub:s1 state enabled types ["hello"] events ["end"] url http://h
--@keys e:deliveries:due e:events e:notifier:counts
--@args g 1-1 events o hello end t1 {} "x" 1700000000000 1 0
--@expect (array)
--@check ZSCORE e:deliveries:due 1-1-s1 = 1700000000000
--@check HGET e:dlv:1-1-s1 status = pending
--@check GET e:evseq:t1 = 1
local due_key, events_key, counts_key = KEYS[1], KEYS[2], KEYS[3]
local group, entry_id, counter, org, task_type, event, task, webhook_body,
  slack_text, now, seq, forced = ARGV[1], ARGV[2], ARGV[3], ARGV[4],
  ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12]
--#include lib/store_helpers.lua

local function has(list, item)
  local ok, v = pcall(cjson.decode, list or '')
  if not ok or type(v) ~= 'table' then return false end
  for _, x in ipairs(v) do if x == item then return true end end
  return false
end
local seqkey = nil
if seq ~= '' and task ~= '' then
  seqkey = '@EDGE_KEY_EVSEQ_PREFIX@' .. task
  local last = tonumber(redis.call('GET', seqkey) or '0')
  if tonumber(seq) > last + 1 and forced ~= '1' then
    return {-1, 0}
  end
end
if redis.call('XACK', events_key, group, entry_id) ~= 1 then
  return {0, 0}
end
if seqkey then
  local last = tonumber(redis.call('GET', seqkey) or '0')
  if tonumber(seq) > last then
    redis.call('SET', seqkey, seq, 'PX', 2592000000) -- 30 days
  end
end
redis.call('HINCRBY', counts_key, counter, 1)
if org == '' or task == '' then return {1, 0} end
local created = 0
local subs = string.format('@EDGE_KEY_SUBS_FMT@', org)
for _, name in ipairs(redis.call('ZRANGE', subs, 0, -1)) do
  local key = subkey(org, name)
  local s = redis.call('HMGET', key, 'state', 'types', 'events',
    'url', 'slackChannel')
  local id = entry_id .. '-' .. name
  local dkey = dlvkey(id)
  local body = nil
  if s[4] and s[4] ~= '' then body = webhook_body
  elseif s[5] and s[5] ~= '' then
    body = '{"channel":' .. cjson.encode(s[5]) .. ',"text":'
      .. slack_text .. '}'
  end
  if body and s[1] == 'enabled' and has(s[2], task_type)
      and has(s[3], event)
      and redis.call('EXISTS', dkey) == 0 then
    local chain = key .. '@EDGE_KEY_SUB_CHAIN@' .. task
    local first = redis.call('RPUSH', chain, id) == 1
    redis.call('HSET', dkey, 'id', id, 'org', org, 'sub', name,
      'eventId', entry_id, 'taskName', task, 'type', task_type,
      'event', event, 'body', body, 'attempt', 0,
      'status', 'pending', 'nextAt', first and now or '0',
      'created', now, 'lastStatusCode', '', 'lastError', '')
    redis.call('SADD', key .. '@EDGE_KEY_SUB_PENDING@', id)
    if first then redis.call('ZADD', due_key, now, id) end
    created = created + 1
  end
end
return {1, created}
