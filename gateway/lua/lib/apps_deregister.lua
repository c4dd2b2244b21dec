-- lib/apps_deregister.lua (gw_apps): deregister the app from every
-- deployment its hash names (the sets e:{O}:deployment:<d>:apps).
--
-- Needs, before the include line, locals app_key (the app's hash), name
-- (the app's name) and dep_prefix (e:{O}:deployment:).
local ok, old = pcall(cjson.decode,
  redis.call('HGET', app_key, 'deployments') or '[]')
if ok and type(old) == 'table' then
  for _, d in ipairs(old) do
    redis.call('SREM', dep_prefix .. d .. '@EDGE_KEY_DEPLOYMENT_APPS@', name)
  end
end
