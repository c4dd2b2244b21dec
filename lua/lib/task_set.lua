-- lib/task_set.lua (owned by common/edge_task.c): the fields of a task
-- record that another module's script sets, each through one function.
--
-- task_set_build_id(key, build_id): the build id the task took (mkraw
-- takes one per task, once). task_set_upload_key(key, upload): the key
-- of the upload record of a dltar task that waits for an upload. key is the
-- task's hash.
-- luacheck: push ignore 211
local function task_set_build_id(key, build_id)
  redis.call('HSET', key, 'buildId', build_id)
end
local function task_set_upload_key(key, upload)
  redis.call('HSET', key, 'uploadKey', upload)
end
-- luacheck: pop
