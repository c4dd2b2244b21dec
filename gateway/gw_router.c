/*  gw_router - the route table and a segment-by-segment matcher.  */
#include "gw_router.h"
#include "edge_assert.h"
#include "edge_util.h"
#include "edge_perm.h"
#include "gw_adm.h"
#include "gw_apikeys.h"
#include "gw_apps.h"
#include "gw_builds.h"
#include "gw_deployments.h"
#include "gw_login.h"
#include "gw_orgs.h"
#include "gw_roles.h"
#include "gw_srv.h"
#include "gw_subs.h"
#include "gw_tasks.h"
#include "gw_traces.h"
#include "gw_trainings.h"
#include "gw_upload.h"
#include "gw_users.h"
#include <stdio.h>
#include <string.h>

#define S_MAX_PARAMS 4

//  Keep docs/openapi.yaml in step: test_gw_router checks every row there.
static const gw_route_t s_routes[] = {
    {"GET", "/healthz", gw_srv_healthz, GW_AUTH_NONE, NULL, 0, "healthz",
     false},
    {"GET", "/readyz", gw_srv_readyz, GW_AUTH_NONE, NULL, 0, "readyz", false},
    {"GET", "/metrics", gw_srv_metrics, GW_AUTH_NONE, NULL, 0, "metrics",
     false},
    {"GET", "/openapi.yaml", gw_srv_openapi, GW_AUTH_NONE, NULL, 0, "openapi",
     false},
    {"GET", "/srv/v1/versions", gw_srv_versions, GW_AUTH_NONE, NULL, 0,
     "srv_versions", false},
    {"POST", "/adm/v1/ping", gw_adm_ping, GW_AUTH_ADMIN, NULL, 0, "adm_ping",
     false},
    {"POST", "/adm/v1/hello", gw_adm_hello, GW_AUTH_ADMIN, NULL, 0, "adm_hello",
     false},
    {"GET", "/adm/v1/tasks/{taskName}", gw_adm_task_get, GW_AUTH_ADMIN, NULL, 0,
     "adm_task_get", false},
    {"POST", "/adm/v1/orgs", gw_orgs_adm_create, GW_AUTH_ADMIN, NULL, 0,
     "adm_orgs_create", false},
    {"DELETE", "/adm/v1/orgs/{orgName}", gw_orgs_adm_delete, GW_AUTH_ADMIN,
     NULL, 0, "adm_orgs_delete", false},
    //  Backend routes with resource NULL check their own rule (documented
    //  in the handler): org creation and deletion, login, auth, logout.
    {"POST", "/be/v1/orgs", gw_orgs_be_create, GW_AUTH_BACKEND, NULL, 0,
     "be_orgs_create", false},
    {"DELETE", "/be/v1/orgs/{orgName}", gw_orgs_be_delete, GW_AUTH_BACKEND,
     NULL, 0, "be_orgs_delete", false},
    {"POST", "/be/v1/login", gw_login_login, GW_AUTH_NONE, NULL, 0, "be_login",
     false},
    {"POST", "/be/v1/auth", gw_login_auth, GW_AUTH_NONE, NULL, 0, "be_auth",
     false},
    {"POST", "/be/v1/logout", gw_login_logout, GW_AUTH_NONE, NULL, 0,
     "be_logout", false},
    {"GET", "/be/v1/users", gw_users_list, GW_AUTH_BACKEND, "beUsers",
     EDGE_PERM_R, "be_users_list", false},
    {"GET", "/be/v1/users/{username}", gw_users_get, GW_AUTH_BACKEND, "beUsers",
     EDGE_PERM_R, "be_users_get", false},
    {"POST", "/be/v1/users", gw_users_create, GW_AUTH_BACKEND, "beUsers",
     EDGE_PERM_C, "be_users_create", false},
    {"PATCH", "/be/v1/users", gw_users_patch, GW_AUTH_BACKEND, "beUsers",
     EDGE_PERM_U, "be_users_patch", true},
    {"DELETE", "/be/v1/users/{username}", gw_users_delete, GW_AUTH_BACKEND,
     "beUsers", EDGE_PERM_D, "be_users_delete", false},
    {"GET", "/be/v1/roles", gw_roles_list, GW_AUTH_BACKEND, "roles",
     EDGE_PERM_R, "be_roles_list", false},
    {"GET", "/be/v1/roles/{roleName}", gw_roles_get, GW_AUTH_BACKEND, "roles",
     EDGE_PERM_R, "be_roles_get", false},
    {"POST", "/be/v1/roles", gw_roles_create, GW_AUTH_BACKEND, "roles",
     EDGE_PERM_C, "be_roles_create", false},
    {"PATCH", "/be/v1/roles", gw_roles_patch, GW_AUTH_BACKEND, "roles",
     EDGE_PERM_U, "be_roles_patch", false},
    {"DELETE", "/be/v1/roles/{roleName}", gw_roles_delete, GW_AUTH_BACKEND,
     "roles", EDGE_PERM_D, "be_roles_delete", false},
    {"POST", "/be/v1/apikeys", gw_apikeys_create, GW_AUTH_BACKEND, "keys",
     EDGE_PERM_C, "be_apikeys_create", false},
    {"DELETE", "/be/v1/apikeys", gw_apikeys_delete, GW_AUTH_BACKEND, "keys",
     EDGE_PERM_D, "be_apikeys_delete", false},
    {"GET", "/be/v1/tasks", gw_tasks_list, GW_AUTH_BACKEND, "tasks",
     EDGE_PERM_R, "be_tasks_list", false},
    {"GET", "/be/v1/tasks/{taskName}", gw_tasks_get, GW_AUTH_BACKEND, "tasks",
     EDGE_PERM_R, "be_tasks_get", false},
    {"PATCH", "/be/v1/tasks", gw_tasks_patch, GW_AUTH_BACKEND, "tasks",
     EDGE_PERM_U, "be_tasks_patch", false},
    {"POST", "/be/v1/trigger", gw_tasks_trigger, GW_AUTH_BACKEND, "tasks",
     EDGE_PERM_X, "be_trigger", false},
    //  Trace upload: a launcher (usually a machine user's API key) with
    //  trainings U; body limit EDGE_TRACE_MAX_BYTES, JSON or msgpack.
    {"POST", "/client/v1/traces", gw_traces_upload, GW_AUTH_BACKEND,
     "trainings", EDGE_PERM_U, "client_traces_upload", false},
    {"GET", "/be/v1/trainings", gw_trainings_list, GW_AUTH_BACKEND,
     "trainings", EDGE_PERM_R, "be_trainings_list", false},
    {"GET", "/be/v1/trainings/{appName}", gw_trainings_get, GW_AUTH_BACKEND,
     "trainings", EDGE_PERM_R, "be_trainings_get", false},
    {"PATCH", "/be/v1/trainings", gw_trainings_patch, GW_AUTH_BACKEND,
     "trainings", EDGE_PERM_U, "be_trainings_patch", false},
    {"GET", "/be/v1/subscriptions", gw_subs_list, GW_AUTH_BACKEND,
     "subscriptions", EDGE_PERM_R, "be_subs_list", false},
    {"GET", "/be/v1/subscriptions/{name}", gw_subs_get, GW_AUTH_BACKEND,
     "subscriptions", EDGE_PERM_R, "be_subs_get", false},
    {"POST", "/be/v1/subscriptions", gw_subs_create, GW_AUTH_BACKEND,
     "subscriptions", EDGE_PERM_C, "be_subs_create", false},
    {"DELETE", "/be/v1/subscriptions/{name}", gw_subs_delete, GW_AUTH_BACKEND,
     "subscriptions", EDGE_PERM_D, "be_subs_delete", false},
    {"POST", "/be/v1/subscriptions/{name}/redeliver", gw_subs_redeliver,
     GW_AUTH_BACKEND, "subscriptions", EDGE_PERM_U, "be_subs_redeliver", false},
    //  {deploymentName} also admits '[' and ']' (s_param_is_valid).
    {"GET", "/be/v1/deployments", gw_deployments_list, GW_AUTH_BACKEND,
     "deployments", EDGE_PERM_R, "be_deployments_list", false},
    {"GET", "/be/v1/deployments/{deploymentName}", gw_deployments_get,
     GW_AUTH_BACKEND, "deployments", EDGE_PERM_R, "be_deployments_get", false},
    {"POST", "/be/v1/deployments", gw_deployments_create, GW_AUTH_BACKEND,
     "deployments", EDGE_PERM_C, "be_deployments_create", false},
    {"PATCH", "/be/v1/deployments", gw_deployments_patch, GW_AUTH_BACKEND,
     "deployments", EDGE_PERM_U, "be_deployments_patch", false},
    {"DELETE", "/be/v1/deployments/{deploymentName}", gw_deployments_delete,
     GW_AUTH_BACKEND, "deployments", EDGE_PERM_D, "be_deployments_delete",
     false},
    {"GET", "/be/v1/apps", gw_apps_list, GW_AUTH_BACKEND, "apps", EDGE_PERM_R,
     "be_apps_list", false},
    {"GET", "/be/v1/apps/{appName}", gw_apps_get, GW_AUTH_BACKEND, "apps",
     EDGE_PERM_R, "be_apps_get", false},
    {"POST", "/be/v1/apps", gw_apps_create, GW_AUTH_BACKEND, "apps",
     EDGE_PERM_C, "be_apps_create", false},
    {"PATCH", "/be/v1/apps", gw_apps_patch, GW_AUTH_BACKEND, "apps",
     EDGE_PERM_U, "be_apps_patch", false},
    {"DELETE", "/be/v1/apps/{appName}", gw_apps_delete, GW_AUTH_BACKEND, "apps",
     EDGE_PERM_D, "be_apps_delete", false},
    {"POST", "/be/v1/builds", gw_builds_create, GW_AUTH_BACKEND, "apps",
     EDGE_PERM_U, "be_builds_create", false},
    {"POST", "/be/v1/commit", gw_builds_commit, GW_AUTH_BACKEND, "apps",
     EDGE_PERM_U, "be_commit", false},
    //  The token is the credential; the server streams this body (gw_upload).
    {"PUT", "/upload/v1/{token}", gw_upload_put, GW_AUTH_NONE, NULL, 0,
     "upload_put", false},
};

