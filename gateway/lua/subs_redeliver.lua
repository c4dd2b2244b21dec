-- subs_redeliver: re-queue a subscription's failed deliveries since a
-- time. A delivery goes back to the tail of its task's chain; it is due at
-- once only when it is the chain's head (order per task holds).
--
-- KEYS[1] sub_key      e:{O}:sub:<name>          hash, must exist
-- KEYS[2] failed_key   e:{O}:sub:<name>:failed   zset id -> failed ms
-- KEYS[3] due_key      e:deliveries:due          zset id -> next ms
-- KEYS[4] pending_key  e:{O}:sub:<name>:pending  set of delivery ids
-- ARGV[1] since_ms, ARGV[2] now_ms, ARGV[3] chain_prefix
-- (e:{O}:sub:<name>:chain:, + task). Each delivery is the hash e:dlv:<id>.
-- Returns the number re-queued, or -1 when the subscription is absent.
--
--@setup HSET e:{o}:sub:s name s
--@setup ZADD e:{o}:sub:s:failed 1700000000000 d1
--@setup HSET e:dlv:d1 taskName t1 status failed
--@keys e:{o}:sub:s e:{o}:sub:s:failed e:deliveries:due e:{o}:sub:s:pending
--@args 1600000000000 1700000001000 e:{o}:sub:s:chain:
--@expect 1
--@check HGET e:dlv:d1 status = pending
--@check ZSCORE e:deliveries:due d1 = 1700000001000
local sub_key, failed_key, due_key, pending_key = KEYS[1], KEYS[2], KEYS[3],
  KEYS[4]
local since_ms, now_ms, chain_prefix = ARGV[1], ARGV[2], ARGV[3]

if redis.call('EXISTS', sub_key) == 0 then return -1 end
local ids = redis.call('ZRANGE', failed_key, since_ms, '+inf', 'BYSCORE')
local n = 0
for _, id in ipairs(ids) do
  local dlv = '@EDGE_KEY_DELIVERY_PREFIX@' .. id
  local task = redis.call('HGET', dlv, 'taskName')
  if task then
    redis.call('HSET', dlv, 'status', 'pending', 'attempt', 0,
      'lastError', '')
    redis.call('PERSIST', dlv)
    redis.call('SADD', pending_key, id)
    if redis.call('RPUSH', chain_prefix .. task, id) == 1 then
      redis.call('ZADD', due_key, now_ms, id)
      redis.call('HSET', dlv, 'nextAt', now_ms)
    else
      redis.call('HSET', dlv, 'nextAt', 0)
    end
    n = n + 1
  end
  redis.call('ZREM', failed_key, id)
end
return n
