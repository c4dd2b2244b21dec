-- ident_org_finish: the last step of an organisation's deletion: the
-- tokens made while its keys were being removed, its token index, and its
-- e:orgs entry.
--
-- KEYS[1] org_tokens_key  e:{org}:tokens  set of token shas
-- KEYS[2] orgs_key        e:orgs          zset org -> created ms
-- ARGV[1] org.
-- Unlinks each e:tok:<sha> of the org.
-- Returns the number of orgs removed from e:orgs (1 | 0).
--
--@setup HSET e:tok:s kind session org o username u
--@setup SADD e:{o}:tokens s
--@setup ZADD e:orgs 1 o
--@keys e:{o}:tokens e:orgs
--@args o
--@expect 1
--@check EXISTS e:tok:s = 0
--@check EXISTS e:{o}:tokens = 0
local org_tokens_key, orgs_key = KEYS[1], KEYS[2]
local org = ARGV[1]

for _, s in ipairs(redis.call('SMEMBERS', org_tokens_key)) do
  redis.call('UNLINK', '@EDGE_KEY_TOKEN_PREFIX@' .. s)
end
redis.call('UNLINK', org_tokens_key)
return redis.call('ZREM', orgs_key, org)
