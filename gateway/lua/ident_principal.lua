-- ident_principal: the caller behind a token, with its rights (every
-- request with a session or auth token).
--
-- KEYS[1] token_key  e:tok:<sha>  hash, the token (kind, org, username,
--                                 session, userCreated)
-- ARGV[1] kind ('session' | 'auth': the kind the route expects),
-- ARGV[2..] the resource names (edge_perm's order).
-- Reads e:{org}:user:<user>, the roles e:{org}:role:<name> and, for an
-- auth token, its session's token hash.
-- Returns {'ok', org, user, pttl, machine, admin, perms...} (pttl: the
-- token's lifetime left, ms, -1 when it has none) | {'none'} (no such
-- token, or its session ended) | {'kind'} (another kind) | {'gone'} (its
-- user was deleted).
--
--@setup HSET e:tok:abc kind session org o username u
--@setup HSET e:{o}:user:u username u machine 0 roles ["Administrators"]
--@setup HSET e:{o}:role:Administrators permissions {"beUsers":15}
--@keys e:tok:abc
--@args session beUsers
--@expect ok
local token_key = KEYS[1]
local kind = ARGV[1]

--#include lib/ident_perms.lua
--#include lib/ident_token_head.lua

local p = perms(t[2], u[3], 2)
return {'ok', t[2], t[3], redis.call('PTTL', token_key), u[2] or '0',
  unpack(p)}
