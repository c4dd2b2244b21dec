-- reaper_lock: take the reaper's lock, or keep it when we hold it already.
--
-- KEYS[1] lock_key  e:reaper:lock  string worker id, PX lifetime
-- ARGV[1] worker_id, ARGV[2] lifetime_ms.
-- Returns 1 when we hold the lock, 0 when another worker does.
--
--@keys e:reaper:lock
--@args w1 60000
--@expect 1
--@check GET e:reaper:lock = w1
local lock_key = KEYS[1]
local worker_id, lifetime_ms = ARGV[1], ARGV[2]

if redis.call('SET', lock_key, worker_id, 'NX', 'PX', lifetime_ms) then
  return 1
end
if redis.call('GET', lock_key) == worker_id then
  redis.call('PEXPIRE', lock_key, lifetime_ms); return 1
end
return 0
