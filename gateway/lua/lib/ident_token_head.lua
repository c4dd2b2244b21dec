-- lib/ident_token_head.lua (owned by gateway/gw_ident.c): the shared head
-- of the token scripts; ends the script with {'none'}, {'kind'} or
-- {'gone'} when the token cannot be used.
--
-- Needs, before the include line, the locals token_key (the token's hash
-- e:tok:<sha>) and kind (the kind the caller expects: 'session' or
-- 'auth'). Leaves the locals t = the token's kind, org, username, session,
-- userCreated; pre = the org's key prefix e:{org}:; u = its user's
-- username, machine, roles, created.
-- An auth token is valid only while its session exists: it never outlives
-- it, whatever the rounding of their expiry times. A user deleted and made
-- again (another created) does not inherit the old user's tokens.
local t = redis.call('HMGET', token_key, 'kind', 'org', 'username',
  'session', 'userCreated')
if not t[1] or not t[2] or not t[3] then return {'none'} end
if t[1] ~= kind then return {'kind'} end
if t[1] == 'auth' and (not t[4]
    or redis.call('EXISTS', '@EDGE_KEY_TOKEN_PREFIX@' .. t[4]) == 0) then
  return {'none'}
end
local pre = string.format('@EDGE_KEY_ORG_FMT@', t[2])
local u = redis.call('HMGET', pre .. '@EDGE_KEY_ORG_USER@' .. t[3], 'username',
  'machine', 'roles', 'created')
if not u[1] or (t[5] and t[5] ~= (u[4] or '')) then
  return {'gone'}
end
