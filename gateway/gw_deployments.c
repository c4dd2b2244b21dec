/*  gw_deployments - deployments (publication targets) of an organization.

    Redis layout (O = org; every key is built from the caller's org, so
    another org's deployment is a 404 like a missing one):
    - e:{O}:deployments             zset name -> created ms
    - e:{O}:deployment:<name>       hash name, kind ("s3"|"fs"), originPrefix,
                                    s3: endpoint, region, bucket, accessKeyId,
                                    secretAccessKey (as given: the deploy task
                                    needs it; never returned, never logged);
                                    fs: path; status ("new" until the first
                                    publish, then "ok"|"error", set by the
                                    deploy task), message (absent = null),
                                    created, updated (RFC 3339 ms)
    - e:{O}:deployment:<name>:apps  set of the apps registered to it
                                    (maintained by gw_apps' scripts); DELETE
                                    checks it and deletes in one script.
    - e:{O}:deployment:<name>:deleting  the settings of a deleted
                                    deployment until the worker's sweep has
                                    removed the org's dxf/ and pat/ files
                                    from it (entry on e:gc:due).  */
#include "gw_deployments.h"
#include "gw_deployments_check.h"
#include "edge_json.h"
#include "edge_keys.h"
#include "edge_log.h"
#include "edge_urlguard.h"
#include "edge_util.h"
#include "gw_call.h"
#include "gw_hash.h"
#include "gw_list.h"
#include "gw_lua.h"
#include <civetweb.h>
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_PATCH_TRIES 3

static const char *const s_fields[] = {
    "name",   "kind",    "originPrefix", "s3",      "fs",
    "status", "message", "created",      "updated", NULL};
static const gw_list_spec_t s_spec = {s_fields, NULL};

static const edge_json_field_t s_create_fields[] = {
    {"name", EDGE_JSON_STRING, true, 2, 50, false},
    {"kind", EDGE_JSON_STRING, true, 1, 8, false},
    {"originPrefix", EDGE_JSON_STRING, false, 0, 512, false},
    {"s3", EDGE_JSON_OBJECT, false, 0, 0, false},
    {"fs", EDGE_JSON_OBJECT, false, 0, 0, false},
};
static const edge_json_field_t s_patch_fields[] = {
    {"name", EDGE_JSON_STRING, true, 2, 50, false},
    {"kind", EDGE_JSON_STRING, false, 1, 8, false},
    {"originPrefix", EDGE_JSON_STRING, false, 0, 512, true},
    {"s3", EDGE_JSON_OBJECT, false, 0, 0, false},
    {"fs", EDGE_JSON_OBJECT, false, 0, 0, false},
};
static const edge_json_field_t s_s3_fields[] = {
    {"endpoint", EDGE_JSON_STRING, false, 1, 2048, false},
    {"region", EDGE_JSON_STRING, false, 1, 64, false},
    {"bucket", EDGE_JSON_STRING, false, 3, 63, false},
    {"accessKeyId", EDGE_JSON_STRING, false, 1, 256, false},
    {"secretAccessKey", EDGE_JSON_STRING, false, 1, 1024, false},
};
static const edge_json_field_t s_fs_fields[] = {
    {"path", EDGE_JSON_STRING, false, 1, 4096, false},
};

//  The public object by its hash's fields; "s3" and "fs" hold their place
//  (no such field: null) until s_object sets the kind's settings.
static const gw_hash_row_t s_rows[] = {
    {"name", GW_HASH_TEXT, NULL, 0},         {"kind", GW_HASH_TEXT, NULL, 0},
    {"originPrefix", GW_HASH_TEXT, NULL, 0}, {"s3", GW_HASH_OBJECT, NULL, 0},
    {"fs", GW_HASH_OBJECT, NULL, 0},         {"status", GW_HASH_TEXT, NULL, 0},
    {"message", GW_HASH_TEXT, NULL, 0},      {"created", GW_HASH_TEXT, NULL, 0},
    {"updated", GW_HASH_TEXT, NULL, 0},
};
static const gw_hash_row_t s_s3_rows[] = {
    {"endpoint", GW_HASH_TEXT, NULL, 0},
    {"region", GW_HASH_TEXT, NULL, 0},
    {"bucket", GW_HASH_TEXT, NULL, 0},
    {"accessKeyId", GW_HASH_TEXT, NULL, 0},
};
static const gw_hash_row_t s_fs_rows[] = {{"path", GW_HASH_TEXT, NULL, 0}};
//  The settings of each kind (a patch to the other kind deletes them).
static const char *const s_fs_names[] = {"path"};
static const char *const s_s3_names[] = {"endpoint", "region", "bucket",
                                         "accessKeyId", "secretAccessKey"};

