/*  gw_apps - apps of an organization.

    Redis layout (O = org; keys built from the caller's org, so another
    org's app is a 404 like a missing one):
    - e:{O}:apps                    zset name -> created ms
    - e:{O}:app:<name>              hash name, label, maxBuilds, deployments
                                    (JSON array of deployment names; [] =
                                    every deployment of the org), created,
                                    updated; and the pipeline's state, with
                                    these defaults when absent: iCurBuild
                                    (0), dxfName (null), builds / patches
                                    (JSON arrays, []), processing /
                                    exporting / locked ("0"|"1"), error
                                    (JSON object text; absent = null),
                                    sizeBytes (0). gw_tasks checks
                                    EXISTS e:{O}:app:<name>.
    - e:{O}:deployment:<d>:apps     set of the apps registered to deployment
                                    d, kept by the scripts below so that
                                    deleting a deployment can refuse in one
                                    script (gw_deployments).
    DELETE removes, in one script, the app hash and index entry, its
    imports hash (e:{O}:app:<name>:imports), training hash
    (e:{O}:training:<name>), traces index (e:{O}:app:<name>:traces) and
    every trace hash it lists (e:{O}:app:<name>:trace:<id>) and the trace
    counts (e:{O}:app:<name>:tracecounts), and puts the app's whole dxf/,
    pat/, traces/ and builds/ prefixes on e:gc:due, due now (the worker
    reaper deletes those files from the depot and the deployments). Every
    task the imports hash names that is still `waiting` (a client upload
    never committed) becomes `expired` with message "app deleted" and an
    `error` event, leaves e:uploads:due, and its upload record (the task's
    uploadKey, when it names this task) becomes `expired`, so a later PUT
    to its URL is refused (410) and cannot recreate a tar in the swept
    builds/ prefix. Until that entry is done, e:{O}:app:<name>:deleting
    holds it and a create of the same name is refused (409 app_deleting),
    so the sweep can never take the files of a new app of the same name.  */
#include "gw_apps.h"
#include "edge_json.h"
#include "edge_keys.h"
#include "edge_log.h"
#include "edge_util.h"
#include "gw_call.h"
#include "gw_deployments.h"
#include "gw_hash.h"
#include "gw_list.h"
#include "gw_lua.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_DEPLOYMENTS   64
#define S_DEFAULT_MAXBUILDS 5

//  The app object (architecture §6) by its hash's fields.
static const gw_hash_row_t s_rows[] = {
    {"name", GW_HASH_TEXT, NULL, 0},
    {"label", GW_HASH_TEXT, NULL, 0},
    {"maxBuilds", GW_HASH_INT, NULL, S_DEFAULT_MAXBUILDS},
    {"deployments", GW_HASH_ARRAY, NULL, 0},
    {"iCurBuild", GW_HASH_INT, NULL, 0},
    {"dxfName", GW_HASH_TEXT, NULL, 0},
    {"builds", GW_HASH_ARRAY, NULL, 0},
    {"patches", GW_HASH_ARRAY, NULL, 0},
    {"processing", GW_HASH_BOOL, NULL, 0},
    {"exporting", GW_HASH_BOOL, NULL, 0},
    {"locked", GW_HASH_BOOL, NULL, 0},
    {"error", GW_HASH_OBJECT, NULL, 0},
    {"sizeBytes", GW_HASH_INT, NULL, 0},
    {"created", GW_HASH_TEXT, NULL, 0},
    {"updated", GW_HASH_TEXT, NULL, 0},
};
static const char *const s_fields[] = {
    "name",      "label",   "maxBuilds",  "deployments", "iCurBuild", "dxfName",
    "builds",    "patches", "processing", "exporting",   "locked",    "error",
    "sizeBytes", "created", "updated",    NULL};
static const gw_list_spec_t s_spec = {s_fields, NULL};

