-- mkraw_processing_off: the app is no longer processing (a build ended).
--
-- KEYS[1] app_key  e:{org}:app:<app>  hash, the app
-- No ARGV.
-- Returns 1, or 0 when the app is gone.
--
--@setup HSET e:{o}:app:a name a processing 1
--@keys e:{o}:app:a
--@args ''
--@expect 1
--@check HGET e:{o}:app:a processing = 0
local app_key = KEYS[1]

if redis.call('EXISTS', app_key) == 0 then return 0 end
redis.call('HSET', app_key, 'processing', '0')
return 1
