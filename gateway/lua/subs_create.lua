-- subs_create: create a subscription (a webhook or Slack target).
--
-- KEYS[1] sub_key   e:{O}:sub:<name>  hash, must not exist
-- KEYS[2] subs_key  e:{O}:subs        zset name -> created ms
-- ARGV[1] created_ms, ARGV[2..] the hash's field/value pairs (with name).
-- Returns 1, or 0 when it exists.
--
--@keys e:{o}:sub:s e:{o}:subs
--@args 1700000000000 name s url http://x
--@expect 1
--@check ZSCORE e:{o}:subs s = 1700000000000
local sub_key, subs_key = KEYS[1], KEYS[2]
local created_ms = ARGV[1]

if redis.call('EXISTS', sub_key) == 1 then return 0 end
redis.call('HSET', sub_key, unpack(ARGV, 2))
redis.call('ZADD', subs_key, created_ms, redis.call('HGET', sub_key, 'name'))
return 1
