-- upload_touch: a live PUT stamps its record (and stores its upload's id
-- when given).
--
-- KEYS[1] upload_key  e:upload:<sha256 hex of the token>  hash, the record
-- ARGV[1] attempt (this PUT's fence), ARGV[2] now_ms, ARGV[3] part
-- (optional).
-- Returns 1 while this PUT holds the record, else 0.
--
--@setup HSET e:upload:x state receiving attempt a1
--@keys e:upload:x
--@args a1 1700000000000 p1
--@expect 1
--@check HGET e:upload:x part = p1
local upload_key = KEYS[1]
local attempt, now_ms, part = ARGV[1], ARGV[2], ARGV[3]

local f = redis.call('HMGET', upload_key, 'state', 'attempt')
if f[1] ~= 'receiving' or f[2] ~= attempt then return 0 end
redis.call('HSET', upload_key, 'touchedMs', now_ms)
if part then
  redis.call('HSET', upload_key, 'part', part)
end
return 1
