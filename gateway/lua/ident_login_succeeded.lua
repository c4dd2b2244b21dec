-- ident_login_succeeded: a login succeeded: clear the user's counter and
-- take back the address's count of this attempt.
--
-- KEYS[1] user_counter  e:rl:user:{org}:<user>  string, failed logins
-- KEYS[2] addr_counter  e:rl:ip:<addr>          string (optional)
-- Returns 1.
--
--@setup SET e:rl:user:{o}:u 1
--@setup SET e:rl:ip:a 2
--@keys e:rl:user:{o}:u e:rl:ip:a
--@args
--@expect 1
--@check EXISTS e:rl:user:{o}:u = 0
--@check GET e:rl:ip:a = 1
local user_counter, addr_counter = KEYS[1], KEYS[2]

redis.call('DEL', user_counter)
if addr_counter and tonumber(redis.call('GET', addr_counter) or '0') > 0 then
  redis.call('DECR', addr_counter)
end
return 1
