/*  edge_keys - the Redis key schema; see edge_keys.h.  */
#include "edge_keys.h"
#include "edge_util.h"

//  ---- global ----------------------------------------------------------

char *
edge_key_task (const char *name)
{
    return edge_sprintf (EDGE_KEY_TASK_PREFIX "%s", name);
}


char *
edge_key_token (const char *sha)
{
    return edge_sprintf (EDGE_KEY_TOKEN_PREFIX "%s", sha);
}


char *
edge_key_login_user (const char *org, const char *name)
{
    return edge_sprintf (EDGE_KEY_LOGIN_USER_FMT, org, name);
}


char *
edge_key_login_addr (const char *addr)
{
    return edge_sprintf (EDGE_KEY_LOGIN_ADDR_FMT, addr);
}


//  ---- per organisation ------------------------------------------------

//  e:{<org>}:<rest>, rest a literal that may hold one more %s.
#define S_ORG(rest) EDGE_KEY_ORG_FMT rest

char *
edge_key_org (const char *org)
{
    return edge_sprintf (EDGE_KEY_ORG_FMT, org);
}


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
edge_key_org_users (const char *org)
{
    return edge_sprintf (S_ORG ("users"), org);
}


char *
edge_key_org_keys (const char *org)
{
    return edge_sprintf (S_ORG ("keys"), org);
}


char *
edge_key_org_tokens (const char *org)
{
    return edge_sprintf (S_ORG (EDGE_KEY_ORG_TOKENS), org);
}


char *
edge_key_org_tasks (const char *org)
{
    return edge_sprintf (EDGE_KEY_ORG_TASKS_FMT, org);
}


char *
edge_key_org_match (const char *org)
{
    return edge_sprintf (S_ORG ("*"), org);
}


char *
edge_key_role (const char *org, const char *name)
{
    return edge_sprintf (S_ORG (EDGE_KEY_ORG_ROLE "%s"), org, name);
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
edge_key_api_key (const char *org, const char *id)
{
    return edge_sprintf (S_ORG ("key:%s"), org, id);
}


char *
edge_key_apps (const char *org)
{
    return edge_sprintf (S_ORG ("apps"), org);
}


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
edge_key_app_trace (const char *org, const char *app, const char *id)
{
    return edge_sprintf (EDGE_KEY_APP_FMT EDGE_KEY_APP_TRACE "%s", org, app,
                         id);
}


char *
edge_key_app_tracecounts (const char *org, const char *app)
{
    return edge_sprintf (EDGE_KEY_APP_FMT EDGE_KEY_APP_TRACECOUNTS, org, app);
}


char *
edge_key_training (const char *org, const char *app)
{
    return edge_sprintf (EDGE_KEY_TRAINING_FMT, org, app);
}


char *
edge_key_deployments (const char *org)
{
    return edge_sprintf (EDGE_KEY_DEPLOYMENTS_FMT, org);
}


char *
edge_key_deployment (const char *org, const char *name)
{
    return edge_sprintf (EDGE_KEY_DEPLOYMENT_FMT, org, name);
}


char *
edge_key_deployment_apps (const char *org, const char *name)
{
    return edge_sprintf (EDGE_KEY_DEPLOYMENT_FMT EDGE_KEY_DEPLOYMENT_APPS, org,
                         name);
}


char *
edge_key_subs (const char *org)
{
    return edge_sprintf (EDGE_KEY_SUBS_FMT, org);
}


char *
edge_key_sub (const char *org, const char *name)
{
    return edge_sprintf (EDGE_KEY_SUB_FMT, org, name);
}


char *
edge_key_sub_pending (const char *org, const char *name)
{
    return edge_sprintf (EDGE_KEY_SUB_FMT EDGE_KEY_SUB_PENDING, org, name);
}


char *
edge_key_sub_failed (const char *org, const char *name)
{
    return edge_sprintf (EDGE_KEY_SUB_FMT EDGE_KEY_SUB_FAILED, org, name);
}


char *
edge_key_sub_chain (const char *org, const char *name, const char *task)
{
    return edge_sprintf (EDGE_KEY_SUB_FMT EDGE_KEY_SUB_CHAIN "%s", org, name,
                         task);
}


char *
edge_key_sub_attempts (const char *org, const char *name)
{
    return edge_sprintf (EDGE_KEY_SUB_FMT EDGE_KEY_SUB_ATTEMPTS, org, name);
}