static const gw_call_answer_t s_create_answers[] = {
    {"conflict", EDGE_ERR_CONFLICT, "name", "deployment '{}' already exists"},
    {"deleting", EDGE_ERR_DEPLOYMENT_DELETING, "name",
     "deployment '{}' was deleted and its published files are still being "
     "removed; try again shortly"},
    {"no_org", EDGE_ERR_NOT_FOUND, NULL, "organization '{org}' not found"},
    {NULL}};
static const gw_call_answer_t s_patch_answers[] = {
    {"not_found", EDGE_ERR_NOT_FOUND, NULL, "deployment '{}' not found"},
    {"changed", EDGE_ERR_CONFLICT, NULL,
     "deployment '{}' kept changing; try again"},
    {NULL}};
static const gw_call_answer_t s_delete_answers[] = {
    {"not_found", EDGE_ERR_NOT_FOUND, NULL, "deployment '{}' not found"},
    {NULL}};


bool
gw_deployments_name_is_valid (const char *name)
{
    if (!name)
        return false;
    size_t len = strspn (name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "abcdefghijklmnopqrstuvwxyz0123456789_[]");
    return name[len] == 0 && len >= 2 && len <= 50;
}


//  The public object of a HGETALL reply (secret masked), or NULL when the
//  deployment is gone. Caller owns.
static json_t *
s_object (const redisReply *hash)
{
    if (!edge_redis_hash_field (hash, "name"))
        return NULL;
    json_t *obj = gw_hash_json (hash, s_rows, EDGE_COUNT (s_rows));
    const char *kind = edge_redis_hash_field (hash, "kind");
    if (kind && strcmp (kind, "s3") == 0) {
        json_t *s3 = gw_hash_json (hash, s_s3_rows, EDGE_COUNT (s_s3_rows));
        json_object_set_new (s3, "secretAccessKey",
                             json_string (GW_DEPLOYMENTS_MASK));
        json_object_set_new (obj, "s3", s3);
    }
    else
        json_object_set_new (obj, "fs", gw_hash_json (hash, s_fs_rows, 1));
    if (json_is_null (json_object_get (obj, "originPrefix")))
        json_object_set_new (obj, "originPrefix", json_string (""));
    if (json_is_null (json_object_get (obj, "status")))
        json_object_set_new (obj, "status", json_string ("new"));
    return obj;
}


//  Check a sub-object ("s3" or "fs") and name its fields "s3.endpoint".
static int
s_check_sub (const json_t *obj,
             const char *prefix,
             const edge_json_field_t *fields,
             size_t count,
             edge_json_err_t *err)
{
    if (!obj || !edge_json_check (obj, fields, count, err))
        return 0;
    if (err->field[0]) {
        char field[64];
        snprintf (field, sizeof field, "%s.%.40s", prefix, err->field);
        snprintf (err->field, sizeof err->field, "%s", field);
    }
    else
        snprintf (err->field, sizeof err->field, "%s", prefix);
    return -1;
}


