-- lib/users_roles.lua (owned by gateway/gw_users.c): who holds which role.
--
-- has_role(text, role): the JSON list text (a user's roles field) holds
-- role.
-- other_admin(index, prefix, me): does any user of the users index
-- (e:{org}:users) but me hold Administrators? prefix is the user hashes'
-- key prefix, e:{org}:user:.
local function has_role(text, role)
  if not text then return false end
  local ok, list = pcall(cjson.decode, text)
  if not ok or type(list) ~= 'table' then return false end
  for _, r in ipairs(list) do if r == role then return true end end
  return false
end

local function other_admin(index, prefix, me)
  for _, u in ipairs(redis.call('ZRANGE', index, 0, -1)) do
    if u ~= me and has_role(redis.call('HGET', prefix .. u,
        'roles'), 'Administrators') then return true end -- GW_IDENT_ADMIN_ROLE
  end
  return false
end
