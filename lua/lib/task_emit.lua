-- lib/task_emit.lua (owned by common/edge_task.c): append one event of a
-- task to the event stream.
--
-- Needs, before the include line, a local events_key: the event stream
-- (@EDGE_KEY_EVENTS@).
-- emit_key(key, event, at_iso, extra): key is the task's hash, at_iso the
-- event's time; extra holds name/value pairs, empty values left out. Every event carries the task's
-- name, type, its orgName/appName/buildName/dxfName when set, timestamp,
-- "seq" (1, 2, 3 ... per task: the task's evseq, so consumers can take a
-- task's events in order whoever reads them first), createdMs and the
-- record's buildChanged ("true"/"false") when known.
--
-- emit_fields(key, f, event, at_iso, extra): the same, with f the task's
-- EMIT_FIELDS already read (HMGET, in that order), for scripts that read
-- them with other fields in one call. Only evseq is read and bumped.
-- luacheck: push ignore 211
local EMIT_FIELDS = {'name', 'type', 'orgName', 'appName', 'buildName',
  'dxfName', 'createdMs', 'buildChanged'}
local function emit_fields(key, f, event, at_iso, extra)
  local a = {'XADD', events_key, 'MAXLEN', '~', '1000000',
    '*', 'taskName', f[1], 'type', f[2], 'event', event}
  local names = {'orgName', 'appName', 'buildName', 'dxfName'}
  for i = 1, 4 do
    if f[i + 2] and f[i + 2] ~= '' then
      a[#a + 1] = names[i]; a[#a + 1] = f[i + 2]
    end
  end
  a[#a + 1] = 'timestamp'; a[#a + 1] = at_iso
  a[#a + 1] = 'seq'
  a[#a + 1] = tostring(redis.call('HINCRBY', key, 'evseq', 1))
  if f[7] then a[#a + 1] = 'createdMs'; a[#a + 1] = f[7] end
  if f[8] then a[#a + 1] = 'buildChanged'; a[#a + 1] = f[8] end
  for i = 1, #extra, 2 do
    if extra[i + 1] and extra[i + 1] ~= '' then
      a[#a + 1] = extra[i]; a[#a + 1] = extra[i + 1]
    end
  end
  redis.call(unpack(a))
end
local function emit_key(key, event, at_iso, extra)
  emit_fields(key, redis.call('HMGET', key, unpack(EMIT_FIELDS)), event,
    at_iso, extra)
end
-- luacheck: pop