//  Apply the body's kind, originPrefix and sub-object onto dep (a patch
//  starts from the stored settings, a create from nothing). A changed kind
//  drops the other kind's settings. In a patch, the mask as the secret
//  keeps the stored secret. Returns 0, or -1 with err set.
static int
s_apply (const json_t *body, gw_deployments_dep_t *dep, edge_json_err_t *err)
{
    const char *kind = edge_json_str (body, "kind", NULL);
    if (kind && strcmp (kind, "s3") != 0 && strcmp (kind, "fs") != 0)
        return edge_json_err_set (err, 400, "invalid_field", "kind",
                                  "field 'kind' must be one of s3, fs");
    if (kind && dep->kind && strcmp (kind, dep->kind) != 0)
        *dep = (gw_deployments_dep_t){
            .name = dep->name, .kind = kind, .prefix = dep->prefix};
    dep->kind = kind ? kind : dep->kind;
    json_t *prefix = json_object_get (body, "originPrefix");
    if (prefix)
        dep->prefix = json_is_null (prefix) ? "" : json_string_value (prefix);
    json_t *s3 = json_object_get (body, "s3"),
           *fs = json_object_get (body, "fs");
    const char *wrong =
        strcmp (dep->kind, "s3") == 0 ? (fs ? "fs" : NULL) : (s3 ? "s3" : NULL);
    if (wrong)
        return edge_json_err_set (err, 400, "invalid_field", wrong,
                                  "field '%s' does not go with kind '%s'",
                                  wrong, dep->kind);
    if (s_check_sub (s3, "s3", s_s3_fields, EDGE_COUNT (s_s3_fields), err)
        || s_check_sub (fs, "fs", s_fs_fields, EDGE_COUNT (s_fs_fields), err))
        return -1;
    dep->endpoint = edge_json_str (s3, "endpoint", dep->endpoint);
    dep->region = edge_json_str (s3, "region", dep->region);
    dep->bucket = edge_json_str (s3, "bucket", dep->bucket);
    dep->key_id = edge_json_str (s3, "accessKeyId", dep->key_id);
    const char *secret = edge_json_str (s3, "secretAccessKey", NULL);
    if (secret && !(dep->secret && strcmp (secret, GW_DEPLOYMENTS_MASK) == 0))
        dep->secret = secret;
    dep->path = edge_json_str (fs, "path", dep->path);
    return 0;
}


//  The hash's settings pairs of dep (those set).
static void
s_pairs (gw_call_t *call, const gw_deployments_dep_t *dep)
{
    gw_call_pair (call, "name", dep->name);
    gw_call_pair (call, "kind", dep->kind);
    gw_call_pair (call, "originPrefix", dep->prefix);
    gw_call_pair (call, "endpoint", dep->endpoint);
    gw_call_pair (call, "region", dep->region);
    gw_call_pair (call, "bucket", dep->bucket);
    gw_call_pair (call, "accessKeyId", dep->key_id);
    gw_call_pair (call, "secretAccessKey", dep->secret);
    gw_call_pair (call, "path", dep->path);
}


//  Answer the {'ok', HGETALL} of the create and patch scripts.
static void
s_reply_object (gw_req_t *req, const redisReply *reply, int status)
{
    json_t *obj = reply->elements == 2 ? s_object (reply->element[1]) : NULL;
    if (obj)
        gw_req_reply_json (req, status, obj);
    else
        gw_req_reply_redis_failed (req, reply, "deployments: write");
}


//  The body of a create or patch, checked against fields, with a valid
//  deployment name. Returns the body (borrowed) or NULL with err set.
static json_t *
s_body (gw_req_t *req,
        const edge_json_field_t *fields,
        size_t count,
        edge_json_err_t *err)
{
    json_t *body = gw_req_json (req, err);
    if (!body || edge_json_check (body, fields, count, err))
        return NULL;
    if (!gw_deployments_name_is_valid (edge_json_str (body, "name", NULL))) {
        edge_json_err_set (err, 400, "invalid_field", "name",
                           "field 'name' must match "
                           "^[A-Za-z0-9_\\[\\]]{2,50}$");
        return NULL;
    }
    return body;
}


void
gw_deployments_create (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    edge_json_err_t err;
    json_t *body =
        s_body (req, s_create_fields, EDGE_COUNT (s_create_fields), &err);
    gw_deployments_dep_t dep = {.name = edge_json_str (body, "name", NULL),
                                .prefix = ""};
    if (!body || s_apply (body, &dep, &err)
        || gw_deployments_check (ctx, &dep, true, &err)) {
        gw_req_reply_error (req, &err);
        return;
    }
    const char *org = gw_req_org (req);
    int64_t now_ms = edge_now_ms ();
    char created[32];
    edge_rfc3339 (now_ms, created, sizeof created);
    gw_call_t call;
    gw_call_init (&call, req);
    gw_call_key_take (&call, edge_key_org_info (org));
    gw_call_key_take (&call, edge_key_deployments (org));
    gw_call_key_take (&call, edge_key_deployment (org, dep.name));
    gw_call_arg (&call, dep.name);
    gw_call_int (&call, now_ms);
    s_pairs (&call, &dep);
    gw_call_pair (&call, "status", "new");
    gw_call_pair (&call, "created", created);
    gw_call_pair (&call, "updated", created);
    redisReply *reply = gw_call_run (&call, thread, &gw_lua_deployments_create,
                                     s_create_answers, dep.name);
    if (!reply)
        return;
    edge_info ("deployment %s (%s) created by %s", dep.name, dep.kind,
               gw_req_identity (req));
    gw_req_reply_header (
        req, "Location",
        gw_req_sprintf (req, "/be/v1/deployments/%s", dep.name));
    s_reply_object (req, reply, 201);
    freeReplyObject (reply);
}


