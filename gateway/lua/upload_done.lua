-- upload_done: a PUT that received the whole tar marks its record
-- received.
--
-- KEYS[1] upload_key  e:upload:<sha256 hex of the token>  hash, the record
-- ARGV[1] attempt (this PUT's fence), ARGV[2] now_ms, ARGV[3] size_bytes,
-- ARGV[4] sha256 (hex).
-- Returns 1, or 0 when this PUT no longer holds the record.
--
--@setup HSET e:upload:x state receiving attempt a1 part p1
--@keys e:upload:x
--@args a1 1700000000000 10 abc
--@expect 1
--@check HGET e:upload:x state = received
--@check HEXISTS e:upload:x part = 0
local upload_key = KEYS[1]
local attempt, now_ms, size_bytes, sha256 = ARGV[1], ARGV[2], ARGV[3],
  ARGV[4]

local f = redis.call('HMGET', upload_key, 'state', 'attempt')
if f[1] ~= 'receiving' or f[2] ~= attempt then return 0 end
redis.call('HSET', upload_key, 'state', 'received', 'touchedMs', now_ms,
  'sizeBytes', size_bytes, 'sha256', sha256)
redis.call('HDEL', upload_key, 'attempt', 'part')
return 1
