-- lib/taskops_owned.lua (common/edge_taskops.c): every organization-side
-- operation first checks that the task is the org's.
--
-- Needs, before the include line, locals task_key (the task's hash) and
-- org (the caller's organization).
-- owned(): true when the task's orgName is org (another org's task is
-- answered exactly as a missing one).
local function owned()
  return redis.call('HGET', task_key, 'orgName') == org
end