//  Filters of GET /be/v1/deployments beyond the list parameters.
static const char *const s_filters[] = {"name", "error"};

//  The filters of the list. Returns 0, or -1 with err set.
static int
s_split_query (gw_req_t *req, char **values, char **rest, edge_json_err_t *err)
{
    if (gw_list_split_query (req, s_filters, EDGE_COUNT (s_filters), values,
                             rest, err))
        return -1;
    if (values[1] && strcmp (values[1], "true") != 0
        && strcmp (values[1], "false") != 0)
        return edge_json_err_set (err, 400, "invalid_field", "error",
                                  "query parameter 'error' must be true or "
                                  "false");
    return 0;
}


//  True when part occurs in text, ignoring ASCII case.
static bool
s_contains (const char *text, const char *part)
{
    size_t plen = strlen (part);
    for (const char *p = text; strlen (p) >= plen; p++)
        if (strncasecmp (p, part, plen) == 0)
            return true;
    return false;
}


//  The index entries ({name, created, status} triples of s_index) that
//  pass the filters, into entries (names borrowed from reply). Returns the
//  count, or -1 when the reply is odd.
static ssize_t
s_filtered (const redisReply *reply, char **values, gw_list_entry_t *entries)
{
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements % 3)
        return -1;
    size_t count = 0;
    for (size_t i = 0; i < reply->elements; i += 3) {
        redisReply **e = reply->element + i;
        if (e[0]->type != REDIS_REPLY_STRING || e[1]->type != REDIS_REPLY_STRING
            || e[2]->type != REDIS_REPLY_STRING)
            return -1;
        bool is_error = strcmp (e[2]->str, "error") == 0;
        if (values[0] && !s_contains (e[0]->str, values[0]))
            continue;
        if (values[1] && is_error != (strcmp (values[1], "true") == 0))
            continue;
        entries[count++] =
            (gw_list_entry_t){e[0]->str, (int64_t) strtod (e[1]->str, NULL)};
    }
    return (ssize_t) count;
}


//  The objects of the page (one script). Returns an array (caller owns),
//  or NULL with the answer set.
static json_t *
s_page_items (gw_req_t *req,
              edge_redis_t *redis,
              const gw_list_t *list,
              const gw_list_entry_t *page,
              size_t count)
{
    json_t *items = json_array ();
    if (count == 0)
        return items;
    const char *org = gw_req_org (req);
    const char **keys = gw_req_alloc (req, count * sizeof *keys);
    for (size_t i = 0; i < count; i++)
        keys[i] = gw_req_adopt (req, edge_key_deployment (org, page[i].name));
    redisReply *reply = edge_redis_eval (redis, &gw_lua_list_hashes,
                                         (int) count, keys, 0, NULL);
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        gw_req_reply_redis_failed (req, reply, "deployments: list");
        json_decref (items);
        items = NULL;
    }
    for (size_t i = 0; items && i < reply->elements; i++) {
        json_t *obj = s_object (reply->element[i]);
        if (obj) //  one deleted meanwhile is left out
            json_array_append_new (items, gw_list_project (list, obj));
    }
    freeReplyObject (reply);
    return items;
}


