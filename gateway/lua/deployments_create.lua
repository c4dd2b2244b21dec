-- deployments_create: create a deployment (publication target).
--
-- KEYS[1] info_key         e:{O}:info               hash, the org: must exist
-- KEYS[2] deployments_key  e:{O}:deployments        zset name -> created ms
-- KEYS[3] deployment_key   e:{O}:deployment:<name>  hash, must not exist,
--                          nor <key>:deleting (its files still swept)
-- ARGV[1] name, ARGV[2] created_ms, ARGV[3..] the hash's field/value pairs.
-- Returns {'ok', HGETALL of the deployment} | {'no_org'} | {'conflict'}
--   | {'deleting'}.
--
--@setup HSET e:{o}:info name o
--@keys e:{o}:info e:{o}:deployments e:{o}:deployment:d
--@args d 1700000000000 name d kind fs
--@expect ok
--@check HGET e:{o}:deployment:d kind = fs
--@check ZSCORE e:{o}:deployments d = 1700000000000
local info_key, deployments_key, deployment_key = KEYS[1], KEYS[2], KEYS[3]
local name, created_ms = ARGV[1], ARGV[2]

if redis.call('EXISTS', info_key) == 0 then return {'no_org'} end
if redis.call('EXISTS', deployment_key) == 1 then return {'conflict'} end
if redis.call('EXISTS', deployment_key .. '@EDGE_KEY_DEPLOYMENT_DELETING@') == 1 then
  return {'deleting'}
end
redis.call('HSET', deployment_key, unpack(ARGV, 3))
redis.call('ZADD', deployments_key, created_ms, name)
return {'ok', redis.call('HGETALL', deployment_key)}
