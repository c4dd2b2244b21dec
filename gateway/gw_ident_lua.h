/*  gw_ident_lua - the Lua sources of gw_ident's scripts (private to
    gw_ident.c). Key names: architecture §3; the org's
    keys carry the org in braces, e:{O}:..., and scripts that derive
    keys from stored values build them the same way. Resource names come
    last in ARGV (from edge_perm) so that the permission table lives in one
    place.  */
#ifndef GW_IDENT_LUA_H_INCLUDED
#define GW_IDENT_LUA_H_INCLUDED

//  perms(org, roles_json, first): {admin, p1..pN} where pI is the OR of
//  resource ARGV[first+I-1] over the roles that exist, admin 1 when the
//  user holds Administrators. Roles that no longer exist count as 0.
#define GW_IDENT_LUA_PERMS                                                     \
    "local function perms(org, rolesjson, first)\n"                            \
    "  local out = {0}\n"                                                      \
    "  for i = first, #ARGV do out[#out + 1] = 0 end\n"                        \
    "  local ok, roles = pcall(cjson.decode, rolesjson or '[]')\n"             \
    "  if not ok or type(roles) ~= 'table' then return out end\n"              \
    "  for _, r in ipairs(roles) do\n"                                         \
    "    local p = type(r) == 'string' and redis.call('HGET',\n"               \
    "      'e:{' .. org .. '}:role:' .. r, 'permissions')\n"                   \
    "    if p then\n"                                                          \
    "      if r == 'Administrators' then out[1] = 1 end\n"                     \
    "      local ok2, obj = pcall(cjson.decode, p)\n"                          \
    "      if ok2 and type(obj) == 'table' then\n"                             \
    "        for i = first, #ARGV do\n"                                        \
    "          local v = obj[ARGV[i]]\n"                                       \
    "          if type(v) == 'number' and v >= 0 then\n"                       \
    "            local k = i - first + 2\n"                                    \
    "            out[k] = bit.bor(out[k], v)\n"                                \
    "          end\n"                                                          \
    "        end\n"                                                            \
    "      end\n"                                                              \
    "    end\n"                                                                \
    "  end\n"                                                                  \
    "  return out\n"                                                           \
    "end\n"

//  track(pre, user, sha): index a new token in the user's and the org's
//  token sets, dropping a few members whose token has expired (so the
//  sets stay near the number of live tokens).
#define GW_IDENT_LUA_TRACK                                                     \
    "local function prune(set)\n"                                              \
    "  for _, s in ipairs(redis.call('SRANDMEMBER', set, 8)) do\n"             \
    "    if redis.call('EXISTS', 'e:tok:' .. s) == 0 then\n"                   \
    "      redis.call('SREM', set, s)\n"                                       \
    "    end\n"                                                                \
    "  end\n"                                                                  \
    "end\n"                                                                    \
    "local function track(pre, user, sha)\n"                                   \
    "  local us = pre .. 'user:' .. user .. ':tokens'\n"                       \
    "  prune(us)\n"                                                            \
    "  prune(pre .. 'tokens')\n"                                               \
    "  redis.call('SADD', us, sha)\n"                                          \
    "  redis.call('SADD', pre .. 'tokens', sha)\n"                             \
    "end\n"

