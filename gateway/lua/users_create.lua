-- users_create: make a user; a machine user gets its first API key in the
-- same step.
--
-- KEYS[1] info_key       e:{org}:info              hash, the org, must exist
-- KEYS[2] users_key      e:{org}:users             zset user -> created ms
-- KEYS[3] user_key       e:{org}:user:<user>       hash, the new user
-- KEYS[4] keys_key       e:{org}:keys              zset keyId -> created ms
-- KEYS[5] key_key        e:{org}:key:<keyId>       hash, the first API key
--                                                  (e:{org}:key:- when none)
-- KEYS[6] user_keys_key  e:{org}:user:<user>:keys  set of keyIds
-- KEYS[7..] role keys    e:{org}:role:<name>       hashes, must exist
-- ARGV[1] username, ARGV[2] created_ms, ARGV[3] key_id ('' = no key),
-- ARGV[4] key_sha, ARGV[5] created_iso,
-- ARGV[6..] the user hash's field/value pairs.
-- Returns {'ok'} | {'no_org'} | {'conflict'} (the user exists) |
-- {'unknown_role', i} (the i-th role does not exist).
--
--@setup HSET e:{o}:info name o
--@setup HSET e:{o}:role:r name r
--@keys e:{o}:info e:{o}:users e:{o}:user:m e:{o}:keys e:{o}:key:k1 e:{o}:user:m:keys e:{o}:role:r
--@args m 1700000000000 k1 abc 2024-01-01T00:00:00Z username m machine 1 roles ["r"]
--@expect ok
--@check HGET e:{o}:user:m roles = ["r"]
--@check HGET e:{o}:key:k1 username = m
--@check ZSCORE e:{o}:users m = 1700000000000
local info_key, users_key, user_key, keys_key, key_key, user_keys_key =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local role_keys = {unpack(KEYS, 7)}
local username, created_ms, key_id, key_sha, created_iso =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]

if redis.call('EXISTS', info_key) == 0 then return {'no_org'} end
if redis.call('EXISTS', user_key) == 1 then return {'conflict'} end
for i, role_key in ipairs(role_keys) do
  if redis.call('EXISTS', role_key) == 0 then
    return {'unknown_role', tostring(i)}
  end
end
redis.call('HSET', user_key, unpack(ARGV, 6))
redis.call('ZADD', users_key, created_ms, username)
if key_id ~= '' then
  redis.call('HSET', key_key, 'keyId', key_id, 'username',
    username, 'sha256', key_sha, 'created', created_iso)
  redis.call('ZADD', keys_key, created_ms, key_id)
  redis.call('SADD', user_keys_key, key_id)
end
return {'ok'}
