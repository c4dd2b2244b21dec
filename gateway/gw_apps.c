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
#include "gw_deployments.h"
#include "gw_list.h"
#include "gw_lua.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_DEPLOYMENTS   64
#define S_DEFAULT_MAXBUILDS 5

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

static const char *
s_org (gw_req_t *req)
{
    return gw_req_principal (req)->org;
}


static char *
s_key (gw_req_t *req, const char *name)
{
    return gw_req_adopt (req, edge_key_app (s_org (req), name));
}


static char *
s_dep_prefix (gw_req_t *req)
{
    return gw_req_adopt (req, edge_key_deployment (s_org (req), ""));
}


//  Stored JSON text of the given type, else dflt (taken).
static json_t *
s_json (const char *text, json_type type, json_t *dflt)
{
    json_t *value = text ? json_loads (text, JSON_DECODE_ANY, NULL) : NULL;
    if (value && json_typeof (value) == type) {
        json_decref (dflt);
        return value;
    }
    json_decref (value);
    return dflt;
}


static json_t *
s_int (const char *text, long long dflt)
{
    return json_integer (text ? strtoll (text, NULL, 10) : dflt);
}


static json_t *
s_bool (const char *text)
{
    return json_boolean (text && strcmp (text, "1") == 0);
}


static void
s_not_found (gw_req_t *req, const char *name)
{
    gw_req_reply_fail (req, 404, "not_found", NULL, "app '%s' not found", name);
}


//  The app object of a HGETALL reply (architecture §6), or NULL when the app
//  is gone. Caller owns.
static json_t *
s_object (const redisReply *hash)
{
    const char *name = edge_redis_hash_field (hash, "name");
    if (!name)
        return NULL;
#define S_GET(field) edge_redis_hash_field (hash, field)
    json_t *obj = json_object ();
    json_object_set_new (obj, "name", json_string (name));
    json_object_set_new (obj, "label", edge_json_text (S_GET ("label")));
    json_object_set_new (obj, "maxBuilds",
                         s_int (S_GET ("maxBuilds"), S_DEFAULT_MAXBUILDS));
    json_object_set_new (
        obj, "deployments",
        s_json (S_GET ("deployments"), JSON_ARRAY, json_array ()));
    json_object_set_new (obj, "iCurBuild", s_int (S_GET ("iCurBuild"), 0));
    json_object_set_new (obj, "dxfName", edge_json_text (S_GET ("dxfName")));
    json_object_set_new (obj, "builds",
                         s_json (S_GET ("builds"), JSON_ARRAY, json_array ()));
    json_object_set_new (obj, "patches",
                         s_json (S_GET ("patches"), JSON_ARRAY, json_array ()));
    json_object_set_new (obj, "processing", s_bool (S_GET ("processing")));
    json_object_set_new (obj, "exporting", s_bool (S_GET ("exporting")));
    json_object_set_new (obj, "locked", s_bool (S_GET ("locked")));
    json_object_set_new (obj, "error",
                         s_json (S_GET ("error"), JSON_OBJECT, json_null ()));
    json_object_set_new (obj, "sizeBytes", s_int (S_GET ("sizeBytes"), 0));
    json_object_set_new (obj, "created", edge_json_text (S_GET ("created")));
    json_object_set_new (obj, "updated", edge_json_text (S_GET ("updated")));
#undef S_GET
    return obj;
}


//  The body's "deployments" (absent or null: none) as deduplicated names
//  into names[S_MAX_DEPLOYMENTS]; *json gets their JSON array text (freed
//  with the request). Returns the count, or -1 with err set.
static int
s_deployments (gw_req_t *req,
               const json_t *body,
               const char **names,
               char **json,
               edge_json_err_t *err)
{
    json_t *array = json_object_get (body, "deployments");
    json_t *out = gw_req_adopt_json (req, json_array ());
    int count = 0;
    size_t i;
    json_t *item;
    json_array_foreach (array, i, item)
    {
        const char *name = json_string_value (item);
        if (!gw_deployments_name_is_valid (name))
            return edge_json_err_set (err, 400, "invalid_field", "deployments",
                                      "field 'deployments' items must be "
                                      "deployment names "
                                      "(^[A-Za-z0-9_\\[\\]]{2,50}$)");
        bool is_dup = false;
        for (int k = 0; k < count && !is_dup; k++)
            is_dup = strcmp (names[k], name) == 0;
        if (!is_dup) {
            names[count++] = name;
            json_array_append_new (out, json_string (name));
        }
    }
    *json = gw_req_adopt (req, edge_json_dumps (out));
    return count;
}


