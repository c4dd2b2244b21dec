-- traces_index: record one stored trace of an app's build.
--
-- KEYS[1] app_key     e:{org}:app:<app>                 hash, must exist
-- KEYS[2] traces_key  e:{org}:app:<app>:traces          zset traceId -> created ms
-- KEYS[3] trace_key   e:{org}:app:<app>:trace:<traceId> hash, the trace's record
-- KEYS[4] counts_key  e:{org}:app:<app>:tracecounts     hash buildId -> traces
-- ARGV[1] trace_id, ARGV[2] created_ms, ARGV[3] build_id,
-- ARGV[4..] the trace record's field/value pairs.
-- Returns {'ok', traces of the build} | {'no_app'}.
--
--@setup HSET e:{o}:app:a name a
--@keys e:{o}:app:a e:{o}:app:a:traces e:{o}:app:a:trace:t1 e:{o}:app:a:tracecounts
--@args t1 1700000000000 7 traceId t1 buildId 7
--@expect ok
--@check ZSCORE e:{o}:app:a:traces t1 = 1700000000000
--@check HGET e:{o}:app:a:tracecounts 7 = 1
local app_key, traces_key, trace_key, counts_key =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local trace_id, created_ms, build_id = ARGV[1], ARGV[2], ARGV[3]

if redis.call('EXISTS', app_key) == 0 then return {'no_app'} end
redis.call('HSET', trace_key, unpack(ARGV, 4))
redis.call('ZADD', traces_key, created_ms, trace_id)
return {'ok', redis.call('HINCRBY', counts_key, build_id, 1)}