//  KEYS: e:orgs info roles role:Administrators users user:A
//  ARGV: org email admin publicKey created_ms created_iso pwhash perms
//  Returns 1, or 0 when the org exists.
#define GW_IDENT_LUA_ORG_CREATE                                                \
    "if redis.call('ZSCORE', KEYS[1], ARGV[1])\n"                              \
    "  or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end\n"              \
    "redis.call('ZADD', KEYS[1], ARGV[5], ARGV[1])\n"                          \
    "redis.call('HSET', KEYS[2], 'name', ARGV[1], 'email', ARGV[2],\n"         \
    "  'adminUsername', ARGV[3], 'created', ARGV[6], 'updated', ARGV[6])\n"    \
    "if ARGV[4] ~= '' then\n"                                                  \
    "  redis.call('HSET', KEYS[2], 'publicKey', ARGV[4])\n"                    \
    "end\n"                                                                    \
    "redis.call('HSET', KEYS[4], 'name', 'Administrators',\n"                  \
    "  'label', 'Every permission on every resource', 'permissions',\n"        \
    "  ARGV[8], 'created', ARGV[6], 'updated', ARGV[6])\n"                     \
    "redis.call('ZADD', KEYS[3], ARGV[5], 'Administrators')\n"                 \
    "redis.call('HSET', KEYS[6], 'username', ARGV[3], 'email', ARGV[2],\n"     \
    "  'firstname', 'Admin', 'surname', ARGV[1], 'machine', '0',\n"            \
    "  'roles', '[\"Administrators\"]', 'pwhash', ARGV[7],\n"                  \
    "  'created', ARGV[6], 'updated', ARGV[6])\n"                              \
    "redis.call('ZADD', KEYS[5], ARGV[5], ARGV[3])\n"                          \
    "return 1\n"

//  Last step of an org's deletion: tokens made while the keys were being
//  removed, the token index, and the e:orgs entry.
//  KEYS: e:{O}:tokens e:orgs   ARGV: org
#define GW_IDENT_LUA_ORG_FINISH                                                \
    "for _, s in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"                 \
    "  redis.call('UNLINK', 'e:tok:' .. s)\n"                                  \
    "end\n"                                                                    \
    "redis.call('UNLINK', KEYS[1])\n"                                          \
    "return redis.call('ZREM', KEYS[2], ARGV[1])\n"

//  KEYS: e:tok:<sha>   ARGV: org user ttl_ms created_iso sha resources...
//  Returns {'ok', org, user, machine, admin, perms...} or {'gone'}.
#define GW_IDENT_LUA_SESSION_NEW                                               \
    GW_IDENT_LUA_PERMS GW_IDENT_LUA_TRACK                                      \
        "local org, user = ARGV[1], ARGV[2]\n"                                 \
        "local pre = 'e:{' .. org .. '}:'\n"                                   \
        "local u = redis.call('HMGET', pre .. 'user:' .. user, 'username',\n"  \
        "  'machine', 'roles', 'created')\n"                                   \
        "if not u[1] then return {'gone'} end\n"                               \
        "redis.call('HSET', KEYS[1], 'kind', 'session', 'org', org,\n"         \
        "  'username', user, 'created', ARGV[4], 'userCreated', u[4] or '')\n" \
        "redis.call('PEXPIRE', KEYS[1], ARGV[3])\n"                            \
        "track(pre, user, ARGV[5])\n"                                          \
        "local p = perms(org, u[3], 6)\n"                                      \
        "return {'ok', org, user, u[2] or '0', unpack(p)}\n"

//  Shared head of the token scripts: t = the token's kind, org, username,
//  session, userCreated; u = its user's username, machine, roles, created.
//  Ends the script with {'none'}, {'kind'} or {'gone'}. ARGV[1] = kind.
//  An auth token is valid only while its session exists: it never outlives
//  it, whatever the rounding of their expiry times.
#define GW_IDENT_LUA_TOKEN_HEAD                                                \
    "local t = redis.call('HMGET', KEYS[1], 'kind', 'org', 'username',\n"      \
    "  'session', 'userCreated')\n"                                            \
    "if not t[1] or not t[2] or not t[3] then return {'none'} end\n"           \
    "if t[1] ~= ARGV[1] then return {'kind'} end\n"                            \
    "if t[1] == 'auth' and (not t[4]\n"                                        \
    "    or redis.call('EXISTS', 'e:tok:' .. t[4]) == 0) then\n"               \
    "  return {'none'}\n"                                                      \
    "end\n"                                                                    \
    "local pre = 'e:{' .. t[2] .. '}:'\n"                                      \
    "local u = redis.call('HMGET', pre .. 'user:' .. t[3], 'username',\n"      \
    "  'machine', 'roles', 'created')\n"                                       \
    "if not u[1] or (t[5] and t[5] ~= (u[4] or '')) then\n"                    \
    "  return {'gone'}\n"                                                      \
    "end\n"

