-- deploy_set_lock: lock an app with the error of a failed deploy, if the
-- app still exists.
--
-- KEYS[1] app_key  e:{org}:app:<app>  hash, the app
-- ARGV[1] error (JSON {"deployment": {...}}).
-- Returns 1, or 0 when the app is gone.
--
--@setup HSET e:{o}:app:a name a
--@keys e:{o}:app:a
--@args {"deployment":{}}
--@expect 1
--@check HGET e:{o}:app:a locked = 1
local app_key = KEYS[1]
local err = ARGV[1]

if redis.call('EXISTS', app_key) == 0 then return 0 end
redis.call('HSET', app_key, 'locked', '1', 'error', err)
return 1
