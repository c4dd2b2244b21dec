-- subs_delete: delete a subscription with its pending deliveries and their
-- chains, so a subscription re-created under the same name never receives
-- the old ones.
--
-- KEYS[1] sub_key           e:{O}:sub:<name>           hash, must exist
-- KEYS[2] subs_key          e:{O}:subs                 zset name -> ms
-- KEYS[3] attempts_key      e:{O}:sub:<name>:attempts  list
-- KEYS[4] failed_key        e:{O}:sub:<name>:failed    zset id -> ms
-- KEYS[5] pending_key       e:{O}:sub:<name>:pending   set of delivery ids
-- KEYS[6] due_key           e:deliveries:due           zset id -> next ms
-- ARGV[1] name, ARGV[2] chain_prefix (e:{O}:sub:<name>:chain:, + task:
-- a list of delivery ids). Each delivery is the hash e:dlv:<id>.
-- Returns 1, or 0 when absent.
--
--@setup HSET e:{o}:sub:s name s
--@setup ZADD e:{o}:subs 1 s
--@setup SADD e:{o}:sub:s:pending d1
--@setup HSET e:dlv:d1 taskName t1
--@setup RPUSH e:{o}:sub:s:chain:t1 d1
--@setup ZADD e:deliveries:due 1 d1
-- luacheck: push no max comment line length
--@keys e:{o}:sub:s e:{o}:subs e:{o}:sub:s:attempts e:{o}:sub:s:failed e:{o}:sub:s:pending e:deliveries:due
-- luacheck: pop
--@args s e:{o}:sub:s:chain:
--@expect 1
--@check EXISTS e:dlv:d1 = 0
--@check EXISTS e:{o}:sub:s:chain:t1 = 0
--@check ZCARD e:deliveries:due = 0
local sub_key, subs_key, attempts_key, failed_key, pending_key, due_key =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local name, chain_prefix = ARGV[1], ARGV[2]

if redis.call('EXISTS', sub_key) == 0 then return 0 end
for _, id in ipairs(redis.call('SMEMBERS', pending_key)) do
  local task = redis.call('HGET', '@EDGE_KEY_DELIVERY_PREFIX@' .. id,
    'taskName')
  if task then redis.call('UNLINK', chain_prefix .. task) end
  redis.call('UNLINK', '@EDGE_KEY_DELIVERY_PREFIX@' .. id)
  redis.call('ZREM', due_key, id)
end
redis.call('UNLINK', sub_key, attempts_key, failed_key, pending_key)
redis.call('ZREM', subs_key, name)
return 1
