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


//  ---- gateway: apps, builds, deployments, trainings, subscriptions,
//  uploads, traces ----
