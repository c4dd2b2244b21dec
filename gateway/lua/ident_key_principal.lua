-- ident_key_principal: the machine user behind an API key, with its rights
-- (every request with the API-key triple). The caller compares the
-- secret's sha with the stored one.
--
-- KEYS[1] key_key        e:{org}:key:<keyId>       hash, the key (username,
--                                                  sha256)
-- KEYS[2] user_key       e:{org}:user:<user>       hash, its user
-- KEYS[3] user_keys_key  e:{org}:user:<user>:keys  set of keyIds
-- ARGV[1] org, ARGV[2] username, ARGV[3] key_id,
-- ARGV[4..] the resource names (edge_perm's order).
-- Reads the roles e:{org}:role:<name>.
-- Returns {'ok', sha, machine, admin, perms...} | {'none'} (no such key) |
-- {'user'} (another user's key) | {'gone'} (no such user).
--
--@setup HSET e:{o}:key:k1 keyId k1 username m sha256 abc
--@setup HSET e:{o}:user:m username m machine 1 roles ["Administrators"]
--@setup SADD e:{o}:user:m:keys k1
--@setup HSET e:{o}:role:Administrators permissions {"beUsers":15}
--@keys e:{o}:key:k1 e:{o}:user:m e:{o}:user:m:keys
--@args o m k1 beUsers
--@expect ok
local key_key, user_key, user_keys_key = KEYS[1], KEYS[2], KEYS[3]
local org, username, key_id = ARGV[1], ARGV[2], ARGV[3]

--#include lib/ident_perms.lua

local k = redis.call('HMGET', key_key, 'username', 'sha256')
if not k[1] or not k[2] then return {'none'} end
if k[1] ~= username then return {'user'} end
local u = redis.call('HMGET', user_key, 'username', 'machine', 'roles')
if not u[1] then return {'gone'} end
if redis.call('SISMEMBER', user_keys_key, key_id) == 0 then
  return {'none'}
end
local p = perms(org, u[3], 4)
return {'ok', k[2], u[2] or '0', unpack(p)}
