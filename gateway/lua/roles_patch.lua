-- roles_patch: change a role's label or permissions (the given resources
-- only).
--
-- KEYS[1] role_key  e:{org}:role:<name>  hash, the role
-- ARGV[1] updated (iso time), ARGV[2] label ('' = unchanged),
-- ARGV[3] clear_label ('1' = delete it),
-- ARGV[4..] resource/value pairs, every resource in order when the
-- permissions change ('' keeps the stored value).
-- Returns {'ok', HGETALL of the role} | {'not_found'}.
--
--@setup HSET e:{o}:role:r name r permissions {"beUsers":2,"apps":1}
--@keys e:{o}:role:r
--@args 2024-01-01T00:00:00Z lab 0 beUsers 15 apps ''
--@expect ok
--@check HGET e:{o}:role:r permissions = {"beUsers":15,"apps":1}
--@check HGET e:{o}:role:r label = lab
local role_key = KEYS[1]
local updated, label, clear_label = ARGV[1], ARGV[2], ARGV[3]
local perm_pairs = {unpack(ARGV, 4)}

if redis.call('EXISTS', role_key) == 0 then return {'not_found'} end
if #perm_pairs > 0 then
  local ok, cur = pcall(cjson.decode,
    redis.call('HGET', role_key, 'permissions') or '{}')
  if not ok or type(cur) ~= 'table' then cur = {} end
  local parts = {}
  for i = 1, #perm_pairs, 2 do
    local v = perm_pairs[i + 1]
    if v == '' then
      v = string.format('%d', tonumber(cur[perm_pairs[i]]) or 0)
    end
    parts[#parts + 1] = '"' .. perm_pairs[i] .. '":' .. v
  end
  redis.call('HSET', role_key, 'permissions',
    '{' .. table.concat(parts, ',') .. '}')
end
if label ~= '' then redis.call('HSET', role_key, 'label', label) end
if clear_label == '1' then redis.call('HDEL', role_key, 'label') end
if #perm_pairs > 0 or label ~= '' or clear_label == '1' then
  redis.call('HSET', role_key, 'updated', updated)
end
return {'ok', redis.call('HGETALL', role_key)}
