-- lib/deploy_helpers.lua (worker/wk_deploy.c): helpers of deploy_record.
--
-- Needs, before the include line, locals app_key (the app's hash),
-- gc_due_key (@EDGE_KEY_GC_DUE@), org and app.
-- pad(n): a build id as 4 digits. json(v), arr(t): JSON text ('[]' for an
-- empty table). dxf, pat: the app's image and patch prefixes in the depot.
-- collect(prefix): a prefix to delete (deduplicated, in gc);
-- schedule(due): gc's prefixes as one e:gc:due entry due then.
-- decode(field): the app's JSON array field, {} when absent or bad.
local function pad(n) return string.format('%04d', n) end
local function json(v)
  return (string.gsub(cjson.encode(v), '\\/', '/'))
end
local function arr(t)
  if #t == 0 then return '[]' end
  return json(t)
end
local dxf = 'dxf/' .. org .. '/' .. app .. '/'
local pat = 'pat/' .. org .. '/' .. app .. '/'
local gc, seen = {}, {}
local function collect(prefix)
  if seen[prefix] then return end
  seen[prefix] = true; gc[#gc + 1] = prefix
end
local function schedule(due)
  if #gc == 0 then return end
  redis.call('ZADD', gc_due_key, due, json({org = org, app = app,
    prefixes = gc}))
end
local function decode(field)
  local ok, v = pcall(cjson.decode,
    redis.call('HGET', app_key, field) or '[]')
  if ok and type(v) == 'table' then return v end
  return {}
end
