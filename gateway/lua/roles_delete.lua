-- roles_delete: delete a role, refused while any user holds it.
--
-- KEYS[1] role_key   e:{org}:role:<name>  hash, the role
-- KEYS[2] roles_key  e:{org}:roles        zset role -> created ms
-- KEYS[3] users_key  e:{org}:users        zset user -> created ms
-- ARGV[1] name, ARGV[2] user_prefix (e:{org}:user:, + username: a user
-- hash, whose roles field is read).
-- Returns {'ok'} | {'not_found'} | {'role_in_use', users holding it}.
--
--@setup HSET e:{o}:role:r name r
--@setup ZADD e:{o}:roles 1 r
--@setup ZADD e:{o}:users 1 u
--@setup HSET e:{o}:user:u username u roles ["s"]
--@keys e:{o}:role:r e:{o}:roles e:{o}:users
--@args r e:{o}:user:
--@expect ok
--@check EXISTS e:{o}:role:r = 0
--@check ZCARD e:{o}:roles = 0
local role_key, roles_key, users_key = KEYS[1], KEYS[2], KEYS[3]
local name, user_prefix = ARGV[1], ARGV[2]

if redis.call('EXISTS', role_key) == 0 then return {'not_found'} end
local n = 0
for _, u in ipairs(redis.call('ZRANGE', users_key, 0, -1)) do
  local text = redis.call('HGET', user_prefix .. u, 'roles')
  local ok, list = pcall(cjson.decode, text or '[]')
  if ok and type(list) == 'table' then
    for _, r in ipairs(list) do
      if r == name then n = n + 1 break end
    end
  end
end
if n > 0 then return {'role_in_use', tostring(n)} end
redis.call('DEL', role_key)
redis.call('ZREM', roles_key, name)
return {'ok'}
