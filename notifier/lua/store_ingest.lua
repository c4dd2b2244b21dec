-- store_ingest: take a batch of task events from the stream: acknowledge
-- each and create a delivery for every enabled subscription that wants it.
--
-- A task's events are taken in seq order (e:evseq:<task> holds the last
-- one taken): an event whose predecessor was not taken yet (another
-- notifier holds it, or a dead one left it pending) is deferred, neither
-- acknowledged nor delivered, unless forced. A subscription's deliveries
-- of one task form a chain: only its head is due. Entries are handled in
-- the order given (stream order), so a task's events in one batch see
-- each other.
-- KEYS[1] due_key     e:deliveries:due   zset delivery id -> due ms
-- KEYS[2] events_key  e:events           stream of task events
-- KEYS[3] counts_key  e:notifier:counts  hash counter -> n
-- ARGV[1] group (consumer group), ARGV[2] now (ms), then 10 per entry:
-- entry_id (stream id), counter (the counts field to add 1 to), org,
-- task_type, event, task, webhook_body (JSON), slack_text (JSON string),
-- seq ('' when none), forced ('1': take it even out of order).
-- Returns {acked, created} per entry, flat: acked is 1 (taken), 0
-- (already handled) or -1 (deferred); created counts its deliveries.
--
--@setup XGROUP CREATE e:events g 0 MKSTREAM
--@setup XADD e:events 1-1 taskName t1
--@setup XADD e:events 1-2 taskName t1
--@setup XREADGROUP GROUP g c STREAMS e:events >
--@setup ZADD e:{o}:subs 1 s1
--@setup HSET e:{o}:sub:s1 state enabled types ["hello"] events ["end"] url http://h
--@keys e:deliveries:due e:events e:notifier:counts
--@args g 1700000000000 1-1 c o hello begin t1 {} "x" 1 0 1-2 hello.end o hello end t1 {} "x" 2 0
--@expect (array)
--@check ZSCORE e:deliveries:due 1-2-s1 = 1700000000000
--@check HGET e:dlv:1-2-s1 status = pending
--@check GET e:evseq:t1 = 2
--@check HGET e:notifier:counts hello.end = 1
local due_key, events_key, counts_key = KEYS[1], KEYS[2], KEYS[3]
local group, now = ARGV[1], ARGV[2]
local FIELDS = 10 -- arguments per entry
--#include lib/store_helpers.lua

local function has(list, item)
  local ok, v = pcall(cjson.decode, list or '')
  if not ok or type(v) ~= 'table' then return false end
  for _, x in ipairs(v) do if x == item then return true end end
  return false
end

-- An org's subscriptions, read once per batch: {name, key, fields}.
local org_subs = {}
local function subs_of(org)
  local list = org_subs[org]
  if list then return list end
  list = {}
  local subs = string.format('@EDGE_KEY_SUBS_FMT@', org)
  for _, name in ipairs(redis.call('ZRANGE', subs, 0, -1)) do
    local key = subkey(org, name)
    list[#list + 1] = {name = name, key = key, s = redis.call('HMGET', key,
      'state', 'types', 'events', 'url', 'slackChannel')}
  end
  org_subs[org] = list
  return list
end

-- Create the deliveries of one taken event; returns how many.
local function deliver(entry_id, org, task_type, event, task, webhook_body,
    slack_text)
  local created = 0
  for _, sub in ipairs(subs_of(org)) do
    local s, name, key = sub.s, sub.name, sub.key
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
  return created
end

local out, counts = {}, {}
local last_seq, seq_changed = {}, {} -- per task, within the batch
for i = 3, #ARGV, FIELDS do
  local entry_id, counter, org, task_type, event, task, webhook_body,
    slack_text, seq, forced = unpack(ARGV, i, i + FIELDS - 1)
  local acked, created = 1, 0
  local has_seq = seq ~= '' and task ~= ''
  if has_seq and last_seq[task] == nil then
    last_seq[task] = tonumber(redis.call('GET',
      '@EDGE_KEY_EVSEQ_PREFIX@' .. task) or '0')
  end
  if has_seq and tonumber(seq) > last_seq[task] + 1 and forced ~= '1' then
    acked = -1
  elseif redis.call('XACK', events_key, group, entry_id) ~= 1 then
    acked = 0
  else
    if has_seq and tonumber(seq) > last_seq[task] then
      last_seq[task] = tonumber(seq)
      seq_changed[task] = true
    end
    counts[counter] = (counts[counter] or 0) + 1
    if org ~= '' and task ~= '' then
      created = deliver(entry_id, org, task_type, event, task, webhook_body,
        slack_text)
    end
  end
  out[#out + 1] = acked
  out[#out + 1] = created
end
for task in pairs(seq_changed) do
  redis.call('SET', '@EDGE_KEY_EVSEQ_PREFIX@' .. task, last_seq[task],
    'PX', 2592000000) -- 30 days
end
for counter, n in pairs(counts) do
  redis.call('HINCRBY', counts_key, counter, n)
end
return out
