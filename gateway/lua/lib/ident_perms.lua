-- lib/ident_perms.lua (owned by gateway/gw_ident.c): a user's rights from
-- its roles.
--
-- perms(roles_org, roles_json, first): {admin, p1..pN} where pI is the OR
-- of the bits of resource ARGV[first+I-1] over the user's roles that exist
-- (e:{roles_org}:role:<name>, field permissions: JSON resource -> bits),
-- admin 1 when the user holds Administrators. Roles that no longer exist
-- count as 0. The including script passes the resource names as its ARGV
-- tail from first.
local function perms(roles_org, roles_json, first)
  local out = {0}
  for _ = first, #ARGV do out[#out + 1] = 0 end
  local ok, roles = pcall(cjson.decode, roles_json or '[]')
  if not ok or type(roles) ~= 'table' then return out end
  for _, r in ipairs(roles) do
    local p = type(r) == 'string' and redis.call('HGET',
      string.format('@EDGE_KEY_ORG_FMT@', roles_org) .. '@EDGE_KEY_ORG_ROLE@' .. r,
      'permissions')
    if p then
      if r == 'Administrators' then out[1] = 1 end -- GW_IDENT_ADMIN_ROLE
      local ok2, obj = pcall(cjson.decode, p)
      if ok2 and type(obj) == 'table' then
        for i = first, #ARGV do
          local v = obj[ARGV[i]]
          if type(v) == 'number' and v >= 0 then
            local k = i - first + 2
            out[k] = bit.bor(out[k], v)
          end
        end
      end
    end
  end
  return out
end
