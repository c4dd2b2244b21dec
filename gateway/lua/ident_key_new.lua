-- ident_key_new: store a new API key of a machine user.
--
-- KEYS[1] user_key       e:{org}:user:<user>       hash, must exist, machine '1'
-- KEYS[2] keys_key       e:{org}:keys              zset keyId -> created ms
-- KEYS[3] key_key        e:{org}:key:<keyId>       hash, the new key (keyId,
--                                                  username, sha256, created)
-- KEYS[4] user_keys_key  e:{org}:user:<user>:keys  set of keyIds
-- ARGV[1] key_id, ARGV[2] username, ARGV[3] sha (the secret's),
-- ARGV[4] created_ms, ARGV[5] created_iso.
-- Returns 'ok' | 'none' (no user) | 'person' (not a machine user) |
-- 'exists' (the key id is taken).
--
--@setup HSET e:{o}:user:m username m machine 1
--@keys e:{o}:user:m e:{o}:keys e:{o}:key:k1 e:{o}:user:m:keys
--@args k1 m abc 1700000000000 2024-01-01T00:00:00Z
--@expect ok
--@check HGET e:{o}:key:k1 sha256 = abc
--@check SISMEMBER e:{o}:user:m:keys k1 = 1
local user_key, keys_key, key_key, user_keys_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local key_id, username, sha, created_ms, created_iso =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]

local u = redis.call('HMGET', user_key, 'username', 'machine')
if not u[1] then return 'none' end
if u[2] ~= '1' then return 'person' end
if redis.call('EXISTS', key_key) == 1 then return 'exists' end
redis.call('HSET', key_key, 'keyId', key_id, 'username', username,
  'sha256', sha, 'created', created_iso)
redis.call('ZADD', keys_key, created_ms, key_id)
redis.call('SADD', user_keys_key, key_id)
return 'ok'
