-- apps_create: create an app and register it to the deployments it names.
--
-- KEYS[1] app_key   e:{O}:app:<name>  hash, must not exist, nor <key>:deleting
-- KEYS[2] apps_key  e:{O}:apps        zset name -> created ms
-- KEYS[3] info_key  e:{O}:info        hash, the org: must exist
-- ARGV[1] name, ARGV[2] created_ms, ARGV[3] dep_prefix (e:{O}:deployment:),
-- ARGV[4] count n, ARGV[5..4+n] deployment names (each gets the app in
-- <dep_prefix><d>:apps), then the app hash's field/value pairs.
-- Returns {'ok', HGETALL of the app} | {'no_org'} | {'conflict'}
--   | {'app_deleting'} | {'unknown_deployment', name}.
--
--@setup HSET e:{o}:info name o
--@setup HSET e:{o}:deployment:d name d
--@keys e:{o}:app:a e:{o}:apps e:{o}:info
--@args a 1700000000000 e:{o}:deployment: 1 d name a label A
--@expect ok
--@check SISMEMBER e:{o}:deployment:d:apps a = 1
--@check ZSCORE e:{o}:apps a = 1700000000000
local app_key, apps_key, info_key = KEYS[1], KEYS[2], KEYS[3]
local name, created_ms, dep_prefix = ARGV[1], ARGV[2], ARGV[3]
local count = tonumber(ARGV[4])
local deployments = {unpack(ARGV, 5, 4 + count)}

if redis.call('EXISTS', info_key) == 0 then return {'no_org'} end
if redis.call('EXISTS', app_key) == 1 then return {'conflict'} end
if redis.call('EXISTS', app_key .. '@EDGE_KEY_APP_DELETING@') == 1 then
  return {'app_deleting'}
end
--#include lib/apps_check_deployments.lua
for _, d in ipairs(deployments) do
  redis.call('SADD', dep_prefix .. d .. '@EDGE_KEY_DEPLOYMENT_APPS@', name)
end
redis.call('HSET', app_key, unpack(ARGV, 5 + count))
redis.call('ZADD', apps_key, created_ms, name)
return {'ok', redis.call('HGETALL', app_key)}