static const edge_json_field_t s_create_fields[] = {
    {"name", EDGE_JSON_NAME, true, 0, 0, false},
    {"label", EDGE_JSON_STRING, true, 1, 256, false},
    {"maxBuilds", EDGE_JSON_INT, false, 1, 100, false},
    {"deployments", EDGE_JSON_ARRAY, false, 0, S_MAX_DEPLOYMENTS, false},
};
static const edge_json_field_t s_patch_fields[] = {
    {"name", EDGE_JSON_NAME, true, 0, 0, false},
    {"label", EDGE_JSON_STRING, false, 1, 256, false},
    {"maxBuilds", EDGE_JSON_INT, false, 1, 100, false},
    {"deployments", EDGE_JSON_ARRAY, false, 0, S_MAX_DEPLOYMENTS, true},
};

//  The state of a new app, as the create script's field/value pairs.
static const char *const s_new_state[][2] = {{"iCurBuild", "0"},
                                             {"processing", "0"},
                                             {"exporting", "0"},
                                             {"locked", "0"},
                                             {"sizeBytes", "0"}};

//  The refusals of the create and patch scripts ({} = the app).
static const gw_call_answer_t s_write_answers[] = {
    {"unknown_deployment", EDGE_ERR_UNKNOWN_DEPLOYMENT, "deployments",
     "deployment '{1}' does not exist"},
    {"conflict", EDGE_ERR_CONFLICT, "name", "app '{}' already exists"},
    {"app_deleting", EDGE_ERR_APP_DELETING, "name",
     "app '{}' was deleted and its files are still being removed; try again "
     "shortly"},
    {"not_found", EDGE_ERR_NOT_FOUND, NULL, "app '{}' not found"},
    {"no_org", EDGE_ERR_NOT_FOUND, NULL, "organization '{org}' not found"},
    {NULL}};
static const gw_call_answer_t s_delete_answers[] = {
    {"not_found", EDGE_ERR_NOT_FOUND, NULL, "app '{}' not found"}, {NULL}};

//  The deployments a body names: deduplicated names (borrowed from the
//  body) and their JSON array text (request scope).
typedef struct {
    const char *names[S_MAX_DEPLOYMENTS];
    int count;
    const char *json;
} s_deps_t;


//  The app object of a HGETALL reply, or NULL when the app is gone.
//  Caller owns.
static json_t *
s_object (const redisReply *hash)
{
    if (!edge_redis_hash_field (hash, "name"))
        return NULL;
    return gw_hash_json (hash, s_rows, EDGE_COUNT (s_rows));
}


//  The body's "deployments" (absent or null: none) into deps. Returns 0,
//  or -1 with err set.
static int
s_deployments (gw_req_t *req,
               const json_t *body,
               s_deps_t *deps,
               edge_json_err_t *err)
{
    json_t *out = gw_req_adopt_json (req, json_array ());
    size_t i;
    json_t *item;
    deps->count = 0;
    json_array_foreach (json_object_get (body, "deployments"), i, item)
    {
        const char *name = json_string_value (item);
        if (!gw_deployments_name_is_valid (name))
            return edge_json_err_set (err, 400, "invalid_field", "deployments",
                                      "field 'deployments' items must be "
                                      "deployment names "
                                      "(^[A-Za-z0-9_\\[\\]]{2,50}$)");
        bool is_dup = false;
        for (int k = 0; k < deps->count && !is_dup; k++)
            is_dup = strcmp (deps->names[k], name) == 0;
        if (!is_dup) {
            deps->names[deps->count++] = name;
            json_array_append_new (out, json_string (name));
        }
    }
    deps->json = gw_req_adopt (req, edge_json_dumps (out));
    return 0;
}


//  The body of a create or patch, checked against fields, with its
//  deployments. Returns the body (borrowed), or NULL with the answer set.
static json_t *
s_body (gw_req_t *req,
        const edge_json_field_t *fields,
        size_t count,
        s_deps_t *deps)
{
    edge_json_err_t err;
    json_t *body = gw_req_json (req, &err);
    if (!body || edge_json_check (body, fields, count, &err)
        || s_deployments (req, body, deps, &err)) {
        gw_req_reply_error (req, &err);
        return NULL;
    }
    return body;
}


