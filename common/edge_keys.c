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