//  Answer a script's reply: {'ok', HGETALL} with status, or the refusals
//  shared by create and patch.
static void
s_reply (gw_req_t *req,
         const redisReply *reply,
         int status,
         const char *name,
         const char *what)
{
    json_t *obj = edge_redis_script_is (reply, "ok") && reply->elements == 2
                      ? s_object (reply->element[1])
                      : NULL;
    if (obj) {
        edge_info ("app %s %s by %s", name, what, gw_req_identity (req));
        gw_req_reply_json (req, status, obj);
    }
    else if (edge_redis_script_is (reply, "unknown_deployment")
             && reply->elements == 2)
        gw_req_reply_fail (req, 422, "unknown_deployment", "deployments",
                           "deployment '%s' does not exist",
                           reply->element[1]->str);
    else if (edge_redis_script_is (reply, "conflict"))
        gw_req_reply_fail (req, 409, "conflict", "name",
                           "app '%s' already exists", name);
    else if (edge_redis_script_is (reply, "app_deleting"))
        gw_req_reply_fail (req, 409, "app_deleting", "name",
                           "app '%s' was deleted and its files are still "
                           "being removed; try again shortly",
                           name);
    else if (edge_redis_script_is (reply, "not_found"))
        s_not_found (req, name);
    else if (edge_redis_script_is (reply, "no_org"))
        gw_req_reply_fail (req, 404, "not_found", NULL,
                           "organization '%s' not found", s_org (req));
    else
        gw_req_reply_redis_failed (req, reply, "apps: write");
}


void
gw_apps_create (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    edge_json_err_t err;
    const char *deps[S_MAX_DEPLOYMENTS];
    char *deps_json = NULL;
    json_t *body = gw_req_json (req, &err);
    int ndeps = -1;
    if (!body
        || edge_json_check (body, s_create_fields, EDGE_COUNT (s_create_fields),
                            &err)
        || (ndeps = s_deployments (req, body, deps, &deps_json, &err)) < 0) {
        gw_req_reply_error (req, &err);
        return;
    }
    const char *name = edge_json_str (body, "name", NULL);
    int64_t now_ms = edge_now_ms ();
    char created[32];
    edge_rfc3339 (now_ms, created, sizeof created);
    const char *keys[] = {s_key (req, name),
                          gw_req_adopt (req, edge_key_apps (s_org (req))),
                          gw_req_adopt (req, edge_key_org_info (s_org (req)))};
    const char *args[4 + S_MAX_DEPLOYMENTS + 32] = {
        name, gw_req_sprintf (req, "%lld", (long long) now_ms),
        s_dep_prefix (req), gw_req_sprintf (req, "%d", ndeps)};
    int nargs = 4;
    for (int i = 0; i < ndeps; i++)
        args[nargs++] = deps[i];
    const char *pairs[] = {
        "name",
        name,
        "label",
        edge_json_str (body, "label", ""),
        "maxBuilds",
        gw_req_sprintf (
            req, "%lld",
            (long long) edge_json_int (body, "maxBuilds", S_DEFAULT_MAXBUILDS)),
        "deployments",
        deps_json,
        "iCurBuild",
        "0",
        "processing",
        "0",
        "exporting",
        "0",
        "locked",
        "0",
        "sizeBytes",
        "0",
        "created",
        created,
        "updated",
        created};
    for (size_t i = 0; i < EDGE_COUNT (pairs); i++)
        args[nargs++] = pairs[i];
    redisReply *reply = edge_redis_eval (
        gw_thread_redis (thread), &gw_lua_apps_create, 3, keys, nargs, args);
    if (edge_redis_script_is (reply, "ok"))
        gw_req_reply_header (req, "Location",
                             gw_req_sprintf (req, "/be/v1/apps/%s", name));
    s_reply (req, reply, 201, name, "created");
    freeReplyObject (reply);
}


void
gw_apps_list (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    gw_list_reply_hashes (req, gw_thread_redis (thread), &s_spec,
                          gw_req_adopt (req, edge_key_apps (s_org (req))),
                          s_key (req, ""), s_object, "apps: list");
}


void
gw_apps_get (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    gw_list_t list;
    if (gw_list_parse_req (req, &s_spec, true, &list))
        return;
    const char *name = gw_req_param (req, "appName");
    redisReply *reply = edge_redis_command (gw_thread_redis (thread),
                                            "HGETALL %s", s_key (req, name));
    json_t *obj = NULL;
    if (!reply || reply->type != REDIS_REPLY_ARRAY)
        gw_req_reply_redis_failed (req, reply, "apps: get");
    else if ((obj = s_object (reply)))
        gw_req_reply_json (req, 200, gw_list_project (&list, obj));
    else
        s_not_found (req, name);
    freeReplyObject (reply);
}