//  The scripts' deployment arguments: the prefix of the org's deployment
//  keys, the count (-1 when deps is NULL: unchanged) and the names.
static void
s_deps_args (gw_call_t *call, const s_deps_t *deps)
{
    const char *org = gw_req_org (call->req);
    gw_call_arg (call, gw_req_adopt (call->req, edge_key_deployment (org, "")));
    gw_call_int (call, deps ? deps->count : -1);
    for (int i = 0; deps && i < deps->count; i++)
        gw_call_arg (call, deps->names[i]);
}


//  Run the create or patch script of app name and answer its {'ok',
//  HGETALL} with status (201: created, with its Location).
static void
s_write (gw_call_t *call,
         gw_thread_t *thread,
         edge_redis_script_t *script,
         const char *name,
         int status)
{
    gw_req_t *req = call->req;
    redisReply *reply =
        gw_call_run (call, thread, script, s_write_answers, name);
    if (!reply)
        return;
    json_t *obj = reply->elements == 2 ? s_object (reply->element[1]) : NULL;
    if (!obj)
        gw_req_reply_redis_failed (req, reply, "apps: write");
    else {
        bool is_new = status == 201;
        edge_info ("app %s %s by %s", name, is_new ? "created" : "patched",
                   gw_req_identity (req));
        if (is_new)
            gw_req_reply_header (req, "Location",
                                 gw_req_sprintf (req, "/be/v1/apps/%s", name));
        gw_req_reply_json (req, status, obj);
    }
    freeReplyObject (reply);
}


void
gw_apps_create (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    s_deps_t deps;
    json_t *body =
        s_body (req, s_create_fields, EDGE_COUNT (s_create_fields), &deps);
    if (!body)
        return;
    const char *org = gw_req_org (req);
    const char *name = edge_json_str (body, "name", NULL);
    int64_t now_ms = edge_now_ms ();
    char created[32];
    edge_rfc3339 (now_ms, created, sizeof created);
    gw_call_t call;
    gw_call_init (&call, req);
    gw_call_key_take (&call, edge_key_app (org, name));
    gw_call_key_take (&call, edge_key_apps (org));
    gw_call_key_take (&call, edge_key_org_info (org));
    gw_call_arg (&call, name);
    gw_call_int (&call, now_ms);
    s_deps_args (&call, &deps);
    gw_call_pair (&call, "name", name);
    gw_call_pair (&call, "label", edge_json_str (body, "label", ""));
    gw_call_arg (&call, "maxBuilds");
    gw_call_int (&call, edge_json_int (body, "maxBuilds", S_DEFAULT_MAXBUILDS));
    gw_call_pair (&call, "deployments", deps.json);
    for (size_t i = 0; i < EDGE_COUNT (s_new_state); i++)
        gw_call_pair (&call, s_new_state[i][0], s_new_state[i][1]);
    gw_call_pair (&call, "created", created);
    gw_call_pair (&call, "updated", created);
    s_write (&call, thread, &gw_lua_apps_create, name, 201);
}


void
gw_apps_list (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    const char *org = gw_req_org (req);
    gw_list_reply_hashes (req, gw_thread_redis (thread), &s_spec,
                          gw_req_adopt (req, edge_key_apps (org)),
                          gw_req_adopt (req, edge_key_app (org, "")), s_object,
                          "apps: list");
}


