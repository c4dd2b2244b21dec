-- ident_session_new: store a new session token of a user (login) and
-- answer the user's rights.
--
-- KEYS[1] token_key  e:tok:<sha>   hash, the new token (kind, org, username,
--                                  created, userCreated), expires after ttl_ms
-- ARGV[1] org, ARGV[2] user, ARGV[3] ttl_ms, ARGV[4] created_iso,
-- ARGV[5] sha (the token's, for the token sets),
-- ARGV[6..] the resource names (edge_perm's order).
-- Reads e:{org}:user:<user> and the roles e:{org}:role:<name>; adds sha to
-- e:{org}:user:<user>:tokens and e:{org}:tokens.
-- Returns {'ok', org, user, machine, admin, perms...} | {'gone'} (no user).
--
--@setup HSET e:{o}:user:u username u machine 0 roles ["Administrators"] created c1
--@setup HSET e:{o}:role:Administrators permissions {"beUsers":15}
--@keys e:tok:abc
--@args o u 60000 2024-01-01T00:00:00Z abc beUsers
--@expect ok
--@check HGET e:tok:abc userCreated = c1
--@check SISMEMBER e:{o}:user:u:tokens abc = 1
local token_key = KEYS[1]
local org, user, ttl_ms, created_iso, sha = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]

--#include lib/ident_perms.lua
--#include lib/ident_track.lua

local pre = string.format('@EDGE_KEY_ORG_FMT@', org)
local u = redis.call('HMGET', pre .. '@EDGE_KEY_ORG_USER@' .. user, 'username',
  'machine', 'roles', 'created')
if not u[1] then return {'gone'} end
redis.call('HSET', token_key, 'kind', 'session', 'org', org,
  'username', user, 'created', created_iso, 'userCreated', u[4] or '')
redis.call('PEXPIRE', token_key, ttl_ms)
track(pre, user, sha)
local p = perms(org, u[3], 6)
return {'ok', org, user, u[2] or '0', unpack(p)}
