-- ident_org_create: make an organisation with its Administrators role and
-- its first user, an administrator.
--
-- KEYS[1] orgs_key        e:orgs                        zset org -> created ms
-- KEYS[2] info_key        e:{org}:info                  hash, the org
-- KEYS[3] roles_key       e:{org}:roles                 zset role -> created ms
-- KEYS[4] admin_role_key  e:{org}:role:Administrators   hash, the role
-- KEYS[5] users_key       e:{org}:users                 zset user -> created ms
-- KEYS[6] admin_key       e:{org}:user:<admin>          hash, the first user
-- ARGV[1] org, ARGV[2] email, ARGV[3] admin (username), ARGV[4] public_key
-- ('' = none), ARGV[5] created_ms, ARGV[6] created_iso, ARGV[7] pwhash,
-- ARGV[8] perms_json (every permission on every resource).
-- Returns 1 | 0 (the org exists).
--
--@keys e:orgs e:{o}:info e:{o}:roles e:{o}:role:Administrators e:{o}:users e:{o}:user:admin
--@args o a@b.c admin '' 1700000000000 2024-01-01T00:00:00Z h {"beUsers":31}
--@expect 1
--@check ZSCORE e:orgs o = 1700000000000
--@check HGET e:{o}:user:admin roles = ["Administrators"]
local orgs_key, info_key, roles_key, admin_role_key, users_key, admin_key =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local org, email, admin, public_key, created_ms, created_iso, pwhash, perms_json =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]

if redis.call('ZSCORE', orgs_key, org)
  or redis.call('EXISTS', info_key) == 1 then return 0 end
redis.call('ZADD', orgs_key, created_ms, org)
redis.call('HSET', info_key, 'name', org, 'email', email,
  'adminUsername', admin, 'created', created_iso, 'updated', created_iso)
if public_key ~= '' then
  redis.call('HSET', info_key, 'publicKey', public_key)
end
redis.call('HSET', admin_role_key, 'name', 'Administrators', -- GW_IDENT_ADMIN_ROLE
  'label', 'Every permission on every resource', 'permissions',
  perms_json, 'created', created_iso, 'updated', created_iso)
redis.call('ZADD', roles_key, created_ms, 'Administrators')
redis.call('HSET', admin_key, 'username', admin, 'email', email,
  'firstname', 'Admin', 'surname', org, 'machine', '0',
  'roles', '["Administrators"]', 'pwhash', pwhash,
  'created', created_iso, 'updated', created_iso)
redis.call('ZADD', users_key, created_ms, admin)
return 1