//  KEYS: e:tok:<sha>   ARGV: kind resources...
//  Returns {'ok', org, user, machine, admin, perms...} or a failure.
#define GW_IDENT_LUA_PRINCIPAL                                                 \
    GW_IDENT_LUA_PERMS GW_IDENT_LUA_TOKEN_HEAD                                 \
        "local p = perms(t[2], u[3], 2)\n"                                     \
        "return {'ok', t[2], t[3], u[2] or '0', unpack(p)}\n"

//  KEYS: e:tok:<session sha> e:tok:<new sha>
//  ARGV: 'session' ttl_ms created_iso session_sha new_sha
//  Returns {'ok', ttl_ms} or a failure.
#define GW_IDENT_LUA_AUTH_NEW                                                  \
    GW_IDENT_LUA_TRACK GW_IDENT_LUA_TOKEN_HEAD                                 \
        "local ttl = tonumber(ARGV[2])\n"                                      \
        "local left = redis.call('PTTL', KEYS[1])\n"                           \
        "if left > 0 and left < ttl then ttl = left end\n"                     \
        "redis.call('HSET', KEYS[2], 'kind', 'auth', 'org', t[2], "            \
        "'username',\n"                                                        \
        "  t[3], 'session', ARGV[4], 'created', ARGV[3], 'userCreated',\n"     \
        "  t[5] or '')\n"                                                      \
        "redis.call('PEXPIRE', KEYS[2], ttl)\n"                                \
        "track(pre, t[3], ARGV[5])\n"                                          \
        "return {'ok', ttl}\n"

//  KEYS: e:tok:<sha>   ARGV: sha
//  Deletes the session (the token itself, or the auth token's parent) and
//  every auth token made from it. Returns 1, or 0 when unknown.
#define GW_IDENT_LUA_LOGOUT                                                    \
    "local t = redis.call('HMGET', KEYS[1], 'kind', 'org', 'username',\n"      \
    "  'session')\n"                                                           \
    "if not t[1] or not t[2] or not t[3] then return 0 end\n"                  \
    "local session = ARGV[1]\n"                                                \
    "if t[1] == 'auth' then session = t[4] or ARGV[1] end\n"                   \
    "local pre = 'e:{' .. t[2] .. '}:'\n"                                      \
    "local us = pre .. 'user:' .. t[3] .. ':tokens'\n"                         \
    "for _, s in ipairs(redis.call('SMEMBERS', us)) do\n"                      \
    "  local k = 'e:tok:' .. s\n"                                              \
    "  if s == session or redis.call('HGET', k, 'session') == session then\n"  \
    "    redis.call('DEL', k)\n"                                               \
    "    redis.call('SREM', us, s)\n"                                          \
    "    redis.call('SREM', pre .. 'tokens', s)\n"                             \
    "  end\n"                                                                  \
    "end\n"                                                                    \
    "redis.call('DEL', KEYS[1], 'e:tok:' .. session)\n"                        \
    "redis.call('SREM', us, ARGV[1], session)\n"                               \
    "redis.call('SREM', pre .. 'tokens', ARGV[1], session)\n"                  \
    "return 1\n"

//  KEYS: e:{O}:user:U:tokens e:{O}:tokens
#define GW_IDENT_LUA_REVOKE_USER                                               \
    "for _, s in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"                 \
    "  redis.call('DEL', 'e:tok:' .. s)\n"                                     \
    "  redis.call('SREM', KEYS[2], s)\n"                                       \
    "end\n"                                                                    \
    "redis.call('DEL', KEYS[1])\n"                                             \
    "return 1\n"

//  KEYS: user:U keys key:K user:U:keys
//  ARGV: keyId username sha created_ms created_iso
//  Returns 'ok', 'none' (no user), 'person' or 'exists'.
#define GW_IDENT_LUA_KEY_NEW                                                   \
    "local u = redis.call('HMGET', KEYS[1], 'username', 'machine')\n"          \
    "if not u[1] then return 'none' end\n"                                     \
    "if u[2] ~= '1' then return 'person' end\n"                                \
    "if redis.call('EXISTS', KEYS[3]) == 1 then return 'exists' end\n"         \
    "redis.call('HSET', KEYS[3], 'keyId', ARGV[1], 'username', ARGV[2],\n"     \
    "  'sha256', ARGV[3], 'created', ARGV[5])\n"                               \
    "redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])\n"                          \
    "redis.call('SADD', KEYS[4], ARGV[1])\n"                                   \
    "return 'ok'\n"

