/*  gw_users_lua - the Lua sources of the account scripts (private to
    gw_users.c and gw_roles.c), as gw_ident_lua.h does for gw_ident. Key
    names: architecture §3; keys derived inside a script
    keep the org's hash tag ("e:{O}:..."). Every script answers
    {'status', ...}.  */
#ifndef GW_USERS_LUA_H_INCLUDED
#define GW_USERS_LUA_H_INCLUDED
#include "gw_ident.h"

//  has_role (roles JSON text, name): the JSON list holds name.
//  other_admin (users index, user key prefix, username): does any other
//  user hold Administrators?
#define GW_USERS_LUA_ROLES                                                     \
    "local function has_role (text, role)\n"                                   \
    "  if not text then return false end\n"                                    \
    "  local ok, list = pcall (cjson.decode, text)\n"                          \
    "  if not ok or type (list) ~= 'table' then return false end\n"            \
    "  for _, r in ipairs (list) do if r == role then return true end end\n"   \
    "  return false\n"                                                         \
    "end\n"                                                                    \
    "local function other_admin (index, prefix, me)\n"                         \
    "  for _, u in ipairs (redis.call ('ZRANGE', index, 0, -1)) do\n"          \
    "    if u ~= me and has_role (redis.call ('HGET', prefix .. u,\n"          \
    "        'roles'), '" GW_IDENT_ADMIN_ROLE "') then return true end\n"      \
    "  end\n"                                                                  \
    "  return false\n"                                                         \
    "end\n"

//  KEYS: pairs (user hash, user keys set). Per user {HGETALL, SMEMBERS}.
#define GW_USERS_LUA_FETCH                                                     \
    "local out = {}\n"                                                         \
    "for i = 1, #KEYS, 2 do\n"                                                 \
    "  out[#out + 1] = {redis.call ('HGETALL', KEYS[i]),\n"                    \
    "                   redis.call ('SMEMBERS', KEYS[i + 1])}\n"               \
    "end\n"                                                                    \
    "return out\n"

//  KEYS: org info, users index, user hash, keys index, key hash, user keys
//  set, role hashes... ARGV: username, created ms, keyId or '', key sha,
//  created text, user hash field/value pairs...
#define GW_USERS_LUA_CREATE                                                    \
    "if redis.call ('EXISTS', KEYS[1]) == 0 then return {'no_org'} end\n"      \
    "if redis.call ('EXISTS', KEYS[3]) == 1 then return {'conflict'} end\n"    \
    "for i = 7, #KEYS do\n"                                                    \
    "  if redis.call ('EXISTS', KEYS[i]) == 0 then\n"                          \
    "    return {'unknown_role', tostring (i - 6)}\n"                          \
    "  end\n"                                                                  \
    "end\n"                                                                    \
    "redis.call ('HSET', KEYS[3], unpack (ARGV, 6))\n"                         \
    "redis.call ('ZADD', KEYS[2], ARGV[2], ARGV[1])\n"                         \
    "if ARGV[3] ~= '' then\n"                                                  \
    "  redis.call ('HSET', KEYS[5], 'keyId', ARGV[3], 'username',\n"           \
    "    ARGV[1], 'sha256', ARGV[4], 'created', ARGV[5])\n"                    \
    "  redis.call ('ZADD', KEYS[4], ARGV[2], ARGV[3])\n"                       \
    "  redis.call ('SADD', KEYS[6], ARGV[3])\n"                                \
    "end\n"                                                                    \
    "return {'ok'}\n"

//  KEYS: user hash, users index, user keys set, role hashes (when the
//  roles change)... ARGV: username, roles JSON or '', pwhash guard or '',
//  n, n field/value pairs, fields to delete...
#define GW_USERS_LUA_PATCH                                                     \
    GW_USERS_LUA_ROLES                                                         \
    "if redis.call ('EXISTS', KEYS[1]) == 0 then return {'not_found'} "        \
    "end\n"                                                                    \
    "if ARGV[3] ~= '' and redis.call ('HGET', KEYS[1], 'pwhash')\n"            \
    "    ~= ARGV[3] then return {'conflict'} end\n"                            \
    "if ARGV[2] ~= '' then\n"                                                  \
    "  for i = 4, #KEYS do\n"                                                  \
    "    if redis.call ('EXISTS', KEYS[i]) == 0 then\n"                        \
    "      return {'unknown_role', tostring (i - 3)}\n"                        \
    "    end\n"                                                                \
    "  end\n"                                                                  \
    "  local prefix = string.sub (KEYS[1], 1, #KEYS[1] - #ARGV[1])\n"          \
    "  if has_role (redis.call ('HGET', KEYS[1], 'roles'), "                   \
    "'" GW_IDENT_ADMIN_ROLE "')\n"                                             \
    "      and not has_role (ARGV[2], '" GW_IDENT_ADMIN_ROLE "')\n"            \
    "      and not other_admin (KEYS[2], prefix, ARGV[1]) then\n"              \
    "    return {'last_administrator'}\n"                                      \
    "  end\n"                                                                  \
    "end\n"                                                                    \
    "local n = tonumber (ARGV[4])\n"                                           \
    "if n > 0 then redis.call ('HSET', KEYS[1], unpack (ARGV, 5, 4 + 2 * "     \
    "n)) end\n"                                                                \
    "if #ARGV > 4 + 2 * n then\n"                                              \
    "  redis.call ('HDEL', KEYS[1], unpack (ARGV, 5 + 2 * n))\n"               \
    "end\n"                                                                    \
    "return {'ok', redis.call ('HGETALL', KEYS[1]),\n"                         \
    "  redis.call ('SMEMBERS', KEYS[3])}\n"

//  KEYS: user hash, users index, user keys set, keys index, user tokens
//  set, org tokens set. ARGV: username, key hash prefix "e:{O}:key:".
//  Token hashes e:tok:<sha> are global keys (contract layout).
#define GW_USERS_LUA_DELETE                                                    \
    GW_USERS_LUA_ROLES                                                         \
    "if redis.call ('EXISTS', KEYS[1]) == 0 then return {'not_found'} "        \
    "end\n"                                                                    \
    "local prefix = string.sub (KEYS[1], 1, #KEYS[1] - #ARGV[1])\n"            \
    "if has_role (redis.call ('HGET', KEYS[1], 'roles'), "                     \
    "'" GW_IDENT_ADMIN_ROLE "')\n"                                             \
    "    and not other_admin (KEYS[2], prefix, ARGV[1]) then\n"                \
    "  return {'last_administrator'}\n"                                        \
    "end\n"                                                                    \
    "for _, k in ipairs (redis.call ('SMEMBERS', KEYS[3])) do\n"               \
    "  redis.call ('DEL', ARGV[2] .. k)\n"                                     \
    "  redis.call ('ZREM', KEYS[4], k)\n"                                      \
    "end\n"                                                                    \
    "for _, t in ipairs (redis.call ('SMEMBERS', KEYS[5])) do\n"               \
    "  redis.call ('DEL', 'e:tok:' .. t)\n"                                    \
    "  redis.call ('SREM', KEYS[6], t)\n"                                      \
    "end\n"                                                                    \
    "redis.call ('DEL', KEYS[1], KEYS[3], KEYS[5])\n"                          \
    "redis.call ('ZREM', KEYS[2], ARGV[1])\n"                                  \
    "return {'ok'}\n"

#endif
