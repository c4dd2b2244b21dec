/*  gw_roles - roles and their permissions (/be/v1/roles): list, get,
    create, patch (given resources only) and delete (refused while a user
    holds the role). The role Administrators, made with every org, can be
    neither changed nor deleted.

    Layout: architecture §3 and §6. The permissions field is stored as
    JSON text with every resource, in edge_perm's order. Every key is built
    from the caller's org, so another org's role is a 404. Every write is
    one Lua script (gateway/lua/roles_*.lua).  */
#include "gw_roles.h"
#include "edge_keys.h"
#include "edge_log.h"
#include "edge_perm.h"
#include "edge_util.h"
#include "gw_call.h"
#include "gw_hash.h"
#include "gw_ident.h"
#include "gw_list.h"
#include "gw_lua.h"
#include <stdlib.h>
#include <string.h>

#define S_ADMIN GW_IDENT_ADMIN_ROLE

static const char *const s_fields[] = {"name",    "label",   "permissions",
                                       "created", "updated", NULL};
static const gw_list_spec_t s_spec = {s_fields, NULL};

static const edge_json_field_t s_create_fields[] = {
    {"name", EDGE_JSON_NAME, true, 0, 0, false},
    {"label", EDGE_JSON_STRING, false, 1, 256, false},
    {"permissions", EDGE_JSON_OBJECT, true, 0, 0, false},
};
static const edge_json_field_t s_patch_fields[] = {
    {"name", EDGE_JSON_NAME, true, 0, 0, false},
    {"label", EDGE_JSON_STRING, false, 1, 256, true},
    {"permissions", EDGE_JSON_OBJECT, false, 0, 0, false},
};

//  The role object; permissions as stored, made whole by s_role_json.
static const gw_hash_row_t s_rows[] = {
    {"name", GW_HASH_TEXT, NULL, 0},
    {"label", GW_HASH_TEXT, NULL, 0},
    {"permissions", GW_HASH_OBJECT, NULL, 0},
    {"created", GW_HASH_TEXT, NULL, 0},
    {"updated", GW_HASH_TEXT, NULL, 0},
};

//  The answers of the scripts, besides "ok".
static const gw_call_answer_t s_create_answers[] = {
    {"conflict", EDGE_ERR_CONFLICT, "name", "role '{}' already exists"},
    {"no_org", EDGE_ERR_NOT_FOUND, NULL, "organization '{org}' not found"},
    {NULL, EDGE_ERR_OK, NULL, NULL}};
static const gw_call_answer_t s_patch_answers[] = {
    {"not_found", EDGE_ERR_NOT_FOUND, NULL, "role '{}' not found"},
    {NULL, EDGE_ERR_OK, NULL, NULL}};
static const gw_call_answer_t s_delete_answers[] = {
    {"not_found", EDGE_ERR_NOT_FOUND, NULL, "role '{}' not found"},
    {"role_in_use", EDGE_ERR_ROLE_IN_USE, NULL,
     "role '{}' is held by {1} user(s); take it from them first"},
    {NULL, EDGE_ERR_OK, NULL, NULL}};


static void
s_immutable (gw_req_t *req)
{
    gw_call_fail (req, EDGE_ERR_IMMUTABLE_ROLE, NULL,
                  "role '%s' cannot be changed or deleted", S_ADMIN);
}


//  The role object of a HGETALL reply, or NULL when the role is gone.
//  Every resource is answered; stored values that are not valid grants
//  read as 0.
static json_t *
s_role_json (const redisReply *hash)
{
    if (!edge_redis_hash_field (hash, "name"))
        return NULL;
    json_t *obj = gw_hash_json (hash, s_rows, EDGE_COUNT (s_rows));
    const json_t *stored = json_object_get (obj, "permissions");
    int perms[EDGE_PERM_COUNT];
    for (size_t i = 0; i < EDGE_PERM_COUNT; i++) {
        json_t *value = json_object_get (stored, edge_perm_name (i));
        long long v = json_is_integer (value) ? json_integer_value (value) : 0;
        perms[i] = edge_perm_is_valid (i, v) ? (int) v : 0;
    }
    json_object_set_new (obj, "permissions", gw_ident_perms_json (perms));
    return obj;
}


