-- ident_key_delete: delete one API key of a user.
--
-- KEYS[1] key_key        e:{org}:key:<keyId>       hash, the key
-- KEYS[2] keys_key       e:{org}:keys              zset keyId -> created ms
-- KEYS[3] user_keys_key  e:{org}:user:<user>:keys  set of keyIds
-- ARGV[1] key_id, ARGV[2] username (the key's owner).
-- Returns 1 | 0 (the user has no such key).
--
--@setup HSET e:{o}:key:k1 keyId k1 username m
--@setup ZADD e:{o}:keys 1 k1
--@keys e:{o}:key:k1 e:{o}:keys e:{o}:user:m:keys
--@args k1 m
--@expect 1
--@check EXISTS e:{o}:key:k1 = 0
--@check ZCARD e:{o}:keys = 0
local key_key, keys_key, user_keys_key = KEYS[1], KEYS[2], KEYS[3]
local key_id, username = ARGV[1], ARGV[2]

if redis.call('HGET', key_key, 'username') ~= username then
  return 0
end
redis.call('DEL', key_key)
redis.call('ZREM', keys_key, key_id)
redis.call('SREM', user_keys_key, key_id)
return 1
