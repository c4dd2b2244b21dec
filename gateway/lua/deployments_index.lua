-- deployments_index: the org's deployments with each one's status.
--
-- KEYS[1] deployments_key  e:{O}:deployments  zset name -> created ms
-- ARGV[1] deployment_prefix (e:{O}:deployment:, + name: the hash).
-- Returns a flat {name, created ms, status ('' when absent), ...}.
--
--@setup ZADD e:{o}:deployments 1700000000000 d
--@setup HSET e:{o}:deployment:d status ok
--@keys e:{o}:deployments
--@args e:{o}:deployment:
--@expect d
local deployments_key = KEYS[1]
local deployment_prefix = ARGV[1]

local out = {}
local all = redis.call('ZRANGE', deployments_key, 0, -1, 'WITHSCORES')
for i = 1, #all, 2 do
  out[#out + 1] = all[i]
  out[#out + 1] = all[i + 1]
  out[#out + 1] = redis.call('HGET', deployment_prefix .. all[i], 'status')
    or ''
end
return out
