-- ident_login_begin: check and count a login attempt in one step, so that
-- concurrent attempts cannot pass the limit: every attempt that passes
-- counts as a failure until ident_login_succeeded takes it back.
--
-- KEYS[1] user_counter  e:rl:user:{org}:<user>  string, failed logins of
--                                               the user, expires
-- KEYS[2] addr_counter  e:rl:ip:<addr>          string, failed logins from
--                                               the client address (optional)
-- ARGV[1] max_user, ARGV[2] max_addr (the limits of KEYS[1], KEYS[2]),
-- ARGV[3] window_s (a counter's life).
-- Returns 0 (counted, go on) | the ms until the fullest window ends.
--
--@setup SET e:rl:ip:a 3
--@keys e:rl:user:{o}:u e:rl:ip:a
--@args 5 20 60
--@expect 0
--@check GET e:rl:user:{o}:u = 1
--@check GET e:rl:ip:a = 4
local counters = KEYS -- the user's, then the address's when given
local max_user, max_addr, window_s = ARGV[1], ARGV[2], ARGV[3]
local limits = {max_user, max_addr}

local wait = 0
for i = 1, #counters do
  local n = tonumber(redis.call('GET', counters[i]) or '0') or 0
  if n >= tonumber(limits[i]) then
    local t = redis.call('PTTL', counters[i])
    if t < 0 then t = 1000 end
    if t > wait then wait = t end
  end
end
if wait > 0 then return wait end
for i = 1, #counters do
  redis.call('INCR', counters[i])
  if redis.call('TTL', counters[i]) < 0 then
    redis.call('EXPIRE', counters[i], window_s)
  end
end
return 0
