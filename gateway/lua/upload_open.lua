-- upload_open: a PUT takes an upload record (or a stale PUT's over). The
-- record's task must still be waiting (a PATCH /be/v1/tasks expire or the
-- reaper ends it).
--
-- KEYS[1] upload_key  e:upload:<sha256 hex of the token>  hash, the record
-- ARGV[1] now_ms, ARGV[2] attempt (this PUT's fence), ARGV[3] stale_ms
-- (a receiving record untouched this long is taken over), ARGV[4] part
-- (the new upload's id).
-- Reads the task's state (e:task:<the record's task>).
-- Returns {'ok', tarKey, part of a stale PUT taken over or '', the
-- import's size or ''} | {'unknown'} | {'used'} | {'expired'} | {'busy'}.
--
--@setup HSET e:upload:x state open expiresMs 9999999999999 task t1 tarKey k
--@setup HSET e:task:t1 state waiting
--@keys e:upload:x
--@args 1700000000000 a1 120000 p1
--@expect ok
--@check HGET e:upload:x state = receiving
local upload_key = KEYS[1]
local now_ms, attempt, stale_ms, part = ARGV[1], ARGV[2], ARGV[3], ARGV[4]

local f = redis.call('HMGET', upload_key, 'state', 'expiresMs', 'task',
  'tarKey', 'touchedMs', 'part', 'size')
if not f[1] then return {'unknown'} end
if f[1] == 'received' or f[1] == 'committed' then
  return {'used'}
end
local now = tonumber(now_ms)
local task = redis.call('HGET', '@EDGE_KEY_TASK_PREFIX@' .. (f[3] or ''),
  'state')
if f[1] == 'expired' or now >= (tonumber(f[2]) or 0)
   or task ~= 'waiting' then
  return {'expired'}
end
local old = ''
if f[1] == 'receiving' then
  if now - (tonumber(f[5]) or 0) < tonumber(stale_ms) then
    return {'busy'}
  end
  old = f[6] or ''
end
redis.call('HSET', upload_key, 'state', 'receiving', 'attempt', attempt,
  'touchedMs', now_ms, 'part', part)
return {'ok', f[4] or '', old, f[7] or ''}
