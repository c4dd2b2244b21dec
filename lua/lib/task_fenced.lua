-- lib/task_fenced.lua (owned by common/edge_task.c): the fencing check of
-- a running task's changes.
--
-- Needs, before the include line, locals task_key (the task's hash), owner
-- and attempt (the fencing token the worker holds).
-- fenced(): true when the task is running, owned by owner at attempt.
local function fenced()
  local f = redis.call('HMGET', task_key, 'state', 'owner', 'attempts')
  return f[1] == 'running' and f[2] == owner and f[3] == attempt
end
