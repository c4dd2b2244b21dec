-- users_patch: change a user's profile, roles or password; the last
-- administrator keeps the Administrators role.
--
-- KEYS[1] user_key       e:{org}:user:<user>       hash, the user
-- KEYS[2] users_key      e:{org}:users             zset user -> created ms
-- KEYS[3] user_keys_key  e:{org}:user:<user>:keys  set of keyIds
-- KEYS[4..] role keys    e:{org}:role:<name>       hashes, must exist (only
--                                                  when the roles change)
-- ARGV[1] username, ARGV[2] roles_json ('' = roles unchanged),
-- ARGV[3] pwhash_guard ('' = none: else the stored pwhash must still be
-- this), ARGV[4] n, ARGV[5..4+2n] n field/value pairs to set,
-- ARGV[5+2n..] fields to delete.
-- Reads the other users' hashes (e:{org}:user:<name>) when Administrators
-- would be taken from this one.
-- Returns {'ok', HGETALL of the user, its keyIds} | {'not_found'} |
-- {'conflict'} (the password changed meanwhile) | {'unknown_role', i} |
-- {'last_administrator'}.
--
--@setup HSET e:{o}:user:u username u roles ["r"] pwhash h title t
--@keys e:{o}:user:u e:{o}:users e:{o}:user:u:keys
--@args u '' h 1 email a@b.c title
--@expect ok
--@check HGET e:{o}:user:u email = a@b.c
--@check HEXISTS e:{o}:user:u title = 0
local user_key, users_key, user_keys_key = KEYS[1], KEYS[2], KEYS[3]
local role_keys = {unpack(KEYS, 4)}
local username, roles_json, pwhash_guard, pair_count = ARGV[1], ARGV[2], ARGV[3], ARGV[4]

--#include lib/users_roles.lua

if redis.call('EXISTS', user_key) == 0 then return {'not_found'} end
if pwhash_guard ~= '' and redis.call('HGET', user_key, 'pwhash')
    ~= pwhash_guard then return {'conflict'} end
if roles_json ~= '' then
  for i, role_key in ipairs(role_keys) do
    if redis.call('EXISTS', role_key) == 0 then
      return {'unknown_role', tostring(i)}
    end
  end
  local prefix = string.sub(user_key, 1, #user_key - #username)
  if has_role(redis.call('HGET', user_key, 'roles'), 'Administrators') -- GW_IDENT_ADMIN_ROLE
      and not has_role(roles_json, 'Administrators')
      and not other_admin(users_key, prefix, username) then
    return {'last_administrator'}
  end
end
local n = tonumber(pair_count)
if n > 0 then redis.call('HSET', user_key, unpack(ARGV, 5, 4 + 2 * n)) end
if #ARGV > 4 + 2 * n then
  redis.call('HDEL', user_key, unpack(ARGV, 5 + 2 * n))
end
return {'ok', redis.call('HGETALL', user_key),
  redis.call('SMEMBERS', user_keys_key)}