//  One "{name}" segment of a pattern and the path segment it matched.
typedef struct {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
} s_param_t;

typedef enum { S_MATCH_NO, S_MATCH_YES, S_MATCH_BAD_PARAM } s_match_t;


//  Path parameters are identifiers: ^[A-Za-z0-9_]{2,50}$ (architecture §5); a
//  parameter named "deploymentName" declares the deployment pattern, which
//  also admits '[' and ']'; one named "token" is an upload token.
static bool
s_param_is_valid (const s_param_t *param)
{
    char value[64];
    if (param->value_len >= sizeof value)
        return false;
    memcpy (value, param->value, param->value_len);
    value[param->value_len] = 0;
    static const char deployment[] = "deploymentName";
    if (param->name_len == sizeof deployment - 1
        && memcmp (param->name, deployment, param->name_len) == 0)
        return gw_deployments_name_is_valid (value);
    static const char token[] = "token"; //  an upload token (base64url)
    if (param->name_len == sizeof token - 1
        && memcmp (param->name, token, param->name_len) == 0)
        return gw_upload_token_is_valid (value);
    return edge_name_is_valid (value);
}


//  Match one pattern against path, collecting its parameters; a parameter
//  that fails validation is copied to *bad.
static s_match_t
s_match (const char *pattern,
         const char *path,
         s_param_t *params,
         size_t *nparams,
         s_param_t *bad)
{
    const char *p = pattern, *q = path;
    *nparams = 0;
    while (*p && *q) {
        if (*p++ != '/' || *q++ != '/')
            return S_MATCH_NO;
        size_t plen = strcspn (p, "/"), qlen = strcspn (q, "/");
        if (plen > 2 && p[0] == '{' && p[plen - 1] == '}') {
            if (qlen == 0)
                return S_MATCH_NO;
            edge_assert (*nparams < S_MAX_PARAMS);
            params[(*nparams)++] = (s_param_t){p + 1, plen - 2, q, qlen};
        }
        else if (plen != qlen || memcmp (p, q, plen) != 0)
            return S_MATCH_NO;
        p += plen;
        q += qlen;
    }
    if (*p || *q)
        return S_MATCH_NO;
    for (size_t i = 0; i < *nparams; i++)
        if (!s_param_is_valid (&params[i])) {
            *bad = params[i];
            return S_MATCH_BAD_PARAM;
        }
    return S_MATCH_YES;
}


