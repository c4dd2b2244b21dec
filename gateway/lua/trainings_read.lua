-- trainings_read: the training figures of some apps in one round trip.
--
-- No KEYS (the names come as arguments; every key shares the org's hash
-- tag. The happy path passes one empty key: its runner needs one).
-- ARGV[1] app_prefix (e:{O}:app:, + name: the app's hash, with its
-- :traces zset and :tracecounts hash), ARGV[2] training_prefix
-- (e:{O}:training:, + name: the training hash), ARGV[3..] app names.
-- Returns, per app, {exists (1|0), iCurBuild, dxfName, traces, traces of
-- the current build, HGETALL of its training hash}.
--
--@setup HSET e:{o}:app:a name a iCurBuild 1
--@setup HSET e:{o}:app:a:tracecounts 1 2
--@setup HSET e:{o}:training:a percentile 90
--@keys ''
--@args e:{o}:app: e:{o}:training: a
--@expect (array)
local app_prefix, training_prefix = ARGV[1], ARGV[2]
local names = {unpack(ARGV, 3)}

local out = {}
for _, name in ipairs(names) do
  local a = app_prefix .. name
  local app = redis.call('HMGET', a, 'name', 'iCurBuild', 'dxfName')
  local cur = app[2] or '0'
  out[#out + 1] = {app[1] and 1 or 0, cur, app[3] or '',
    redis.call('ZCARD', a .. '@EDGE_KEY_APP_TRACES@'),
    tonumber(redis.call('HGET', a .. '@EDGE_KEY_APP_TRACECOUNTS@', cur) or '0'),
    redis.call('HGETALL', training_prefix .. name)}
end
return out