void
gw_apps_get (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    gw_list_t list;
    if (gw_list_parse_req (req, &s_spec, true, &list))
        return;
    const char *name = gw_req_param (req, "appName");
    redisReply *reply = edge_redis_command (
        gw_thread_redis (thread), "HGETALL %s",
        gw_req_adopt (req, edge_key_app (gw_req_org (req), name)));
    json_t *obj = NULL;
    if (!reply || reply->type != REDIS_REPLY_ARRAY)
        gw_req_reply_redis_failed (req, reply, "apps: get");
    else if ((obj = s_object (reply)))
        gw_req_reply_json (req, 200, gw_list_project (&list, obj));
    else
        gw_call_fail (req, EDGE_ERR_NOT_FOUND, NULL, "app '%s' not found",
                      name);
    freeReplyObject (reply);
}


void
gw_apps_patch (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    s_deps_t deps;
    json_t *body =
        s_body (req, s_patch_fields, EDGE_COUNT (s_patch_fields), &deps);
    if (!body)
        return;
    bool has_deps = json_object_get (body, "deployments") != NULL;
    const char *name = edge_json_str (body, "name", NULL);
    json_t *max_builds = json_object_get (body, "maxBuilds");
    char now[32];
    edge_rfc3339 (edge_now_ms (), now, sizeof now);
    gw_call_t call;
    gw_call_init (&call, req);
    gw_call_key_take (&call, edge_key_app (gw_req_org (req), name));
    gw_call_arg (&call, name);
    gw_call_arg (&call, "");
    s_deps_args (&call, has_deps ? &deps : NULL);
    gw_call_pair (&call, "updated", now);
    gw_call_pair (&call, "locked", "0");
    gw_call_pair (&call, "label", edge_json_str (body, "label", NULL));
    if (max_builds) {
        gw_call_arg (&call, "maxBuilds");
        gw_call_int (&call, json_integer_value (max_builds));
    }
    gw_call_pair (&call, "deployments", has_deps ? deps.json : NULL);
    s_write (&call, thread, &gw_lua_apps_patch, name, 200);
}


void
gw_apps_delete (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    const char *name = gw_req_param (req, "appName");
    const char *org = gw_req_org (req);
    int64_t now_ms = edge_now_ms ();
    char now[32];
    edge_rfc3339 (now_ms, now, sizeof now);
    gw_call_t call;
    gw_call_init (&call, req);
    gw_call_key_take (&call, edge_key_app (org, name));
    gw_call_key_take (&call, edge_key_apps (org));
    gw_call_key (&call, EDGE_KEY_GC_DUE);
    gw_call_key (&call, EDGE_KEY_EVENTS);
    gw_call_key_take (&call, edge_key_app_imports (org, name));
    gw_call_key_take (&call, edge_key_training (org, name));
    gw_call_key_take (&call, edge_key_app_traces (org, name));
    gw_call_key (&call, EDGE_KEY_UPLOADS_DUE);
    gw_call_arg (&call, name);
    gw_call_arg (&call, now);
    gw_call_arg (&call, gw_req_adopt (req, edge_key_deployment (org, "")));
    //  Names are [A-Za-z0-9_]: nothing to escape in the JSON
    gw_call_argf (&call,
                  "{\"org\":\"%s\",\"app\":\"%s\",\"prefixes\":[\"dxf/%s/%s/\","
                  "\"pat/%s/%s/\",\"traces/%s/%s/\",\"builds/%s/%s/\"]}",
                  org, name, org, name, org, name, org, name, org, name);
    gw_call_int (&call, now_ms);
    gw_call_arg (&call, gw_req_adopt (req, edge_key_app_trace (org, name, "")));
    gw_call_arg (&call, "app deleted");
    redisReply *reply = gw_call_run (&call, thread, &gw_lua_apps_delete,
                                     s_delete_answers, name);
    if (reply && reply->elements == 2) {
        edge_info ("app %s deleted by %s (%lld pending uploads expired; its "
                   "files are deleted by the next reaper pass)",
                   name, gw_req_identity (req),
                   (long long) reply->element[1]->integer);
        gw_req_reply_data (req, 204, "application/json", "", 0);
    }
    else if (reply)
        gw_req_reply_redis_failed (req, reply, "apps: delete");
    freeReplyObject (reply);
}
