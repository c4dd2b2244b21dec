-- list_hashes: a page of hashes in one round trip (the listings).
--
-- KEYS[1..n] hash_keys  any hashes, e.g. e:{O}:app:<name>
-- No ARGV (the happy path passes one empty argument: its runner needs one).
-- Returns {HGETALL of each key, in order} (an empty one for a missing key).
--
--@setup HSET e:{o}:app:a name a
--@keys e:{o}:app:a
--@args ''
--@expect (array)
local hash_keys = KEYS

local out = {}
for i = 1, #hash_keys do
  out[i] = redis.call('HGETALL', hash_keys[i])
end
return out
