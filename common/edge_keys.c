/*  edge_keys - the Redis key schema; see edge_keys.h. Each builder is one
    row: its name and its format; the header names the arguments.  */
#include "edge_keys.h"
#include "edge_util.h"

//  Builders of keys made of one, two or three strings.
#define S_KEY1(name, fmt)                                                      \
    char *name (const char *a)                                                 \
    {                                                                          \
        return edge_sprintf (fmt, a);                                          \
    }
#define S_KEY2(name, fmt)                                                      \
    char *name (const char *a, const char *b)                                  \
    {                                                                          \
        return edge_sprintf (fmt, a, b);                                       \
    }
#define S_KEY3(name, fmt)                                                      \
    char *name (const char *a, const char *b, const char *c)                   \
    {                                                                          \
        return edge_sprintf (fmt, a, b, c);                                    \
    }
//  e:{<org>}:<rest>, rest a literal that may hold one more %s.
#define S_ORG(rest) EDGE_KEY_ORG_FMT rest

//  ---- global ----
S_KEY1 (edge_key_task, EDGE_KEY_TASK_PREFIX "%s")
S_KEY1 (edge_key_token, EDGE_KEY_TOKEN_PREFIX "%s")
S_KEY2 (edge_key_login_user, EDGE_KEY_LOGIN_USER_FMT)
S_KEY1 (edge_key_login_addr, EDGE_KEY_LOGIN_ADDR_FMT)

//  ---- per organisation ----
S_KEY1 (edge_key_org_info, S_ORG ("info"))
S_KEY1 (edge_key_org_roles, S_ORG ("roles"))
S_KEY1 (edge_key_org_users, S_ORG ("users"))
S_KEY1 (edge_key_org_keys, S_ORG ("keys"))
S_KEY1 (edge_key_org_tokens, S_ORG (EDGE_KEY_ORG_TOKENS))
S_KEY1 (edge_key_org_tasks, EDGE_KEY_ORG_TASKS_FMT)
S_KEY1 (edge_key_org_match, S_ORG ("*"))
S_KEY2 (edge_key_role, S_ORG (EDGE_KEY_ORG_ROLE "%s"))
S_KEY2 (edge_key_user, S_ORG (EDGE_KEY_ORG_USER "%s"))
S_KEY2 (edge_key_user_keys, S_ORG (EDGE_KEY_ORG_USER "%s:keys"))
S_KEY2 (edge_key_user_tokens,
        S_ORG (EDGE_KEY_ORG_USER "%s" EDGE_KEY_USER_TOKENS))
S_KEY2 (edge_key_api_key, S_ORG ("key:%s"))
S_KEY1 (edge_key_apps, S_ORG ("apps"))
S_KEY2 (edge_key_app, EDGE_KEY_APP_FMT)
S_KEY2 (edge_key_app_imports, EDGE_KEY_APP_FMT EDGE_KEY_APP_IMPORTS)
S_KEY2 (edge_key_app_traces, EDGE_KEY_APP_FMT EDGE_KEY_APP_TRACES)
S_KEY3 (edge_key_app_trace, EDGE_KEY_APP_FMT EDGE_KEY_APP_TRACE "%s")
S_KEY2 (edge_key_app_tracecounts, EDGE_KEY_APP_FMT EDGE_KEY_APP_TRACECOUNTS)
S_KEY2 (edge_key_training, EDGE_KEY_TRAINING_FMT)
S_KEY1 (edge_key_deployments, EDGE_KEY_DEPLOYMENTS_FMT)
S_KEY2 (edge_key_deployment, EDGE_KEY_DEPLOYMENT_FMT)
S_KEY2 (edge_key_deployment_apps,
        EDGE_KEY_DEPLOYMENT_FMT EDGE_KEY_DEPLOYMENT_APPS)
S_KEY1 (edge_key_subs, EDGE_KEY_SUBS_FMT)
S_KEY2 (edge_key_sub, EDGE_KEY_SUB_FMT)
S_KEY2 (edge_key_sub_pending, EDGE_KEY_SUB_FMT EDGE_KEY_SUB_PENDING)
S_KEY2 (edge_key_sub_failed, EDGE_KEY_SUB_FMT EDGE_KEY_SUB_FAILED)
S_KEY3 (edge_key_sub_chain, EDGE_KEY_SUB_FMT EDGE_KEY_SUB_CHAIN "%s")
S_KEY2 (edge_key_sub_attempts, EDGE_KEY_SUB_FMT EDGE_KEY_SUB_ATTEMPTS)