//  Check a "permissions" object: known resources, valid grants. values[i]
//  is the grant of resource i, or -1 when not given.
static int
s_perms_parse (const json_t *perms,
               long long values[EDGE_PERM_COUNT],
               edge_json_err_t *err)
{
    for (size_t i = 0; i < EDGE_PERM_COUNT; i++)
        values[i] = -1;
    const char *key;
    json_t *value;
    json_object_foreach ((json_t *) perms, key, value)
    {
        int i = edge_perm_index (key);
        char field[64];
        snprintf (field, sizeof field, "permissions.%s", key);
        if (i < 0)
            return edge_json_err_set (err, 400, "unknown_field", field,
                                      "unknown resource '%.40s' in "
                                      "permissions",
                                      key);
        long long v = json_is_integer (value) ? json_integer_value (value) : -1;
        if (!json_is_integer (value) || !edge_perm_is_valid ((size_t) i, v)) {
            char letters[8];
            edge_perm_letters (edge_perm_max ((size_t) i), letters,
                               sizeof letters);
            return edge_json_err_set (err, 400, "invalid_field", field,
                                      "%s must be an integer from 0 to %d "
                                      "made of the bits %s",
                                      field, edge_perm_max ((size_t) i),
                                      letters);
        }
        values[i] = v;
    }
    return 0;
}


//  The permissions text of a new role: every resource, 0 when not given.
static char *
s_perms_text (const long long values[EDGE_PERM_COUNT])
{
    int perms[EDGE_PERM_COUNT];
    for (size_t i = 0; i < EDGE_PERM_COUNT; i++)
        perms[i] = values[i] < 0 ? 0 : (int) values[i];
    json_t *obj = gw_ident_perms_json (perms);
    char *text = edge_json_dumps (obj);
    json_decref (obj);
    return text;
}


//  Answer the {'ok', HGETALL} of the create and patch scripts; frees
//  reply.
static void
s_reply_role (gw_req_t *req, redisReply *reply, int status)
{
    json_t *role =
        reply->elements == 2 ? s_role_json (reply->element[1]) : NULL;
    if (role)
        gw_req_reply_json (req, status, role);
    else
        gw_req_reply_redis_failed (req, reply, "roles: write");
    freeReplyObject (reply);
}


void
gw_roles_list (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    const char *org = gw_req_org (req);
    gw_list_reply_hashes (req, gw_thread_redis (thread), &s_spec,
                          gw_req_adopt (req, edge_key_org_roles (org)),
                          gw_req_adopt (req, edge_key_role (org, "")),
                          s_role_json, "roles: list");
}


void
gw_roles_get (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    edge_json_err_t err;
    gw_list_t list;
    if (gw_list_parse_fields (gw_req_query (req), &s_spec, &list, &err)) {
        gw_req_reply_error (req, &err);
        return;
    }
    const char *name = gw_req_param (req, "roleName");
    char *key = gw_req_adopt (req, edge_key_role (gw_req_org (req), name));
    redisReply *reply =
        edge_redis_command (gw_thread_redis (thread), "HGETALL %s", key);
    json_t *role =
        reply && reply->type == REDIS_REPLY_ARRAY ? s_role_json (reply) : NULL;
    if (role)
        gw_req_reply_json (req, 200, gw_list_project (&list, role));
    else if (reply && reply->type == REDIS_REPLY_ARRAY)
        gw_call_fail (req, EDGE_ERR_NOT_FOUND, NULL, "role '%s' not found",
                      name);
    else
        gw_req_reply_redis_failed (req, reply, "roles: get");
    freeReplyObject (reply);
}


