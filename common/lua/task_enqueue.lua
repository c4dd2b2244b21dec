-- task_enqueue: waiting -> queued (a committed upload), with `submit`.
--
-- KEYS[1] task_key    e:task:<name>   hash, the record
-- KEYS[2] queued_key  e:tasks:queued  zset name -> enqueue ms
-- KEYS[3]             e:tasks:leases  (not used here)
-- KEYS[4] events_key  e:events        stream of task events
-- ARGV[1] now_ms, ARGV[2] now_iso, ARGV[3] params (JSON; '' keeps the
-- record's), ARGV[4] message.
-- Returns 1, or 0 when the task is not waiting.
--
--@setup HSET e:task:t1 name t1 type dltar state waiting
--@keys e:task:t1 e:tasks:queued e:tasks:leases e:events
--@args 1700000000000 2023-11-14T22:13:20.000Z {"tarKey":"k"} committed
--@expect 1
--@check HGET e:task:t1 state = queued
--@check HGET e:task:t1 params = {"tarKey":"k"}
--@check ZSCORE e:tasks:queued t1 = 1700000000000
local task_key, queued_key, events_key = KEYS[1], KEYS[2], KEYS[4]
local now_ms, now_iso, params, message = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
--#include lib/task_emit.lua

if redis.call('HGET', task_key, 'state') ~= 'waiting' then return 0 end
redis.call('HSET', task_key, 'state', 'queued', 'message', message)
if params ~= '' then redis.call('HSET', task_key, 'params', params) end
redis.call('ZADD', queued_key, now_ms, redis.call('HGET', task_key, 'name'))
emit_key(task_key, 'submit', now_iso, {'message', message})
return 1
