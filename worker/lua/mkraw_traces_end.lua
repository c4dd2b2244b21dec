-- mkraw_traces_end: a trace run ended: release the app's trace processing
-- reservation and processing flag, and (when it succeeded) record its
-- figures while the build and image are still current.
--
-- KEYS[1] app_key       e:{org}:app:<app>       hash, the app
-- KEYS[2] training_key  e:{org}:training:<app>  hash, settings and figures
-- ARGV[1] task_name, ARGV[2] build_id, ARGV[3] dxf_name, ARGV[4] outcome
-- ('ok' | 'changed' (ok, and a deploy follows: the reservation stays and
-- edge_task_succeed_next hands it to the deploy, so no trigger is
-- accepted until the new image is published) | 'failed' | 'cancelled'),
-- ARGV[5] was_processing ('1' when the run set the app's processing
-- flag), ARGV[6..] (when ok) the figures' field/value pairs.
-- Returns {'ok'} | {'no_app'} | {'changed', iCurBuild, dxfName}.
--
--@setup HSET e:{o}:app:a iCurBuild 1 dxfName d1 processing 1
--@setup HSET e:{o}:training:a processingTask t1
--@keys e:{o}:app:a e:{o}:training:a
--@args t1 1 d1 ok 1 tracesUsed 5
--@expect ok
--@check HGET e:{o}:app:a processing = 0
--@check HGET e:{o}:training:a tracesUsed = 5
--@check HEXISTS e:{o}:training:a processingTask = 0
local app_key, training_key = KEYS[1], KEYS[2]
local task_name, build_id, dxf_name, outcome, was_processing =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]

local done = outcome == 'ok' or outcome == 'changed'
if outcome ~= 'cancelled' and outcome ~= 'changed'
  and redis.call('HGET', training_key, 'processingTask') == task_name then
  redis.call('HDEL', training_key, 'processingTask', 'processingUntil')
end
if redis.call('EXISTS', app_key) == 0 then return {'no_app'} end
if was_processing == '1' then
  redis.call('HSET', app_key, 'processing', '0') end
if not done then return {'ok'} end
local app = redis.call('HMGET', app_key, 'iCurBuild', 'dxfName')
if tonumber(app[1] or '') ~= tonumber(build_id)
  or app[2] ~= dxf_name then
  return {'changed', app[1] or '-', app[2] or '-'} end
redis.call('HSET', training_key, unpack(ARGV, 6))
return {'ok'}
