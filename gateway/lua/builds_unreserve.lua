-- builds_unreserve: drop an import entry's reservation, when still ours.
--
-- KEYS[1] imports_key  e:{O}:app:<app>:imports  hash buildName -> task
-- ARGV[1] build_name, ARGV[2] reservation ("<group>@<ms>").
-- Returns 1.
--
--@setup HSET e:{o}:app:a:imports b1 g@1
--@keys e:{o}:app:a:imports
--@args b1 g@1
--@expect 1
--@check HEXISTS e:{o}:app:a:imports b1 = 0
local imports_key = KEYS[1]
local build_name, reservation = ARGV[1], ARGV[2]

if redis.call('HGET', imports_key, build_name) == reservation then
  redis.call('HDEL', imports_key, build_name)
end
return 1