void
gw_apps_patch (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    edge_json_err_t err;
    const char *deps[S_MAX_DEPLOYMENTS];
    char *deps_json = NULL;
    json_t *body = gw_req_json (req, &err);
    int ndeps = -1;
    if (!body
        || edge_json_check (body, s_patch_fields, EDGE_COUNT (s_patch_fields),
                            &err)
        || (ndeps = s_deployments (req, body, deps, &deps_json, &err)) < 0) {
        gw_req_reply_error (req, &err);
        return;
    }
    bool has_deps = json_object_get (body, "deployments") != NULL;
    const char *name = edge_json_str (body, "name", NULL);
    char now[32];
    edge_rfc3339 (edge_now_ms (), now, sizeof now);
    const char *keys[] = {s_key (req, name)};
    const char *args[4 + S_MAX_DEPLOYMENTS + 16] = {
        name, "", s_dep_prefix (req),
        has_deps ? gw_req_sprintf (req, "%d", ndeps) : "-1"};
    int nargs = 4;
    for (int i = 0; has_deps && i < ndeps; i++)
        args[nargs++] = deps[i];
    const char *label = edge_json_str (body, "label", NULL);
    json_t *max_builds = json_object_get (body, "maxBuilds");
    const char *pairs[] = {
        "updated",
        now,
        "locked",
        "0",
        "label",
        label,
        "maxBuilds",
        max_builds ? gw_req_sprintf (
            req, "%lld", (long long) json_integer_value (max_builds))
                   : NULL,
        "deployments",
        has_deps ? deps_json : NULL};
    for (size_t i = 0; i < EDGE_COUNT (pairs); i += 2)
        if (pairs[i + 1]) {
            args[nargs++] = pairs[i];
            args[nargs++] = pairs[i + 1];
        }
    redisReply *reply = edge_redis_eval (
        gw_thread_redis (thread), &gw_lua_apps_patch, 1, keys, nargs, args);
    s_reply (req, reply, 200, name, "patched");
    freeReplyObject (reply);
}


void
gw_apps_delete (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    const char *name = gw_req_param (req, "appName");
    const char *org = s_org (req);
    char *app_key = s_key (req, name);
    const char *keys[] = {app_key,
                          gw_req_adopt (req, edge_key_apps (org)),
                          EDGE_KEY_GC_DUE,
                          EDGE_KEY_EVENTS,
                          gw_req_adopt (req, edge_key_app_imports (org, name)),
                          gw_req_adopt (req, edge_key_training (org, name)),
                          gw_req_adopt (req, edge_key_app_traces (org, name)),
                          EDGE_KEY_UPLOADS_DUE};
    //  Names are [A-Za-z0-9_]: nothing to escape in the JSON
    const char *entry = gw_req_sprintf (
        req,
        "{\"org\":\"%s\",\"app\":\"%s\",\"prefixes\":[\"dxf/%s/%s/\","
        "\"pat/%s/%s/\",\"traces/%s/%s/\",\"builds/%s/%s/\"]}",
        org, name, org, name, org, name, org, name, org, name);
    int64_t now_ms = edge_now_ms ();
    char now[32];
    edge_rfc3339 (now_ms, now, sizeof now);
    const char *args[] = {
        name,
        now,
        s_dep_prefix (req),
        entry,
        gw_req_sprintf (req, "%lld", (long long) now_ms),
        gw_req_adopt (req, edge_key_app_trace (org, name, "")),
        "app deleted"};
    redisReply *reply = edge_redis_eval (
        gw_thread_redis (thread), &gw_lua_apps_delete, (int) EDGE_COUNT (keys),
        keys, (int) EDGE_COUNT (args), args);
    if (edge_redis_script_is (reply, "ok") && reply->elements == 2) {
        edge_info ("app %s deleted by %s (%lld pending uploads expired; its "
                   "files are deleted by the next reaper pass)",
                   name, gw_req_identity (req),
                   (long long) reply->element[1]->integer);
        gw_req_reply_data (req, 204, "application/json", "", 0);
    }
    else if (edge_redis_script_is (reply, "not_found"))
        s_not_found (req, name);
    else
        gw_req_reply_redis_failed (req, reply, "apps: delete");
    freeReplyObject (reply);
}
