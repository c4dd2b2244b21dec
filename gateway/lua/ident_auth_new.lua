-- ident_auth_new: make a short-lived auth token from a session token; it
-- expires with the session at the latest.
--
-- KEYS[1] token_key  e:tok:<session sha>  hash, the session token
-- KEYS[2] new_key    e:tok:<new sha>      hash, the new auth token (kind,
--                                         org, username, session, created,
--                                         userCreated), expires
-- ARGV[1] kind ('session': what KEYS[1] must be), ARGV[2] ttl_ms,
-- ARGV[3] created_iso, ARGV[4] session_sha, ARGV[5] sha (the new token's).
-- Adds sha to e:{org}:user:<user>:tokens and e:{org}:tokens.
-- Returns {'ok', ttl ms} | {'none'} | {'kind'} | {'gone'} (as
-- ident_principal).
--
--@setup HSET e:tok:s kind session org o username u
--@setup HSET e:{o}:user:u username u machine 0 roles []
--@keys e:tok:s e:tok:n
--@args session 60000 2024-01-01T00:00:00Z s n
--@expect ok
--@check HGET e:tok:n session = s
--@check SISMEMBER e:{o}:tokens n = 1
local token_key, new_key = KEYS[1], KEYS[2]
local kind, ttl_ms, created_iso, session_sha, sha =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]

--#include lib/ident_track.lua
--#include lib/ident_token_head.lua

local ttl = tonumber(ttl_ms)
local left = redis.call('PTTL', token_key)
if left > 0 and left < ttl then ttl = left end
redis.call('HSET', new_key, 'kind', 'auth', 'org', t[2], 'username',
  t[3], 'session', session_sha, 'created', created_iso, 'userCreated',
  t[5] or '')
redis.call('PEXPIRE', new_key, ttl)
track(pre, t[3], sha)
return {'ok', ttl}
