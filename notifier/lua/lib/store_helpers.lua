-- lib/store_helpers.lua (notifier/nt_store.c): keys and state changes of
-- deliveries shared by the store scripts.
--
-- Needs, before the include line, a local due_key: the deliveries' agenda
-- (@EDGE_KEY_DELIVERIES_DUE@).
-- subkey(sub_org, sub_name): a subscription's hash key. dlvkey(dlv_id): a
-- delivery's. advance(chain, dlv_id, at): drop dlv_id from its chain and
-- make the new head due at (ms). close(sub_key, dlv_id, dlv_task, status,
-- last_error, at, keep): a delivery of subscription sub_key reached its
-- final status (kept keep ms). drop(sub_key, dlv_id, dlv_task, at): forget
-- a delivery whose subscription was deleted.
-- luacheck: push ignore 211
local function subkey(sub_org, sub_name)
  return string.format('@EDGE_KEY_SUB_FMT@', sub_org, sub_name)
end
local function dlvkey(dlv_id)
  return '@EDGE_KEY_DELIVERY_PREFIX@' .. dlv_id
end
local function advance(chain, dlv_id, at)
  redis.call('LREM', chain, 1, dlv_id)
  local head = redis.call('LINDEX', chain, 0)
  if head then
    redis.call('ZADD', due_key, at, head)
    redis.call('HSET', dlvkey(head), 'nextAt', at)
  end
end
local function close(sub_key, dlv_id, dlv_task, status, last_error, at, keep)
  local dkey = dlvkey(dlv_id)
  redis.call('HSET', dkey, 'status', status)
  if last_error then redis.call('HSET', dkey, 'lastError', last_error) end
  redis.call('ZREM', due_key, dlv_id)
  redis.call('SREM', sub_key .. '@EDGE_KEY_SUB_PENDING@', dlv_id)
  if status == 'failed' then
    redis.call('ZADD', sub_key .. '@EDGE_KEY_SUB_FAILED@', at, dlv_id)
    redis.call('ZREMRANGEBYSCORE', sub_key .. '@EDGE_KEY_SUB_FAILED@',
      '-inf', '(' .. (at - keep))
  end
  redis.call('PEXPIRE', dkey, keep)
  advance(sub_key .. '@EDGE_KEY_SUB_CHAIN@' .. dlv_task, dlv_id, at)
end
local function drop(sub_key, dlv_id, dlv_task, at)
  redis.call('DEL', dlvkey(dlv_id))
  redis.call('ZREM', due_key, dlv_id)
  redis.call('SREM', sub_key .. '@EDGE_KEY_SUB_PENDING@', dlv_id)
  advance(sub_key .. '@EDGE_KEY_SUB_CHAIN@' .. dlv_task, dlv_id, at)
end
-- luacheck: pop
