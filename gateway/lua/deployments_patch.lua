-- deployments_patch: update a deployment's settings, refused when another
-- write came in since they were read.
--
-- KEYS[1] deployment_key  e:{O}:deployment:<name>  hash, must exist
-- ARGV[1] updated (the 'updated' value read before), ARGV[2] count n of
-- fields to delete, ARGV[3..2+n] those fields, then field/value pairs.
-- Returns {'ok', HGETALL of the deployment} | {'not_found'} | {'changed'}.
--
--@setup HSET e:{o}:deployment:d name d updated u1 message m
--@keys e:{o}:deployment:d
--@args u1 1 message updated u2
--@expect ok
--@check HGET e:{o}:deployment:d updated = u2
--@check HEXISTS e:{o}:deployment:d message = 0
local deployment_key = KEYS[1]
local updated = ARGV[1]
local count = tonumber(ARGV[2])

if redis.call('EXISTS', deployment_key) == 0 then return {'not_found'} end
if redis.call('HGET', deployment_key, 'updated') ~= updated then
  return {'changed'}
end
if count > 0 then
  redis.call('HDEL', deployment_key, unpack(ARGV, 3, 2 + count))
end
redis.call('HSET', deployment_key, unpack(ARGV, 3 + count))
return {'ok', redis.call('HGETALL', deployment_key)}
