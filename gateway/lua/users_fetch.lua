-- users_fetch: several users' records in one round trip (a list page).
--
-- KEYS[2i-1] user_key       e:{org}:user:<user>       hash, the user
-- KEYS[2i]   user_keys_key  e:{org}:user:<user>:keys  set of keyIds
-- (one pair per user).
-- Returns per user {HGETALL of the hash, SMEMBERS of the set} (an empty
-- hash for a user deleted meanwhile).
--
--@setup HSET e:{o}:user:u username u
--@keys e:{o}:user:u e:{o}:user:u:keys
--@args
--@expect (array)
local user_pairs = KEYS -- user hash, user keys set, user hash, ...

local out = {}
for i = 1, #user_pairs, 2 do
  out[#out + 1] = {redis.call('HGETALL', user_pairs[i]),
                   redis.call('SMEMBERS', user_pairs[i + 1])}
end
return out
