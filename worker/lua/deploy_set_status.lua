-- deploy_set_status: record how publishing to a deployment ended, if the
-- deployment still exists.
--
-- KEYS[1] deployment_key  e:{org}:deployment:<name>  hash, the deployment
-- ARGV[1] status ('ok' | 'error'), ARGV[2] message.
-- Returns 1, or 0 when the deployment is gone.
--
--@setup HSET e:{o}:deployment:d1 name d1
--@keys e:{o}:deployment:d1
--@args ok published
--@expect 1
--@check HGET e:{o}:deployment:d1 status = ok
local deployment_key = KEYS[1]
local status, message = ARGV[1], ARGV[2]

if redis.call('EXISTS', deployment_key) == 0 then return 0 end
redis.call('HSET', deployment_key, 'status', status, 'message', message)
return 1
