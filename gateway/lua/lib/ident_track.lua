-- lib/ident_track.lua (owned by gateway/gw_ident.c): index a new token.
--
-- track(org_pre, token_user, token_sha): add token_sha to the user's token
-- set (e:{org}:user:<token_user>:tokens) and the org's (e:{org}:tokens),
-- org_pre being the org's key prefix e:{org}:. First prune(set) drops a
-- few members whose token hash (e:tok:<sha>) has expired, so the sets stay
-- near the number of live tokens.
local function prune(set)
  for _, s in ipairs(redis.call('SRANDMEMBER', set, 8)) do
    if redis.call('EXISTS', '@EDGE_KEY_TOKEN_PREFIX@' .. s) == 0 then
      redis.call('SREM', set, s)
    end
  end
end

local function track(org_pre, token_user, token_sha)
  local us = org_pre .. '@EDGE_KEY_ORG_USER@' .. token_user .. '@EDGE_KEY_USER_TOKENS@'
  prune(us)
  prune(org_pre .. '@EDGE_KEY_ORG_TOKENS@')
  redis.call('SADD', us, token_sha)
  redis.call('SADD', org_pre .. '@EDGE_KEY_ORG_TOKENS@', token_sha)
end