void
gw_deployments_list (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    edge_json_err_t err;
    char *values[EDGE_COUNT (s_filters)] = {NULL}, *rest;
    gw_list_t list;
    if (s_split_query (req, values, &rest, &err)
        || gw_list_parse (rest, &s_spec, &list, &err)) {
        gw_req_reply_error (req, &err);
        return;
    }
    edge_redis_t *redis = gw_thread_redis (thread);
    const char *org = gw_req_org (req);
    gw_call_t call;
    gw_call_init (&call, req);
    gw_call_key_take (&call, edge_key_deployments (org));
    gw_call_arg (&call, gw_req_adopt (req, edge_key_deployment (org, "")));
    redisReply *reply = gw_call_eval (&call, thread, &gw_lua_deployments_index);
    gw_list_entry_t *entries =
        reply && reply->type == REDIS_REPLY_ARRAY
            ? gw_req_alloc (req, (reply->elements / 3 + 1) * sizeof *entries)
            : NULL;
    ssize_t total = entries ? s_filtered (reply, values, entries) : -1;
    if (total < 0) {
        gw_req_reply_redis_failed (req, reply, "deployments: index");
        freeReplyObject (reply);
        return;
    }
    gw_list_sort (&list, entries, (size_t) total);
    size_t first, count = gw_list_bounds (&list, (size_t) total, &first);
    json_t *items = s_page_items (req, redis, &list, entries + first, count);
    if (items)
        gw_req_reply_json (req, 200,
                           gw_list_answer (&list, (size_t) total, items));
    freeReplyObject (reply);
}


//  HGETALL of the deployment. Returns the reply (caller frees) with an
//  answer set when it is NULL (Redis) or empty (404).
static redisReply *
s_read (gw_req_t *req, gw_thread_t *thread, const char *name)
{
    redisReply *hash = edge_redis_command (
        gw_thread_redis (thread), "HGETALL %s",
        gw_req_adopt (req, edge_key_deployment (gw_req_org (req), name)));
    if (!hash || hash->type != REDIS_REPLY_ARRAY) {
        gw_req_reply_redis_failed (req, hash, "deployments: get");
        freeReplyObject (hash);
        return NULL;
    }
    if (hash->elements == 0)
        gw_call_fail (req, EDGE_ERR_NOT_FOUND, NULL,
                      "deployment '%s' not found", name);
    return hash;
}


void
gw_deployments_get (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    gw_list_t list;
    if (gw_list_parse_req (req, &s_spec, true, &list))
        return;
    const char *name = gw_req_param (req, "deploymentName");
    redisReply *hash = s_read (req, thread, name);
    json_t *obj = hash ? s_object (hash) : NULL;
    if (obj)
        gw_req_reply_json (req, 200, gw_list_project (&list, obj));
    freeReplyObject (hash);
}


//  The stored settings of a HGETALL reply (borrowed from it).
static gw_deployments_dep_t
s_stored (const redisReply *hash)
{
    const char *prefix = edge_redis_hash_field (hash, "originPrefix");
    const char *kind = edge_redis_hash_field (hash, "kind");
    return (gw_deployments_dep_t){
        edge_redis_hash_field (hash, "name"),
        kind ? kind : "fs",
        prefix ? prefix : "",
        edge_redis_hash_field (hash, "endpoint"),
        edge_redis_hash_field (hash, "region"),
        edge_redis_hash_field (hash, "bucket"),
        edge_redis_hash_field (hash, "accessKeyId"),
        edge_redis_hash_field (hash, "secretAccessKey"),
        edge_redis_hash_field (hash, "path")};
}


