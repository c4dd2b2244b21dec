-- gc_done: a finished e:gc:due entry goes, and so does the marker its
-- deleted app or deployment left.
--
-- When the entry is the one a deleted app left in
-- e:{org}:app:<app>:deleting, that marker goes so the name can be used
-- again (gw_apps refuses to create it until then); for a deleted
-- deployment, its held settings e:{org}:deployment:<name>:deleting go
-- (gw_deployments likewise).
-- KEYS[1] due_key  e:gc:due  zset entry (JSON) -> due ms
-- ARGV[1] member (the entry: JSON {"org","app"|"deployment","prefixes"}).
-- Returns 1.
--
--@setup ZADD e:gc:due 1 {"org":"o","app":"a","prefixes":[]}
--@setup SET e:{o}:app:a:deleting {"org":"o","app":"a","prefixes":[]}
--@keys e:gc:due
--@args {"org":"o","app":"a","prefixes":[]}
--@expect 1
--@check ZCARD e:gc:due = 0
--@check EXISTS e:{o}:app:a:deleting = 0
local due_key = KEYS[1]
local member = ARGV[1]

redis.call('ZREM', due_key, member)
local ok, d = pcall(cjson.decode, member)
if ok and type(d) == 'table' and type(d.org) == 'string'
   and type(d.app) == 'string' then
  local mk = string.format('@EDGE_KEY_APP_FMT@', d.org, d.app)
    .. '@EDGE_KEY_APP_DELETING@'
  if redis.call('GET', mk) == member then
    redis.call('DEL', mk)
  end
end
if ok and type(d) == 'table' and type(d.org) == 'string'
   and type(d.deployment) == 'string' then
  redis.call('DEL', string.format('@EDGE_KEY_DEPLOYMENT_FMT@', d.org,
    d.deployment) .. '@EDGE_KEY_DEPLOYMENT_DELETING@')
end
return 1