//  404 for an invalid parameter: "taskName" reads as "task 'x' not found".
static void
s_not_found_param (const s_param_t *bad, edge_json_err_t *err)
{
    size_t noun_len = bad->name_len;
    if (noun_len > 4 && memcmp (bad->name + noun_len - 4, "Name", 4) == 0)
        noun_len -= 4;
    int value_len = bad->value_len > 64 ? 64 : (int) bad->value_len;
    edge_json_err_set (err, 404, "not_found", NULL, "%.*s '%.*s' not found",
                       (int) noun_len, bad->name, value_len, bad->value);
}


bool
gw_router_changes_identity (const gw_route_t *route)
{
    edge_assert (route);
    if (strcmp (route->method, "GET") == 0)
        return false;
    static const char *const resources[] = {"beUsers", "roles", "keys"};
    for (size_t i = 0; route->resource && i < EDGE_COUNT (resources); i++)
        if (strcmp (route->resource, resources[i]) == 0)
            return true;
    return route->handler == gw_login_logout
           || route->handler == gw_orgs_be_delete
           || route->handler == gw_orgs_adm_delete;
}


const gw_route_t *
gw_router_routes (size_t *count)
{
    edge_assert (count);
    *count = EDGE_COUNT (s_routes);
    return s_routes;
}