//  KEYS: key:K keys user:U:keys   ARGV: keyId username
//  Returns 1, or 0 when the user has no such key.
#define GW_IDENT_LUA_KEY_DELETE                                                \
    "if redis.call('HGET', KEYS[1], 'username') ~= ARGV[2] then\n"             \
    "  return 0\n"                                                             \
    "end\n"                                                                    \
    "redis.call('DEL', KEYS[1])\n"                                             \
    "redis.call('ZREM', KEYS[2], ARGV[1])\n"                                   \
    "redis.call('SREM', KEYS[3], ARGV[1])\n"                                   \
    "return 1\n"

//  KEYS: key:K user:U user:U:keys   ARGV: org username keyId resources...
//  Returns {'ok', sha, machine, admin, perms...}, {'none'}, {'user'}
//  (another user's key) or {'gone'}.
#define GW_IDENT_LUA_KEY_PRINCIPAL                                             \
    GW_IDENT_LUA_PERMS                                                         \
    "local k = redis.call('HMGET', KEYS[1], 'username', 'sha256')\n"           \
    "if not k[1] or not k[2] then return {'none'} end\n"                       \
    "if k[1] ~= ARGV[2] then return {'user'} end\n"                            \
    "local u = redis.call('HMGET', KEYS[2], 'username', 'machine', 'roles')\n" \
    "if not u[1] then return {'gone'} end\n"                                   \
    "if redis.call('SISMEMBER', KEYS[3], ARGV[3]) == 0 then\n"                 \
    "  return {'none'}\n"                                                      \
    "end\n"                                                                    \
    "local p = perms(ARGV[1], u[3], 4)\n"                                      \
    "return {'ok', k[2], u[2] or '0', unpack(p)}\n"

//  Check and count in one step, so that concurrent attempts cannot pass
//  the limit: every attempt that passes counts as a failure until
//  LOGIN_SUCCEEDED takes it back.
//  KEYS: e:rl:user:{O}:U [e:rl:ip:<addr>]   ARGV: max_user max_addr window_s
//  Returns 0 (counted, go on) or the ms until the fullest window ends.
#define GW_IDENT_LUA_LOGIN_BEGIN                                               \
    "local wait = 0\n"                                                         \
    "for i = 1, #KEYS do\n"                                                    \
    "  local n = tonumber(redis.call('GET', KEYS[i]) or '0') or 0\n"           \
    "  if n >= tonumber(ARGV[i]) then\n"                                       \
    "    local t = redis.call('PTTL', KEYS[i])\n"                              \
    "    if t < 0 then t = 1000 end\n"                                         \
    "    if t > wait then wait = t end\n"                                      \
    "  end\n"                                                                  \
    "end\n"                                                                    \
    "if wait > 0 then return wait end\n"                                       \
    "for i = 1, #KEYS do\n"                                                    \
    "  redis.call('INCR', KEYS[i])\n"                                          \
    "  if redis.call('TTL', KEYS[i]) < 0 then\n"                               \
    "    redis.call('EXPIRE', KEYS[i], ARGV[3])\n"                             \
    "  end\n"                                                                  \
    "end\n"                                                                    \
    "return 0\n"

//  A login succeeded: clear the user's counter, take back the address's
//  count of this attempt.   KEYS: e:rl:user:{O}:U [e:rl:ip:<addr>]
#define GW_IDENT_LUA_LOGIN_SUCCEEDED                                           \
    "redis.call('DEL', KEYS[1])\n"                                             \
    "if KEYS[2] and tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then\n"    \
    "  redis.call('DECR', KEYS[2])\n"                                          \
    "end\n"                                                                    \
    "return 1\n"
#endif
