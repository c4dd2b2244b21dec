-- mkraw_take_id: the task's build id, taken once per task from the app's
-- counter, and the app marked processing.
--
-- Build ids come from <app key>:buildids, a counter that deleting the app
-- keeps: a new app of the same name never reuses an id, so no deletion
-- scheduled for the old app's files can reach the new app's.
-- KEYS[1] task_key  e:task:<name>      hash, the mkraw task's record
-- KEYS[2] app_key   e:{org}:app:<app>  hash, the app
-- No ARGV.
-- Returns {'ok', id} | {'no_app'} | {'no_task'}.
--
--@setup HSET e:task:t1 name t1 type mkraw
--@setup HSET e:{o}:app:a name a
--@keys e:task:t1 e:{o}:app:a
--@args ''
--@expect ok
--@check HGET e:task:t1 buildId = 1
--@check GET e:{o}:app:a:buildids = 1
--@check HGET e:{o}:app:a processing = 1
local task_key, app_key = KEYS[1], KEYS[2]
--#include lib/task_set.lua

if redis.call('EXISTS', app_key) == 0 then return {'no_app'} end
local id = redis.call('HGET', task_key, 'buildId')
if not id then
  if redis.call('EXISTS', task_key) == 0 then return {'no_task'} end
  id = tostring(redis.call('INCR', app_key .. '@EDGE_KEY_APP_BUILDIDS@'))
  task_set_build_id(task_key, id)
end
redis.call('HSET', app_key, 'processing', '1')
return {'ok', id}
