-- deployments_delete: delete a deployment no app is registered to. Its
-- settings move to <key>:deleting, where the worker's sweep (wk_gc) finds
-- them to delete the org's dxf/ and pat/ files on that origin; the sweep
-- then drops them, and until then the name cannot be created again.
--
-- KEYS[1] deployment_key   e:{O}:deployment:<name>       hash, must exist
-- KEYS[2] deployments_key  e:{O}:deployments             zset name -> ms
-- KEYS[3] apps_key         e:{O}:deployment:<name>:apps  set of its apps
-- KEYS[4] gc_due_key       e:gc:due                      zset entry -> ms
-- ARGV[1] name, ARGV[2] gc_entry (JSON), ARGV[3] now_ms.
-- Returns {'ok'} | {'not_found'} | {'in_use', up to 5 app names...}.
--
--@setup HSET e:{o}:deployment:d name d
--@setup ZADD e:{o}:deployments 1 d
--@keys e:{o}:deployment:d e:{o}:deployments e:{o}:deployment:d:apps e:gc:due
--@args d {"deployment":"d"} 1700000000000
--@expect ok
--@check HGET e:{o}:deployment:d:deleting name = d
--@check ZSCORE e:gc:due {"deployment":"d"} = 1700000000000
local deployment_key, deployments_key, apps_key, gc_due_key = KEYS[1],
  KEYS[2], KEYS[3], KEYS[4]
local name, gc_entry, now_ms = ARGV[1], ARGV[2], ARGV[3]

if redis.call('EXISTS', deployment_key) == 0 then return {'not_found'} end
local apps = redis.call('SORT', apps_key, 'ALPHA', 'LIMIT', 0, 5)
if #apps > 0 then return {'in_use', unpack(apps)} end
redis.call('RENAME', deployment_key, deployment_key .. '@EDGE_KEY_DEPLOYMENT_DELETING@')
redis.call('DEL', apps_key)
redis.call('ZREM', deployments_key, name)
redis.call('ZADD', gc_due_key, now_ms, gc_entry)
return {'ok'}
