-- taskops_acknowledge: mark every warning of an org's task acknowledged.
--
-- KEYS[1] task_key  e:task:<name>  hash, the record
-- KEYS[2..4]        e:tasks:queued e:tasks:leases e:events (not used here)
-- ARGV[1] org.
-- Returns 1, 0 when not found (or another org's), -1 when it has no
-- warnings.
--
--@setup HSET e:task:t1 name t1 orgName o warnings [{}]
--@keys e:task:t1 e:tasks:queued e:tasks:leases e:events
--@args o
--@expect 1
--@check HGET e:task:t1 warnings = [{"acknowledged":true}]
local task_key = KEYS[1]
local org = ARGV[1]
--#include lib/taskops_owned.lua

if not owned() then return 0 end
local w = redis.call('HGET', task_key, 'warnings')
if not w then return -1 end
local list = cjson.decode(w)
if #list == 0 then return -1 end
for _, item in ipairs(list) do item.acknowledged = true end
redis.call('HSET', task_key, 'warnings', cjson.encode(list))
return 1
