-- lib/task_expire.lua (owned by common/edge_task.c): an upload task that
-- was never committed expires.
--
-- Needs, before the include line, locals queued_key
-- (@EDGE_KEY_TASKS_QUEUED@) and events_key (for lib/task_emit.lua).
-- task_expire(key, task_name, at_iso, text): the task (its hash key, its
-- name) becomes expired at at_iso with message text, leaves the queue, and
-- gets an `error` event. The caller checks its state first.
--#include lib/task_emit.lua
local function task_expire(key, task_name, at_iso, text)
  redis.call('HSET', key, 'state', 'expired', 'finished', at_iso,
    'message', text)
  redis.call('ZREM', queued_key, task_name)
  emit_key(key, 'error', at_iso, {'message', text})
end
