-- lib/task_build_id.lua (owned by common/edge_task.c): the build id a
-- task took (mkraw takes one per task, once).
--
-- task_set_build_id(key, build_id): the buildId field of the task whose
-- hash is key.
local function task_set_build_id(key, build_id)
  redis.call('HSET', key, 'buildId', build_id)
end
