-- apps_patch: update an app's settings; moves its registrations when the
-- deployments change. Clears the error (architecture §4: patching the app
-- unlocks it; the caller sets locked to 0).
--
-- KEYS[1] app_key  e:{O}:app:<name>  hash, must exist
-- ARGV[1] name, ARGV[2] (unused), ARGV[3] dep_prefix (e:{O}:deployment:),
-- ARGV[4] count n (-1: deployments unchanged), ARGV[5..4+n] deployment
-- names, then the field/value pairs to set.
-- Returns {'ok', HGETALL of the app} | {'not_found'}
--   | {'unknown_deployment', name}.
--
--@setup HSET e:{o}:app:a name a deployments ["old"]
--@setup SADD e:{o}:deployment:old:apps a
--@setup HSET e:{o}:deployment:d name d
--@keys e:{o}:app:a
--@args a '' e:{o}:deployment: 1 d label B deployments ["d"]
--@expect ok
--@check HGET e:{o}:app:a label = B
--@check SISMEMBER e:{o}:deployment:d:apps a = 1
--@check SISMEMBER e:{o}:deployment:old:apps a = 0
local app_key = KEYS[1]
local name, dep_prefix = ARGV[1], ARGV[3]
local count = tonumber(ARGV[4])
local deployments = {unpack(ARGV, 5, 4 + math.max(count, 0))}

if redis.call('EXISTS', app_key) == 0 then return {'not_found'} end
if count >= 0 then
--#include lib/apps_check_deployments.lua
--#include lib/apps_deregister.lua
  for _, d in ipairs(deployments) do
    redis.call('SADD', dep_prefix .. d .. '@EDGE_KEY_DEPLOYMENT_APPS@', name)
  end
end
redis.call('HSET', app_key, unpack(ARGV, 5 + math.max(count, 0)))
redis.call('HDEL', app_key, 'error')
return {'ok', redis.call('HGETALL', app_key)}
