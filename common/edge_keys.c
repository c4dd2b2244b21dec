/*  edge_keys - the Redis key schema; see edge_keys.h.  */
#include "edge_keys.h"
#include "edge_util.h"


char *
edge_key_task (const char *name)
{
    return edge_sprintf (EDGE_KEY_TASK_PREFIX "%s", name);
}


char *
edge_key_org_tasks (const char *org)
{
    return edge_sprintf (EDGE_KEY_ORG_TASKS_FMT, org);
}


//  ---- notifier ----


//  ---- worker and sweeps ----

char *
edge_key_app (const char *org, const char *app)
{
    return edge_sprintf (EDGE_KEY_APP_FMT, org, app);
}


char *
edge_key_app_imports (const char *org, const char *app)
{
    return edge_sprintf (EDGE_KEY_APP_FMT EDGE_KEY_APP_IMPORTS, org, app);
}


char *
edge_key_app_traces (const char *org, const char *app)
{
    return edge_sprintf (EDGE_KEY_APP_FMT EDGE_KEY_APP_TRACES, org, app);
}


char *
edge_key_app_trace (const char *org, const char *app, const char *trace)
{
    return edge_sprintf (EDGE_KEY_APP_FMT EDGE_KEY_APP_TRACE "%s", org, app,
                         trace);
}


char *
edge_key_app_tracecounts (const char *org, const char *app)
{
    return edge_sprintf (EDGE_KEY_APP_FMT EDGE_KEY_APP_TRACECOUNTS, org, app);
}


char *
edge_key_deployment (const char *org, const char *name)
{
    return edge_sprintf (EDGE_KEY_DEPLOYMENT_FMT, org, name);
}


char *
edge_key_training (const char *org, const char *app)
{
    return edge_sprintf (EDGE_KEY_TRAINING_FMT, org, app);
}



//  ---- gateway: organisations, identity, sessions, tokens ----

//  e:{<org>}:<rest>
#define S_ORG(rest) EDGE_KEY_ORG_OPEN "%s" EDGE_KEY_ORG_CLOSE rest


char *
edge_key_org_info (const char *org)
{
    return edge_sprintf (S_ORG ("info"), org);
}


char *
edge_key_org_roles (const char *org)
{
    return edge_sprintf (S_ORG ("roles"), org);
}


char *
edge_key_role (const char *org, const char *name)
{
    return edge_sprintf (S_ORG (EDGE_KEY_ORG_ROLE "%s"), org, name);
}


char *
edge_key_org_users (const char *org)
{
    return edge_sprintf (S_ORG ("users"), org);
}


char *
edge_key_user (const char *org, const char *name)
{
    return edge_sprintf (S_ORG (EDGE_KEY_ORG_USER "%s"), org, name);
}


char *
edge_key_user_keys (const char *org, const char *name)
{
    return edge_sprintf (S_ORG (EDGE_KEY_ORG_USER "%s:keys"), org, name);
}


char *
edge_key_user_tokens (const char *org, const char *name)
{
    return edge_sprintf (S_ORG (EDGE_KEY_ORG_USER "%s" EDGE_KEY_USER_TOKENS),
                         org, name);
}


char *
edge_key_org_keys (const char *org)
{
    return edge_sprintf (S_ORG ("keys"), org);
}


char *
edge_key_api_key (const char *org, const char *id)
{
    return edge_sprintf (S_ORG ("key:%s"), org, id);
}


char *
edge_key_org_tokens (const char *org)
{
    return edge_sprintf (S_ORG (EDGE_KEY_ORG_TOKENS), org);
}


char *
edge_key_org_match (const char *org)
{
    return edge_sprintf (S_ORG ("*"), org);
}


char *
edge_key_token (const char *sha)
{
    return edge_sprintf (EDGE_KEY_TOKEN_PREFIX "%s", sha);
}


char *
edge_key_login_user (const char *org, const char *name)
{
    return edge_sprintf ("e:rl:user:{%s}:%s", org, name);
}


char *
edge_key_login_addr (const char *addr)
{
    return edge_sprintf ("e:rl:ip:%s", addr);
}


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