//  One read-check-write round of a patch. Returns the script's reply
//  (caller frees; {'changed'} means: try again), or NULL with the answer
//  set.
static redisReply *
s_patch_once (gw_req_t *req,
              const gw_ctx_t *ctx,
              gw_thread_t *thread,
              const json_t *body)
{
    edge_json_err_t err;
    const char *name = edge_json_str (body, "name", NULL);
    redisReply *hash = s_read (req, thread, name), *reply = NULL;
    if (!hash || hash->elements == 0)
        goto cleanup;
    gw_deployments_dep_t dep = s_stored (hash);
    const char *was_kind = dep.kind;
    json_t *s3 = json_object_get (body, "s3");
    if (s_apply (body, &dep, &err)
        || gw_deployments_check (ctx, &dep,
                                 json_object_get (s3, "endpoint")
                                     || strcmp (was_kind, dep.kind) != 0,
                                 &err)) {
        gw_req_reply_error (req, &err);
        goto cleanup;
    }
    const char *updated = edge_redis_hash_field (hash, "updated");
    char now[32];
    edge_rfc3339 (edge_now_ms (), now, sizeof now);
    bool is_s3 = strcmp (dep.kind, "s3") == 0;
    gw_call_t call;
    gw_call_init (&call, req);
    gw_call_key_take (&call, edge_key_deployment (gw_req_org (req), name));
    gw_call_arg (&call, updated ? updated : "");
    //  The other kind's settings go
    const char *const *drop = is_s3 ? s_fs_names : s_s3_names;
    size_t ndrop = is_s3 ? EDGE_COUNT (s_fs_names) : EDGE_COUNT (s_s3_names);
    gw_call_int (&call, (int64_t) ndrop);
    for (size_t i = 0; i < ndrop; i++)
        gw_call_arg (&call, drop[i]);
    s_pairs (&call, &dep);
    gw_call_pair (&call, "updated", now);
    reply = gw_call_eval (&call, thread, &gw_lua_deployments_patch);
    if (!edge_redis_script_status (reply)) {
        gw_req_reply_redis_failed (req, reply, "deployments: patch");
        freeReplyObject (reply);
        reply = NULL;
    }
cleanup:
    freeReplyObject (hash);
    return reply;
}


void
gw_deployments_patch (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    edge_json_err_t err;
    json_t *body =
        s_body (req, s_patch_fields, EDGE_COUNT (s_patch_fields), &err);
    if (!body) {
        gw_req_reply_error (req, &err);
        return;
    }
    const char *name = edge_json_str (body, "name", NULL);
    redisReply *reply = NULL;
    for (int i = 0; i < S_PATCH_TRIES; i++) {
        freeReplyObject (reply);
        reply = s_patch_once (req, ctx, thread, body);
        if (!edge_redis_script_is (reply, "changed"))
            break;
    }
    if (reply)
        reply = gw_call_answer (req, reply, s_patch_answers, name,
                                "deployments: patch");
    if (!reply)
        return;
    edge_info ("deployment %s patched by %s", name, gw_req_identity (req));
    s_reply_object (req, reply, 200);
    freeReplyObject (reply);
}


//  Answer the refusal {'in_use', app...} of the delete script.
static void
s_in_use (gw_req_t *req, const redisReply *reply, const char *name)
{
    char apps[400] = "";
    for (size_t i = 1; i < reply->elements; i++)
        if (reply->element[i]->type == REDIS_REPLY_STRING)
            snprintf (apps + strlen (apps), sizeof apps - strlen (apps), "%s%s",
                      i > 1 ? ", " : "", reply->element[i]->str);
    gw_call_fail (req, EDGE_ERR_DEPLOYMENT_IN_USE, NULL,
                  "deployment '%s' is used by app(s) %s%s; deregister it "
                  "with PATCH /be/v1/apps first",
                  name, apps, reply->elements > 5 ? ", ..." : "");
}


void
gw_deployments_delete (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    const char *name = gw_req_param (req, "deploymentName");
    const char *org = gw_req_org (req);
    gw_call_t call;
    gw_call_init (&call, req);
    gw_call_key_take (&call, edge_key_deployment (org, name));
    gw_call_key_take (&call, edge_key_deployments (org));
    gw_call_key_take (&call, edge_key_deployment_apps (org, name));
    gw_call_key (&call, EDGE_KEY_GC_DUE);
    gw_call_arg (&call, name);
    //  Names are [A-Za-z0-9_[]]: nothing to escape in the JSON
    gw_call_argf (&call,
                  "{\"org\":\"%s\",\"deployment\":\"%s\",\"prefixes\":"
                  "[\"dxf/%s/\",\"pat/%s/\"]}",
                  org, name, org, org);
    gw_call_int (&call, edge_now_ms ());
    redisReply *reply =
        gw_call_eval (&call, thread, &gw_lua_deployments_delete);
    if (edge_redis_script_is (reply, "in_use")) {
        s_in_use (req, reply, name);
        freeReplyObject (reply);
        return;
    }
    reply = gw_call_answer (req, reply, s_delete_answers, name,
                            "deployments: delete");
    if (!reply)
        return;
    edge_info ("deployment %s deleted by %s (its published files are "
               "deleted by the next reaper pass)",
               name, gw_req_identity (req));
    gw_req_reply_data (req, 204, "application/json", "", 0);
    freeReplyObject (reply);
}
