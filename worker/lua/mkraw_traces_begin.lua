-- mkraw_traces_begin: check that the build and image are still current,
-- mark the app processing and read the trace settings.
--
-- KEYS[1] app_key       e:{org}:app:<app>              hash, the app
-- KEYS[2] training_key  e:{org}:training:<app>         hash, the settings
-- KEYS[3] counts_key    e:{org}:app:<app>:tracecounts  hash buildId -> traces
-- ARGV[1] build_id, ARGV[2] dxf_name (the image judged).
-- Returns {'ok', builds, trace count, nTracesReliable, bandwidthBps,
-- percentile, improvementThreshold} (settings '' when unset) |
-- {'changed', iCurBuild, dxfName} | {'no_app'}.
--
--@setup HSET e:{o}:app:a iCurBuild 1 dxfName d1 builds []
--@setup HSET e:{o}:app:a:tracecounts 1 5
--@keys e:{o}:app:a e:{o}:training:a e:{o}:app:a:tracecounts
--@args 1 d1
--@expect ok
--@check HGET e:{o}:app:a processing = 1
local app_key, training_key, counts_key = KEYS[1], KEYS[2], KEYS[3]
local build_id, dxf_name = ARGV[1], ARGV[2]

if redis.call('EXISTS', app_key) == 0 then return {'no_app'} end
local app = redis.call('HMGET', app_key, 'iCurBuild', 'dxfName', 'builds')
if tonumber(app[1] or '') ~= tonumber(build_id)
  or app[2] ~= dxf_name then
  return {'changed', app[1] or '-', app[2] or '-'} end
redis.call('HSET', app_key, 'processing', '1')
local t = redis.call('HMGET', training_key, 'nTracesReliable',
  'bandwidthBps', 'percentile', 'improvementThreshold')
return {'ok', app[3] or '[]', redis.call('HGET', counts_key, build_id)
  or '0', t[1] or '', t[2] or '', t[3] or '', t[4] or ''}
