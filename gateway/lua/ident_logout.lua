-- ident_logout: end a session: delete the session token (the token
-- itself, or an auth token's parent) and every auth token made from it.
--
-- KEYS[1] token_key  e:tok:<sha>  hash, the token presented
-- ARGV[1] sha (the presented token's).
-- Deletes e:tok:<s> of the session and its auth tokens, and takes them
-- out of e:{org}:user:<user>:tokens and e:{org}:tokens.
-- Returns 1 | 0 (no such token).
--
--@setup HSET e:tok:s kind session org o username u
--@setup HSET e:tok:a kind auth org o username u session s
--@setup SADD e:{o}:user:u:tokens s a
--@setup SADD e:{o}:tokens s a
--@keys e:tok:a
--@args a
--@expect 1
--@check EXISTS e:tok:s = 0
--@check SCARD e:{o}:tokens = 0
local token_key = KEYS[1]
local sha = ARGV[1]

local t = redis.call('HMGET', token_key, 'kind', 'org', 'username',
  'session')
if not t[1] or not t[2] or not t[3] then return 0 end
local session = sha
if t[1] == 'auth' then session = t[4] or sha end
local pre = string.format('@EDGE_KEY_ORG_FMT@', t[2])
local us = pre .. '@EDGE_KEY_ORG_USER@' .. t[3] .. '@EDGE_KEY_USER_TOKENS@'
for _, s in ipairs(redis.call('SMEMBERS', us)) do
  local k = '@EDGE_KEY_TOKEN_PREFIX@' .. s
  if s == session or redis.call('HGET', k, 'session') == session then
    redis.call('DEL', k)
    redis.call('SREM', us, s)
    redis.call('SREM', pre .. '@EDGE_KEY_ORG_TOKENS@', s)
  end
end
redis.call('DEL', token_key, '@EDGE_KEY_TOKEN_PREFIX@' .. session)
redis.call('SREM', us, sha, session)
redis.call('SREM', pre .. '@EDGE_KEY_ORG_TOKENS@', sha, session)
return 1
