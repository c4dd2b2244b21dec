/*  edge_keys - the Redis key schema; see edge_keys.h.  */
#include "edge_keys.h"
#include "edge_util.h"


char *
edge_key_task (const char *name)
{
    return edge_sprintf (EDGE_KEY_TASK_PREFIX "%s", name);
}


//  ---- notifier ----


//  ---- worker and sweeps ----


//  ---- gateway: organisations, identity, sessions, tokens ----


//  ---- gateway: apps, builds, deployments, trainings, subscriptions,
//  uploads, traces ----


char *
edge_key_org_info (const char *org)
{
    return edge_sprintf ("e:{%s}:info", org);
}


char *
edge_key_apps (const char *org)
{
    return edge_sprintf ("e:{%s}:apps", org);
}


char *
edge_key_app (const char *org, const char *app)
{
    return edge_sprintf ("e:{%s}:app:%s", org, app);
}


char *
edge_key_app_imports (const char *org, const char *app)
{
    return edge_sprintf ("e:{%s}:app:%s:imports", org, app);
}


char *
edge_key_app_traces (const char *org, const char *app)
{
    return edge_sprintf ("e:{%s}:app:%s:traces", org, app);
}


char *
edge_key_app_trace (const char *org, const char *app, const char *id)
{
    return edge_sprintf ("e:{%s}:app:%s:trace:%s", org, app, id);
}


char *
edge_key_app_tracecounts (const char *org, const char *app)
{
    return edge_sprintf ("e:{%s}:app:%s:tracecounts", org, app);
}


char *
edge_key_training (const char *org, const char *app)
{
    return edge_sprintf ("e:{%s}:training:%s", org, app);
}


char *
edge_key_deployments (const char *org)
{
    return edge_sprintf ("e:{%s}:deployments", org);
}


char *
edge_key_deployment (const char *org, const char *name)
{
    return edge_sprintf ("e:{%s}:deployment:%s", org, name);
}


char *
edge_key_deployment_apps (const char *org, const char *name)
{
    return edge_sprintf ("e:{%s}:deployment:%s:apps", org, name);
}


char *
edge_key_subs (const char *org)
{
    return edge_sprintf ("e:{%s}:subs", org);
}


char *
edge_key_sub (const char *org, const char *name)
{
    return edge_sprintf ("e:{%s}:sub:%s", org, name);
}


char *
edge_key_sub_attempts (const char *org, const char *name)
{
    return edge_sprintf ("e:{%s}:sub:%s:attempts", org, name);
}


char *
edge_key_sub_failed (const char *org, const char *name)
{
    return edge_sprintf ("e:{%s}:sub:%s:failed", org, name);
}


char *
edge_key_sub_pending (const char *org, const char *name)
{
    return edge_sprintf ("e:{%s}:sub:%s:pending", org, name);
}


char *
edge_key_sub_chain (const char *org, const char *name, const char *task)
{
    return edge_sprintf ("e:{%s}:sub:%s:chain:%s", org, name, task);
}