//  Add a method to a comma-separated Allow list unless already there.
static void
s_allow_add (char *allow, size_t size, const char *method)
{
    size_t mlen = strlen (method);
    for (const char *p = allow; (p = strstr (p, method)); p += mlen)
        if ((p == allow || p[-1] == ' ') && (p[mlen] == ',' || !p[mlen]))
            return;
    size_t len = strlen (allow);
    snprintf (allow + len, size - len, "%s%s", len ? ", " : "", method);
}


edge_err_t
gw_router_match (gw_req_t *req, const gw_route_t **route, edge_json_err_t *err)
{
    edge_assert (req && route && err);
    const char *method = gw_req_method (req), *path = gw_req_path (req);
    char allow[128] = "";
    s_param_t params[S_MAX_PARAMS], bad = {0};
    size_t nparams;
    bool has_bad = false;
    *route = NULL;
    for (size_t r = 0; r < EDGE_COUNT (s_routes); r++) {
        s_match_t m =
            s_match (s_routes[r].pattern, path, params, &nparams, &bad);
        has_bad = has_bad || m == S_MATCH_BAD_PARAM;
        if (m != S_MATCH_YES)
            continue;
        if (strcmp (s_routes[r].method, method) == 0) {
            for (size_t i = 0; i < nparams; i++) {
                char name[64];
                snprintf (name, sizeof name, "%.*s", (int) params[i].name_len,
                          params[i].name);
                gw_req_param_add (req, name, params[i].value,
                                  params[i].value_len);
            }
            *route = &s_routes[r];
            return EDGE_ERR_OK;
        }
        s_allow_add (allow, sizeof allow, s_routes[r].method);
    }
    if (allow[0]) {
        gw_req_reply_header (req, "Allow", allow);
        edge_json_err_set (err, 405, "method_not_allowed", NULL,
                           "method %.16s is not allowed on %.200s (allowed: "
                           "%s)",
                           method, path, allow);
        return EDGE_ERR_METHOD_NOT_ALLOWED;
    }
    if (has_bad)
        s_not_found_param (&bad, err);
    else
        edge_json_err_set (err, 404, "not_found", NULL,
                           "no route for %.16s %.200s", method, path);
    return EDGE_ERR_NOT_FOUND;
}
