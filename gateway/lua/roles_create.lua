-- roles_create: make a role.
--
-- KEYS[1] info_key   e:{org}:info         hash, the org, must exist
-- KEYS[2] roles_key  e:{org}:roles        zset role -> created ms
-- KEYS[3] role_key   e:{org}:role:<name>  hash, the new role
-- ARGV[1] name, ARGV[2] created_ms, ARGV[3..] the role hash's field/value
-- pairs.
-- Returns {'ok', HGETALL of the role} | {'no_org'} | {'conflict'} (the role
-- exists).
--
--@setup HSET e:{o}:info name o
--@keys e:{o}:info e:{o}:roles e:{o}:role:r
--@args r 1700000000000 name r permissions {"beUsers":2}
--@expect ok
--@check HGET e:{o}:role:r permissions = {"beUsers":2}
--@check ZSCORE e:{o}:roles r = 1700000000000
local info_key, roles_key, role_key = KEYS[1], KEYS[2], KEYS[3]
local name, created_ms = ARGV[1], ARGV[2]

if redis.call('EXISTS', info_key) == 0 then return {'no_org'} end
if redis.call('EXISTS', role_key) == 1 then return {'conflict'} end
redis.call('HSET', role_key, unpack(ARGV, 3))
redis.call('ZADD', roles_key, created_ms, name)
return {'ok', redis.call('HGETALL', role_key)}
