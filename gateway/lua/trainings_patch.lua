-- trainings_patch: update an app's training settings.
--
-- KEYS[1] app_key       e:{O}:app:<app>       hash, must exist
-- KEYS[2] training_key  e:{O}:training:<app>  hash
-- ARGV[1] count n of fields to delete, ARGV[2..n+1] those fields, then
-- field/value pairs to set.
-- Returns {'ok'} | {'not_found'}.
--
--@setup HSET e:{o}:app:a name a
--@setup HSET e:{o}:training:a percentile 90
--@keys e:{o}:app:a e:{o}:training:a
--@args 1 percentile bandwidthBps 100000
--@expect ok
--@check HEXISTS e:{o}:training:a percentile = 0
--@check HGET e:{o}:training:a bandwidthBps = 100000
local app_key, training_key = KEYS[1], KEYS[2]
local count = tonumber(ARGV[1])
local fields = {unpack(ARGV, 2, count + 1)}

if redis.call('EXISTS', app_key) == 0 then return {'not_found'} end
for _, field in ipairs(fields) do redis.call('HDEL', training_key, field) end
if #ARGV > count + 1 then
  redis.call('HSET', training_key, unpack(ARGV, count + 2))
end
return {'ok'}
