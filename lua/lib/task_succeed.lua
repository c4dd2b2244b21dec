-- lib/task_succeed.lua (owned by common/edge_task.c): a running task
-- succeeds.
--
-- Needs, before the include line, locals task_key (the task's hash),
-- leases_key (@EDGE_KEY_TASKS_LEASES@), events_key (for lib/task_emit.lua),
-- attempt, now_iso, result (JSON text) and build_changed ('true', 'false'
-- or '').
-- succeed(): state succeeded at now_iso with result; a string dxfName in the
-- result becomes the record's, build_changed (when given) its
-- buildChanged; off the leases; the `end` event.
--#include lib/task_emit.lua
local function succeed()
  redis.call('HSET', task_key, 'state', 'succeeded', 'finished', now_iso,
    'result', result)
  redis.call('HDEL', task_key, 'leaseUntil', 'message', 'exception', 'error')
  if build_changed ~= '' then
    redis.call('HSET', task_key, 'buildChanged', build_changed)
  end
  if string.find(result, 'dxfName', 1, true) then -- else no need to decode
    local ok, r = pcall(cjson.decode, result)
    if ok and type(r) == 'table' and type(r.dxfName) == 'string' then
      redis.call('HSET', task_key, 'dxfName', r.dxfName)
    end
  end
  local f = redis.call('HMGET', task_key, unpack(EMIT_FIELDS))
  redis.call('ZREM', leases_key, f[1])
  emit_fields(task_key, f, 'end', now_iso, {'attempt', attempt})
end
