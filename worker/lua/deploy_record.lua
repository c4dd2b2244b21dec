-- deploy_record: record a successful deploy in the app and unlock it;
-- what is no longer used is scheduled for deletion.
--
-- Deploys of one app may end out of order: a build older than the current
-- one is added to `builds` (and rotated) but does not become current, and
-- its patches are collected; a reordered image is taken only while its
-- build is still current with the image it was made from, else it is
-- collected ('stale'). A reorder keeps the app's patches (they rebuild
-- the build's files whatever its order) and the replaced image's name in
-- the build's formerDxfNames (the newest 4), whose traces are accepted.
-- KEYS[1] app_key      e:{org}:app:<app>          hash, the app
-- KEYS[2] gc_due_key   e:gc:due                   zset entry -> due ms
-- KEYS[3] imports_key  e:{org}:app:<app>:imports  hash buildName -> task
-- ARGV[1] build_id, ARGV[2] build_name, ARGV[3] dxf_name, ARGV[4]
-- size_bytes, ARGV[5] created (RFC 3339), ARGV[6] given_json (the
-- patches, JSON [{fromBuildId, sizeBytes}]), ARGV[7] gc_due_ms, ARGV[8]
-- org, ARGV[9] app, ARGV[10] now_ms, ARGV[11] mode ('build' |
-- 'reorder'), ARGV[12] previous_dxf (reorder: the image it replaces).
-- Returns {'ok', prefixes JSON} | {'stale', prefixes JSON} | {'gone'}.
--
--@setup HSET e:{o}:app:a name a locked 1
--@setup HSET e:{o}:app:a:imports b1 t1
--@keys e:{o}:app:a e:gc:due e:{o}:app:a:imports
--@args 1 b1 d1 100 2023-11-14T22:13:20.000Z [] 1700086400000 o a 1700000000000 build ''
--@expect ok
--@check HGET e:{o}:app:a dxfName = d1
--@check HGET e:{o}:app:a iCurBuild = 1
--@check HGET e:{o}:app:a locked = 0
--@check EXISTS e:{o}:app:a:imports = 0
local app_key, gc_due_key, imports_key = KEYS[1], KEYS[2], KEYS[3]
local build_id, build_name, dxf_name, size_bytes, created, given_json,
  gc_due_ms, org, app, now_ms, mode, previous_dxf = ARGV[1], ARGV[2],
  ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10],
  ARGV[11], ARGV[12]
--#include lib/deploy_helpers.lua

local bid = tonumber(build_id)
local given = cjson.decode(given_json)
local is_reorder = mode == 'reorder'
if redis.call('EXISTS', app_key) == 0 then
  collect(dxf .. pad(bid) .. '/' .. dxf_name .. '/')
  for _, p in ipairs(given) do
    collect(pat .. pad(bid) .. '/' .. pad(p.fromBuildId) .. '/')
  end
  schedule(now_ms)
  return {'gone'}
end
local cur = tonumber(redis.call('HGET', app_key, 'iCurBuild') or '0') or 0
local curdxf = redis.call('HGET', app_key, 'dxfName') or ''
if is_reorder and (cur ~= bid or curdxf ~= previous_dxf) then
  if curdxf ~= dxf_name then
    collect(dxf .. pad(bid) .. '/' .. dxf_name .. '/')
  end
  schedule(now_ms)
  redis.call('HSET', app_key, 'locked', '0', 'updated', created)
  redis.call('HDEL', app_key, 'error')
  return {'stale', arr(gc)}
end
local is_current = is_reorder or bid >= cur
local max = tonumber(redis.call('HGET', app_key, 'maxBuilds') or 5)
if not max or max < 1 then max = 5 end
local entry = {buildId = bid, buildName = build_name, dxfName = dxf_name,
  sizeBytes = tonumber(size_bytes), created = created}
local kept = {}
for _, b in ipairs(decode('builds')) do
  local id = tonumber(type(b) == 'table' and b.buildId)
  if id == bid then
    if type(b.created) == 'string' then entry.created = b.created end
    if type(b.formerDxfNames) == 'table' then
      entry.formerDxfNames = b.formerDxfNames
    end
    if type(b.dxfName) == 'string' and b.dxfName ~= dxf_name then
      collect(dxf .. pad(bid) .. '/' .. b.dxfName .. '/')
      local f = entry.formerDxfNames or {}
      table.insert(f, 1, b.dxfName)
      while #f > 4 do table.remove(f) end
      entry.formerDxfNames = f
    end
  elseif id then kept[#kept + 1] = b end
end
local function older(a, b)
  return tonumber(a.buildId) < tonumber(b.buildId)
end
local function rotate(keep)
  table.sort(kept, older)
  while #kept > keep do
    local id = pad(tonumber(table.remove(kept, 1).buildId))
    collect(dxf .. id .. '/'); collect(pat .. id .. '/')
  end
end
if is_current then
  rotate(max - 1); kept[#kept + 1] = entry; table.sort(kept, older)
else
  kept[#kept + 1] = entry; rotate(max)
end
local is_kept, total = {}, 0
for _, b in ipairs(kept) do
  is_kept[tonumber(b.buildId)] = true
  total = total + (tonumber(b.sizeBytes) or 0)
end
local patches, is_new = {}, {}
if is_current and not is_reorder then
  for _, p in ipairs(given) do
    local from = tonumber(p.fromBuildId)
    if is_kept[from] then
      patches[#patches + 1] = {fromBuildId = from, toBuildId = bid,
        sizeBytes = tonumber(p.sizeBytes) or 0}
      is_new[from] = true
    else collect(pat .. pad(bid) .. '/' .. pad(from) .. '/') end
  end
elseif not is_reorder then
  for _, p in ipairs(given) do
    collect(pat .. pad(bid) .. '/' .. pad(p.fromBuildId) .. '/')
  end
end
for _, p in ipairs(decode('patches')) do
  local from = tonumber(type(p) == 'table' and p.fromBuildId)
  local to = tonumber(type(p) == 'table' and p.toBuildId)
  if from and to and not (to == bid and is_new[from]) then
    if (not is_current or is_reorder) and is_kept[from]
        and is_kept[to] then
      patches[#patches + 1] = p
    else
      collect(pat .. pad(to) .. '/' .. pad(from) .. '/')
    end
  end
end
redis.call('HSET', app_key, 'builds', arr(kept), 'patches', arr(patches),
  'sizeBytes', string.format('%.0f', total), 'updated', created,
  'locked', '0')
if is_current then
  redis.call('HSET', app_key, 'iCurBuild', bid, 'dxfName', dxf_name)
end
redis.call('HDEL', app_key, 'error')
redis.call('HDEL', imports_key, build_name)
schedule(gc_due_ms)
return {'ok', arr(gc)}
