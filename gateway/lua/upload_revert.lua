-- upload_revert: a failed PUT gives its record back (state open).
--
-- KEYS[1] upload_key  e:upload:<sha256 hex of the token>  hash, the record
-- ARGV[1] attempt (this PUT's fence).
-- Returns 1, or 0 when this PUT no longer holds the record.
--
--@setup HSET e:upload:x state receiving attempt a1 part p1
--@keys e:upload:x
--@args a1
--@expect 1
--@check HGET e:upload:x state = open
local upload_key = KEYS[1]
local attempt = ARGV[1]

local f = redis.call('HMGET', upload_key, 'state', 'attempt')
if f[1] ~= 'receiving' or f[2] ~= attempt then return 0 end
redis.call('HSET', upload_key, 'state', 'open')
redis.call('HDEL', upload_key, 'attempt', 'part')
return 1