void
gw_roles_create (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    edge_json_err_t err;
    long long values[EDGE_PERM_COUNT];
    json_t *body = gw_req_json (req, &err);
    if (!body
        || edge_json_check (body, s_create_fields, EDGE_COUNT (s_create_fields),
                            &err)
        || s_perms_parse (json_object_get (body, "permissions"), values,
                          &err)) {
        gw_req_reply_error (req, &err);
        return;
    }
    const char *org = gw_req_org (req);
    const char *name = edge_json_str (body, "name", NULL);
    int64_t now_ms = edge_now_ms ();
    char created[32];
    edge_rfc3339 (now_ms, created, sizeof created);
    gw_call_t call;
    gw_call_init (&call, req);
    gw_call_key_take (&call, edge_key_org_info (org));
    gw_call_key_take (&call, edge_key_org_roles (org));
    gw_call_key_take (&call, edge_key_role (org, name));
    gw_call_arg (&call, name);
    gw_call_int (&call, now_ms);
    gw_call_pair (&call, "name", name);
    gw_call_pair (&call, "permissions",
                  gw_req_adopt (req, s_perms_text (values)));
    gw_call_pair (&call, "created", created);
    gw_call_pair (&call, "updated", created);
    gw_call_pair (&call, "label", edge_json_str (body, "label", NULL));
    redisReply *reply = gw_call_run (&call, thread, &gw_lua_roles_create,
                                     s_create_answers, name);
    if (!reply)
        return;
    gw_req_reply_header (req, "Location",
                         gw_req_sprintf (req, "/be/v1/roles/%s", name));
    s_reply_role (req, reply, 201);
}


void
gw_roles_patch (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    edge_json_err_t err;
    long long values[EDGE_PERM_COUNT];
    json_t *body = gw_req_json (req, &err);
    json_t *perms = body ? json_object_get (body, "permissions") : NULL;
    if (!body
        || edge_json_check (body, s_patch_fields, EDGE_COUNT (s_patch_fields),
                            &err)
        || (perms && s_perms_parse (perms, values, &err))) {
        gw_req_reply_error (req, &err);
        return;
    }
    const char *name = edge_json_str (body, "name", NULL);
    if (strcmp (name, S_ADMIN) == 0) {
        s_immutable (req);
        return;
    }
    json_t *label = json_object_get (body, "label");
    char updated[32];
    edge_rfc3339 (edge_now_ms (), updated, sizeof updated);
    gw_call_t call;
    gw_call_init (&call, req);
    gw_call_key_take (&call, edge_key_role (gw_req_org (req), name));
    gw_call_arg (&call, updated);
    gw_call_arg (&call,
                 json_is_string (label) ? json_string_value (label) : "");
    gw_call_arg (&call, json_is_null (label) ? "1" : "0");
    for (size_t i = 0; perms && i < EDGE_PERM_COUNT; i++) {
        gw_call_arg (&call, edge_perm_name (i));
        if (values[i] < 0)
            gw_call_arg (&call, "");
        else
            gw_call_int (&call, values[i]);
    }
    redisReply *reply =
        gw_call_run (&call, thread, &gw_lua_roles_patch, s_patch_answers, name);
    if (reply)
        s_reply_role (req, reply, 200);
}


void
gw_roles_delete (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    const char *org = gw_req_org (req);
    const char *name = gw_req_param (req, "roleName");
    if (strcmp (name, S_ADMIN) == 0) {
        s_immutable (req);
        return;
    }
    gw_call_t call;
    gw_call_init (&call, req);
    gw_call_key_take (&call, edge_key_role (org, name));
    gw_call_key_take (&call, edge_key_org_roles (org));
    gw_call_key_take (&call, edge_key_org_users (org));
    gw_call_arg (&call, name);
    gw_call_arg (&call, gw_req_adopt (req, edge_key_user (org, "")));
    redisReply *reply = gw_call_run (&call, thread, &gw_lua_roles_delete,
                                     s_delete_answers, name);
    if (!reply)
        return;
    edge_info ("role %s of %s deleted by %s", name, org,
               gw_req_caller (req)->username);
    gw_req_reply_data (req, 204, "application/json", "", 0);
    freeReplyObject (reply);
}
