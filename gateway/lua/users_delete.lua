-- users_delete: delete a user with its API keys and tokens; the last
-- administrator stays.
--
-- KEYS[1] user_key         e:{org}:user:<user>         hash, the user
-- KEYS[2] users_key        e:{org}:users               zset user -> created ms
-- KEYS[3] user_keys_key    e:{org}:user:<user>:keys    set of keyIds
-- KEYS[4] keys_key         e:{org}:keys                zset keyId -> created ms
-- KEYS[5] user_tokens_key  e:{org}:user:<user>:tokens  set of token shas
-- KEYS[6] org_tokens_key   e:{org}:tokens              set of token shas
-- ARGV[1] username, ARGV[2] key_prefix (e:{org}:key:, + keyId: a key hash).
-- Deletes each e:{org}:key:<keyId> and e:tok:<sha> of the user; reads the
-- other users' hashes when the user holds Administrators.
-- Returns {'ok'} | {'not_found'} | {'last_administrator'}.
--
--@setup HSET e:{o}:user:u username u roles ["r"]
--@setup ZADD e:{o}:users 1 u
--@setup SADD e:{o}:user:u:keys k1
--@setup HSET e:{o}:key:k1 keyId k1 username u
--@setup SADD e:{o}:user:u:tokens s
--@setup HSET e:tok:s kind session org o username u
--@keys e:{o}:user:u e:{o}:users e:{o}:user:u:keys e:{o}:keys e:{o}:user:u:tokens e:{o}:tokens
--@args u e:{o}:key:
--@expect ok
--@check EXISTS e:{o}:key:k1 = 0
--@check EXISTS e:tok:s = 0
--@check ZCARD e:{o}:users = 0
local user_key, users_key, user_keys_key, keys_key, user_tokens_key, org_tokens_key =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local username, key_prefix = ARGV[1], ARGV[2]

--#include lib/users_roles.lua

if redis.call('EXISTS', user_key) == 0 then return {'not_found'} end
local prefix = string.sub(user_key, 1, #user_key - #username)
if has_role(redis.call('HGET', user_key, 'roles'), 'Administrators') -- GW_IDENT_ADMIN_ROLE
    and not other_admin(users_key, prefix, username) then
  return {'last_administrator'}
end
for _, k in ipairs(redis.call('SMEMBERS', user_keys_key)) do
  redis.call('DEL', key_prefix .. k)
  redis.call('ZREM', keys_key, k)
end
for _, t in ipairs(redis.call('SMEMBERS', user_tokens_key)) do
  redis.call('DEL', '@EDGE_KEY_TOKEN_PREFIX@' .. t)
  redis.call('SREM', org_tokens_key, t)
end
redis.call('DEL', user_key, user_keys_key, user_tokens_key)
redis.call('ZREM', users_key, username)
return {'ok'}
