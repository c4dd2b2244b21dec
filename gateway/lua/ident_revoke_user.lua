-- ident_revoke_user: delete every token of a user (its password changed,
-- or it was reset).
--
-- KEYS[1] user_tokens_key  e:{org}:user:<user>:tokens  set of token shas
-- KEYS[2] org_tokens_key   e:{org}:tokens              set of token shas
-- Deletes each e:tok:<sha> of the user.
-- Returns 1.
--
--@setup HSET e:tok:s kind session org o username u
--@setup SADD e:{o}:user:u:tokens s
--@setup SADD e:{o}:tokens s t
--@keys e:{o}:user:u:tokens e:{o}:tokens
--@args
--@expect 1
--@check EXISTS e:tok:s = 0
--@check SCARD e:{o}:tokens = 1
local user_tokens_key, org_tokens_key = KEYS[1], KEYS[2]

for _, s in ipairs(redis.call('SMEMBERS', user_tokens_key)) do
  redis.call('DEL', '@EDGE_KEY_TOKEN_PREFIX@' .. s)
  redis.call('SREM', org_tokens_key, s)
end
redis.call('DEL', user_tokens_key)
return 1
