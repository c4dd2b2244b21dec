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


//  The caller (set by the auth step); a missing one is a wiring bug: 500.
static const gw_principal_t *
s_principal (gw_req_t *req)
{
    const gw_principal_t *principal = gw_req_principal (req);
    if (!principal) {
        edge_error ("roles: route %s %s ran without a principal",
                    gw_req_method (req), gw_req_path (req));
        gw_req_reply_fail (req, 500, "internal", NULL, "internal error");
    }
    return principal;
}


static void
s_not_found (gw_req_t *req, const char *name)
{
    gw_req_reply_fail (req, 404, "not_found", NULL, "role '%s' not found",
                       name);
}


static void
s_immutable (gw_req_t *req)
{
    gw_req_reply_fail (req, 409, "immutable_role", NULL,
                       "role '%s' cannot be changed or deleted", S_ADMIN);
}


//  The role object of a HGETALL reply, or NULL when the role is gone.
//  Stored values that are not valid grants read as 0.
static json_t *
s_role_json (const redisReply *hash)
{
    const char *name = edge_redis_hash_field (hash, "name");
    if (!name)
        return NULL;
    const char *text = edge_redis_hash_field (hash, "permissions");
    json_t *stored = text ? json_loads (text, 0, NULL) : NULL;
    int perms[EDGE_PERM_COUNT];
    for (size_t i = 0; i < EDGE_PERM_COUNT; i++) {
        json_t *value = json_object_get (stored, edge_perm_name (i));
        long long v = json_is_integer (value) ? json_integer_value (value) : 0;
        perms[i] = edge_perm_is_valid (i, v) ? (int) v : 0;
    }
    json_decref (stored);
    json_t *obj = json_object ();
    json_object_set_new (obj, "name", edge_json_text (name));
    json_object_set_new (
        obj, "label", edge_json_text (edge_redis_hash_field (hash, "label")));
    json_object_set_new (obj, "permissions", gw_ident_perms_json (perms));
    json_object_set_new (
        obj, "created",
        edge_json_text (edge_redis_hash_field (hash, "created")));
    json_object_set_new (
        obj, "updated",
        edge_json_text (edge_redis_hash_field (hash, "updated")));
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


//  Answer the {'ok', HGETALL} of the create and patch scripts.
static void
s_reply_role (gw_req_t *req, const redisReply *reply, int status)
{
    json_t *role =
        reply->elements == 2 ? s_role_json (reply->element[1]) : NULL;
    if (role)
        gw_req_reply_json (req, status, role);
    else
        gw_req_reply_redis_failed (req, reply, "roles: write");
}


void
gw_roles_list (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    const gw_principal_t *principal = s_principal (req);
    if (!principal)
        return;
    gw_list_reply_hashes (
        req, gw_thread_redis (thread), &s_spec,
        gw_req_adopt (req, edge_key_org_roles (principal->org)),
        gw_req_adopt (req, edge_key_role (principal->org, "")), s_role_json,
        "roles: list");
}


void
gw_roles_get (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    const gw_principal_t *principal = s_principal (req);
    edge_json_err_t err;
    gw_list_t list;
    if (!principal)
        return;
    if (gw_list_parse_fields (gw_req_query (req), &s_spec, &list, &err)) {
        gw_req_reply_error (req, &err);
        return;
    }
    const char *name = gw_req_param (req, "roleName");
    char *key = gw_req_adopt (req, edge_key_role (principal->org, name));
    redisReply *reply =
        edge_redis_command (gw_thread_redis (thread), "HGETALL %s", key);
    if (!reply || reply->type != REDIS_REPLY_ARRAY)
        gw_req_reply_redis_failed (req, reply, "roles: get");
    else {
        json_t *role = s_role_json (reply);
        if (role)
            gw_req_reply_json (req, 200, gw_list_project (&list, role));
        else
            s_not_found (req, name);
    }
    freeReplyObject (reply);
}


void
gw_roles_create (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    const gw_principal_t *principal = s_principal (req);
    edge_json_err_t err;
    long long values[EDGE_PERM_COUNT];
    if (!principal)
        return;
    json_t *body = gw_req_json (req, &err);
    if (!body
        || edge_json_check (body, s_create_fields, EDGE_COUNT (s_create_fields),
                            &err)
        || s_perms_parse (json_object_get (body, "permissions"), values,
                          &err)) {
        gw_req_reply_error (req, &err);
        return;
    }
    const char *org = principal->org;
    const char *name = edge_json_str (body, "name", NULL);
    const char *label = edge_json_str (body, "label", NULL);
    int64_t now_ms = edge_now_ms ();
    char created[32];
    edge_rfc3339 (now_ms, created, sizeof created);
    const char *keys[] = {
        gw_req_adopt (req, edge_key_org_info (org)),
        gw_req_adopt (req, edge_key_org_roles (org)),
        gw_req_adopt (req, edge_key_role (org, name)),
    };
    const char *args[] = {
        name,          gw_req_sprintf (req, "%lld", (long long) now_ms),
        "name",        name,
        "permissions", gw_req_adopt (req, s_perms_text (values)),
        "created",     created,
        "updated",     created,
        "label",       label, //  last: left out when NULL
    };
    int nargs = (int) EDGE_COUNT (args) - (label ? 0 : 2);
    redisReply *reply = edge_redis_eval (
        gw_thread_redis (thread), &gw_lua_roles_create, 3, keys, nargs, args);
    if (edge_redis_script_is (reply, "ok")) {
        gw_req_reply_header (req, "Location",
                             gw_req_sprintf (req, "/be/v1/roles/%s", name));
        s_reply_role (req, reply, 201);
    }
    else if (edge_redis_script_is (reply, "conflict"))
        gw_req_reply_fail (req, 409, "conflict", "name",
                           "role '%s' already exists", name);
    else if (edge_redis_script_is (reply, "no_org"))
        gw_req_reply_fail (req, 404, "not_found", NULL,
                           "organization '%s' not found", org);
    else
        gw_req_reply_redis_failed (req, reply, "roles: create");
    freeReplyObject (reply);
}


void
gw_roles_patch (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    const gw_principal_t *principal = s_principal (req);
    edge_json_err_t err;
    long long values[EDGE_PERM_COUNT];
    if (!principal)
        return;
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
    const char *key = gw_req_adopt (req, edge_key_role (principal->org, name));
    const char *args[3 + 2 * EDGE_PERM_COUNT] = {
        updated, json_is_string (label) ? json_string_value (label) : "",
        json_is_null (label) ? "1" : "0"};
    int nargs = 3;
    for (size_t i = 0; perms && i < EDGE_PERM_COUNT; i++) {
        args[nargs++] = edge_perm_name (i);
        args[nargs++] =
            values[i] < 0 ? "" : gw_req_sprintf (req, "%lld", values[i]);
    }
    redisReply *reply = edge_redis_eval (
        gw_thread_redis (thread), &gw_lua_roles_patch, 1, &key, nargs, args);
    if (edge_redis_script_is (reply, "ok"))
        s_reply_role (req, reply, 200);
    else if (edge_redis_script_is (reply, "not_found"))
        s_not_found (req, name);
    else
        gw_req_reply_redis_failed (req, reply, "roles: patch");
    freeReplyObject (reply);
}


void
gw_roles_delete (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    const gw_principal_t *principal = s_principal (req);
    if (!principal)
        return;
    const char *org = principal->org;
    const char *name = gw_req_param (req, "roleName");
    if (strcmp (name, S_ADMIN) == 0) {
        s_immutable (req);
        return;
    }
    const char *keys[] = {
        gw_req_adopt (req, edge_key_role (org, name)),
        gw_req_adopt (req, edge_key_org_roles (org)),
        gw_req_adopt (req, edge_key_org_users (org)),
    };
    const char *args[] = {name, gw_req_adopt (req, edge_key_user (org, ""))};
    redisReply *reply = edge_redis_eval (
        gw_thread_redis (thread), &gw_lua_roles_delete, 3, keys, 2, args);
    if (edge_redis_script_is (reply, "ok")) {
        edge_info ("role %s of %s deleted by %s", name, org,
                   principal->username);
        gw_req_reply_data (req, 204, "application/json", "", 0);
    }
    else if (edge_redis_script_is (reply, "not_found"))
        s_not_found (req, name);
    else if (edge_redis_script_is (reply, "role_in_use")) {
        const char *n =
            reply->elements > 1 && reply->element[1]->type == REDIS_REPLY_STRING
                ? reply->element[1]->str
                : "some";
        gw_req_reply_fail (req, 409, "role_in_use", NULL,
                           "role '%s' is held by %s user(s); take it from "
                           "them first",
                           name, n);
    }
    else
        gw_req_reply_redis_failed (req, reply, "roles: delete");
    freeReplyObject (reply);
}
