-- lib/apps_check_deployments.lua (gw_apps): every deployment the app is
-- to be registered to exists, else the script answers
-- {'unknown_deployment', name} (the first missing one).
--
-- Needs, before the include line, locals dep_prefix (the deployment hash
-- prefix e:{O}:deployment:) and deployments (a table of names).
for _, d in ipairs(deployments) do
  if redis.call('EXISTS', dep_prefix .. d) == 0 then
    return {'unknown_deployment', d}
  end
end
