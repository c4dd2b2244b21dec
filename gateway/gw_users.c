/*  gw_users - backend users and machine users (/be/v1/users): list, get,
    create (a machine user gets its first API key in the same script),
    patch (profile, roles, passwords; self-service for the caller) and
    delete (the user's keys and tokens go in the same script).

    Layout: architecture §3 and §6. Every key is built from the
    caller's org, so another org's user is a 404 like a missing one. Every
    multi-key write is one Lua script (gateway/lua/users_*.lua); pwhash
    never leaves this file except into Redis.  */
#include "gw_users.h"
#include "edge_keys.h"
#include "edge_log.h"
#include "edge_perm.h"
#include "edge_util.h"
#include "gw_bauth.h"
#include "gw_call.h"
#include "gw_ident.h"
#include "gw_list.h"
#include "gw_lua.h"
#include "gw_users_rec.h"
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define S_ROLES_MAX 32 //  roles of one user
#define S_ADMIN     GW_IDENT_ADMIN_ROLE

//  The role names of a body's "roles", duplicates dropped.
typedef struct {
    const char *names[S_ROLES_MAX];
    size_t count;
    char *text; //  JSON array text (request scope)
} s_roles_t;

//  A user to create: the checked body and what is made for it.
typedef struct {
    gw_users_rec_t user;
    s_roles_t roles;
    const char *given;                        //  the body's password or NULL
    char password[GW_IDENT_PASSWORD_LEN + 1]; //  made when none is given
    char pwhash[GW_IDENT_PWHASH_MAX];
    char key_id[GW_IDENT_KEY_ID_LEN + 1]; //  a machine user's first key
    char api_key[GW_IDENT_API_KEY_MAX];
    char sha[GW_IDENT_SHA_HEX];
    int64_t now_ms;
    char created[32];
} s_new_t;

static const char *const s_fields[] = {
    "username", "email",   "firstname", "surname", "title",   "label",
    "roles",    "machine", "keys",      "created", "updated", NULL};
static const gw_list_spec_t s_spec = {s_fields, "username"};

static const edge_json_field_t s_person_fields[] = {
    {"username", EDGE_JSON_NAME, true, 0, 0, false},
    {"email", EDGE_JSON_STRING, true, 3, 254, false},
    {"firstname", EDGE_JSON_STRING, true, 1, 256, false},
    {"surname", EDGE_JSON_STRING, true, 1, 256, false},
    {"title", EDGE_JSON_STRING, false, 1, 256, false},
    {"label", EDGE_JSON_STRING, false, 1, 256, false},
    {"roles", EDGE_JSON_ARRAY, true, 1, S_ROLES_MAX, false},
    {"password", EDGE_JSON_STRING, false, 12, 256, false},
    {"machine", EDGE_JSON_BOOL, false, 0, 0, false},
};
static const edge_json_field_t s_machine_fields[] = {
    {"username", EDGE_JSON_NAME, true, 0, 0, false},
    {"label", EDGE_JSON_STRING, true, 1, 256, false},
    {"roles", EDGE_JSON_ARRAY, true, 1, S_ROLES_MAX, false},
    {"machine", EDGE_JSON_BOOL, true, 0, 0, false},
};
static const edge_json_field_t s_patch_fields[] = {
    {"username", EDGE_JSON_NAME, true, 0, 0, false},
    {"email", EDGE_JSON_STRING, false, 3, 254, false},
    {"firstname", EDGE_JSON_STRING, false, 1, 256, false},
    {"surname", EDGE_JSON_STRING, false, 1, 256, false},
    {"title", EDGE_JSON_STRING, false, 1, 256, true},
    {"label", EDGE_JSON_STRING, false, 1, 256, true},
    {"roles", EDGE_JSON_ARRAY, false, 1, S_ROLES_MAX, false},
    {"oldPW", EDGE_JSON_STRING, false, 1, 1024, false},
    {"newPW", EDGE_JSON_STRING, false, 12, 256, false},
    {"resetCreds", EDGE_JSON_STRING, false, 12, 256, false},
};

//  What a caller without beUsers U may send about itself.
static const char *const s_self_fields[] = {"username", "email", "firstname",
                                            "surname",  "title", "oldPW",
                                            "newPW",    NULL};

//  The answers of the scripts, besides "ok". unknown_role names the role
//  by its index (s_unknown_role).
#define S_LAST_ADMIN                                                           \
    "user '{}' is the last member of " S_ADMIN "; give the role to another "   \
    "user first"
static const gw_call_answer_t s_create_answers[] = {
    {"conflict", EDGE_ERR_CONFLICT, "username", "user '{}' already exists"},
    {"no_org", EDGE_ERR_NOT_FOUND, NULL, "organization '{org}' not found"},
    {"unknown_role", EDGE_ERR_OK, NULL, NULL},
    {NULL, EDGE_ERR_OK, NULL, NULL}};
static const gw_call_answer_t s_patch_answers[] = {
    {"not_found", EDGE_ERR_NOT_FOUND, NULL, "user '{}' not found"},
    {"conflict", EDGE_ERR_CONFLICT, NULL,
     "the password of user '{}' changed meanwhile; try again"},
    {"unknown_role", EDGE_ERR_OK, NULL, NULL},
    {"last_administrator", EDGE_ERR_LAST_ADMINISTRATOR, NULL, S_LAST_ADMIN},
    {NULL, EDGE_ERR_OK, NULL, NULL}};
static const gw_call_answer_t s_delete_answers[] = {
    {"not_found", EDGE_ERR_NOT_FOUND, NULL, "user '{}' not found"},
    {"last_administrator", EDGE_ERR_LAST_ADMINISTRATOR, NULL, S_LAST_ADMIN},
    {NULL, EDGE_ERR_OK, NULL, NULL}};


//  Run the fetch script for names; the reply (caller frees) or NULL.
static redisReply *
s_fetch_users (gw_req_t *req,
               gw_thread_t *thread,
               const char *org,
               char *const *names,
               size_t count)
{
    const char **keys = gw_req_alloc (req, (2 * count + 1) * sizeof *keys);
    for (size_t i = 0; i < count; i++) {
        keys[2 * i] = gw_req_adopt (req, edge_key_user (org, names[i]));
        keys[2 * i + 1] =
            gw_req_adopt (req, edge_key_user_keys (org, names[i]));
    }
    return edge_redis_eval (gw_thread_redis (thread), &gw_lua_users_fetch,
                            (int) (2 * count), keys, 0, NULL);
}


//  An email: the contract's 3..254 bytes (checked) and exactly one '@',
//  neither first nor last.
static int
s_check_email (const json_t *body, edge_json_err_t *err)
{
    const char *email = edge_json_str (body, "email", NULL);
    if (!email)
        return 0;
    const char *at = strchr (email, '@');
    if (!at || at == email || !at[1] || strchr (at + 1, '@'))
        return edge_json_err_set (err, 400, "invalid_field", "email",
                                  "field 'email' must be an address with "
                                  "one '@'");
    return 0;
}


//  Role names from "roles" (each a name; duplicates dropped).
static int
s_roles_parse (gw_req_t *req,
               const json_t *array,
               s_roles_t *roles,
               edge_json_err_t *err)
{
    roles->count = 0;
    json_t *text = json_array ();
    size_t i;
    json_t *item;
    json_array_foreach (array, i, item)
    {
        const char *name = json_string_value (item);
        if (!name || !edge_name_is_valid (name)) {
            json_decref (text);
            return edge_json_err_set (err, 400, "invalid_field", "roles",
                                      "field 'roles' must hold role names "
                                      "(^[A-Za-z0-9_]{2,50}$)");
        }
        size_t j = 0;
        while (j < roles->count && strcmp (roles->names[j], name) != 0)
            j++;
        if (j < roles->count)
            continue;
        roles->names[roles->count++] = name;
        json_array_append_new (text, json_string (name));
    }
    roles->text = gw_req_adopt (req, edge_json_dumps (text));
    json_decref (text);
    return 0;
}


//  Answer a script's {'unknown_role', index}: the index-th of roles (from
//  1). False for any other answer.
static bool
s_unknown_role (gw_req_t *req, const redisReply *reply, const s_roles_t *roles)
{
    if (!edge_redis_script_is (reply, "unknown_role"))
        return false;
    long index = 0;
    if (reply->elements > 1 && reply->element[1]->type == REDIS_REPLY_STRING)
        index = strtol (reply->element[1]->str, NULL, 10);
    const char *name = index >= 1 && (size_t) index <= roles->count
                           ? roles->names[index - 1]
                           : "?";
    gw_call_fail (req, EDGE_ERR_UNKNOWN_ROLE, "roles",
                  "role '%s' does not exist", name);
    return true;
}


void
gw_users_list (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    const char *org = gw_req_org (req);
    edge_json_err_t err;
    gw_list_t list;
    if (gw_list_parse (gw_req_query (req), &s_spec, &list, &err)) {
        gw_req_reply_error (req, &err);
        return;
    }
    char *index = gw_req_adopt (req, edge_key_org_users (org));
    gw_list_page_t page;
    redisReply *reply = NULL;
    if (gw_list_fetch (gw_thread_redis (thread), index, &list, &page))
        goto unavailable;
    json_t *items = json_array ();
    if (page.count > 0) {
        reply = s_fetch_users (req, thread, org, page.names, page.count);
        if (!reply || reply->type != REDIS_REPLY_ARRAY) {
            json_decref (items);
            gw_req_reply_redis_failed (req, reply, "users: list");
            goto cleanup;
        }
        for (size_t i = 0; i < reply->elements; i++) {
            json_t *user = gw_users_rec_json_of_pair (reply->element[i]);
            if (user) //  a user deleted meanwhile is left out
                json_array_append_new (items, gw_list_project (&list, user));
        }
    }
    gw_req_reply_json (req, 200, gw_list_answer (&list, page.total, items));
    goto cleanup;
unavailable:
    gw_req_reply_redis_failed (req, NULL, "users: list");
cleanup:
    freeReplyObject (reply);
    gw_list_page_fini (&page);
}


void
gw_users_get (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    edge_json_err_t err;
    gw_list_t list;
    if (gw_list_parse_fields (gw_req_query (req), &s_spec, &list, &err)) {
        gw_req_reply_error (req, &err);
        return;
    }
    const char *name = gw_req_param (req, "username");
    //  One round trip, no script: the record's fields (not the password
    //  hash) and the key set, pipelined
    const char *hmget[2 + GW_USERS_REC_NFIELDS] = {
        "HMGET", gw_req_adopt (req, edge_key_user (gw_req_org (req), name))};
    for (size_t i = 0; i < GW_USERS_REC_NFIELDS; i++)
        hmget[2 + i] = gw_users_rec_fields[i];
    const char *smembers[] = {
        "SMEMBERS",
        gw_req_adopt (req, edge_key_user_keys (gw_req_org (req), name))};
    const char *const *argvs[] = {hmget, smembers};
    const int argcs[] = {2 + GW_USERS_REC_NFIELDS, 2};
    redisReply *replies[2];
    gw_users_rec_t user = {0};
    if (edge_redis_pipeline (gw_thread_redis (thread), 2, argcs, argvs,
                             replies))
        gw_req_reply_redis_failed (req, NULL, "users: get");
    else if (replies[0]->type != REDIS_REPLY_ARRAY
             || replies[1]->type != REDIS_REPLY_ARRAY)
        gw_req_reply_redis_failed (req, replies[0], "users: get");
    else if (gw_users_rec_from_values (replies[0], &user))
        gw_req_reply_json (
            req, 200,
            gw_list_project (&list,
                             gw_users_rec_json (
                                 &user, gw_users_rec_key_ids (replies[1]))));
    else
        gw_call_fail (req, EDGE_ERR_NOT_FOUND, NULL, "user '%s' not found",
                      name);
    for (int i = 0; i < 2; i++)
        freeReplyObject (replies[i]);
}


//  Check a create body into new_user (user, roles, the given password).
static int
s_create_parse (gw_req_t *req, s_new_t *new_user, edge_json_err_t *err)
{
    json_t *body = gw_req_json (req, err);
    if (!body)
        return -1;
    const json_t *machine = json_object_get (body, "machine");
    if (machine && !json_is_boolean (machine))
        return edge_json_err_set (err, 400, "invalid_field", "machine",
                                  "field 'machine' must be a boolean");
    bool is_machine = json_is_true (machine);
    if (is_machine ? edge_json_check (body, s_machine_fields,
                                      EDGE_COUNT (s_machine_fields), err)
                   : edge_json_check (body, s_person_fields,
                                      EDGE_COUNT (s_person_fields), err))
        return -1;
    if (s_check_email (body, err)
        || s_roles_parse (req, json_object_get (body, "roles"),
                          &new_user->roles, err))
        return -1;
    new_user->user = (gw_users_rec_t){
        .username = edge_json_str (body, "username", NULL),
        .email = edge_json_str (body, "email", NULL),
        .firstname = edge_json_str (body, "firstname", NULL),
        .surname = edge_json_str (body, "surname", NULL),
        .title = edge_json_str (body, "title", NULL),
        .label = edge_json_str (body, "label", NULL),
        .roles = new_user->roles.text,
        .is_machine = is_machine,
    };
    new_user->given = edge_json_str (body, "password", NULL);
    return 0;
}


//  Make a machine user's first key, or hash a person's password (the
//  given one or a new one); then stamp the times. Returns 0, or -1 after
//  answering.
static int
s_create_secrets (gw_req_t *req, s_new_t *new_user)
{
    gw_users_rec_t *user = &new_user->user;
    if (user->is_machine)
        gw_ident_api_key_make (new_user->key_id, new_user->api_key,
                               new_user->sha);
    else {
        if (!new_user->given)
            gw_ident_random_password (new_user->password);
        if (gw_ident_hash_password (new_user->given ? new_user->given
                                                    : new_user->password,
                                    new_user->pwhash)) {
            gw_call_fail (req, EDGE_ERR_REDIS, NULL,
                          "password hashing failed; try again later");
            return -1;
        }
        user->pwhash = new_user->pwhash;
    }
    new_user->now_ms = edge_now_ms ();
    edge_rfc3339 (new_user->now_ms, new_user->created,
                  sizeof new_user->created);
    user->created = user->updated = new_user->created;
    return 0;
}


//  The create script's keys and arguments.
static void
s_create_call (gw_req_t *req, const s_new_t *new_user, gw_call_t *call)
{
    const char *org = gw_req_org (req);
    const gw_users_rec_t *user = &new_user->user;
    const char *key_id = new_user->key_id;
    gw_call_init (call, req);
    gw_call_key_take (call, edge_key_org_info (org));
    gw_call_key_take (call, edge_key_org_users (org));
    gw_call_key_take (call, edge_key_user (org, user->username));
    gw_call_key_take (call, edge_key_org_keys (org));
    gw_call_key_take (call, edge_key_api_key (org, key_id[0] ? key_id : "-"));
    gw_call_key_take (call, edge_key_user_keys (org, user->username));
    for (size_t i = 0; i < new_user->roles.count; i++)
        gw_call_key_take (call, edge_key_role (org, new_user->roles.names[i]));
    gw_call_arg (call, user->username);
    gw_call_int (call, new_user->now_ms);
    gw_call_arg (call, key_id);
    gw_call_arg (call, new_user->sha);
    gw_call_arg (call, user->created);
    gw_call_pair (call, "username", user->username);
    gw_call_pair (call, "email", user->email);
    gw_call_pair (call, "firstname", user->firstname);
    gw_call_pair (call, "surname", user->surname);
    gw_call_pair (call, "title", user->title);
    gw_call_pair (call, "label", user->label);
    gw_call_pair (call, "machine", user->is_machine ? "1" : "0");
    gw_call_pair (call, "roles", user->roles);
    gw_call_pair (call, "pwhash", user->pwhash);
    gw_call_pair (call, "created", user->created);
    gw_call_pair (call, "updated", user->updated);
}


//  Answer a successful create: the user, plus the secret shown once (the
//  made password, or a machine user's API key).
static void
s_create_reply (gw_req_t *req, const s_new_t *new_user)
{
    const gw_users_rec_t *user = &new_user->user;
    edge_info ("user %s created in %s by %s%s", user->username,
               gw_req_org (req), gw_req_caller (req)->username,
               user->is_machine ? " (machine, 1 key)" : "");
    json_t *keys = NULL;
    if (user->is_machine) {
        keys = json_array ();
        json_array_append_new (keys, json_string (new_user->key_id));
    }
    json_t *body = gw_users_rec_json (user, keys);
    if (!user->is_machine && !new_user->given)
        json_object_set_new (body, "password",
                             json_string (new_user->password));
    if (user->is_machine) {
        json_object_set_new (body, "apiKey", json_string (new_user->api_key));
        json_object_set_new (body, "keyId", json_string (new_user->key_id));
    }
    gw_req_reply_header (
        req, "Location",
        gw_req_sprintf (req, "/be/v1/users/%s", user->username));
    gw_req_reply_json (req, 201, body);
}


void
gw_users_create (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    s_new_t new_user = {.given = NULL};
    edge_json_err_t err;
    if (s_create_parse (req, &new_user, &err))
        gw_req_reply_error (req, &err);
    else if (s_create_secrets (req, &new_user) == 0) {
        gw_call_t call;
        s_create_call (req, &new_user, &call);
        redisReply *reply =
            gw_call_run (&call, thread, &gw_lua_users_create, s_create_answers,
                         new_user.user.username);
        if (reply && !s_unknown_role (req, reply, &new_user.roles))
            s_create_reply (req, &new_user);
        freeReplyObject (reply);
    }
    //  The secrets live on the stack only; wipe them
    sodium_memzero (&new_user, sizeof new_user);
}


//  A checked PATCH body (strings borrowed from the request's JSON).
typedef struct {
    const json_t *body;
    const char *username;
    bool has_roles;
    s_roles_t roles;
    const char *old_pw; //  with new_pw: the caller's own password
    const char *new_pw;
    const char *reset; //  resetCreds: an administrator sets it
} s_patch_t;


//  A caller without beUsers U may change only its own profile and
//  password (architecture §6: self-service).
static bool
s_is_self_service (const json_t *body, const gw_principal_t *principal)
{
    const char *username = edge_json_str (body, "username", NULL);
    if (!json_is_object (body) || !username
        || strcmp (username, principal->username) != 0)
        return false;
    const char *key;
    json_t *value;
    json_object_foreach ((json_t *) body, key, value)
    {
        size_t i = 0;
        while (s_self_fields[i] && strcmp (s_self_fields[i], key) != 0)
            i++;
        if (!s_self_fields[i])
            return false;
    }
    return true;
}


static int
s_patch_parse (gw_req_t *req,
               const json_t *body,
               const gw_principal_t *principal,
               s_patch_t *patch,
               edge_json_err_t *err)
{
    if (edge_json_check (body, s_patch_fields, EDGE_COUNT (s_patch_fields), err)
        || s_check_email (body, err))
        return -1;
    *patch = (s_patch_t){
        .body = body,
        .username = edge_json_str (body, "username", NULL),
        .has_roles = json_object_get (body, "roles") != NULL,
        .old_pw = edge_json_str (body, "oldPW", NULL),
        .new_pw = edge_json_str (body, "newPW", NULL),
        .reset = edge_json_str (body, "resetCreds", NULL),
    };
    if (patch->old_pw && !patch->new_pw)
        return edge_json_err_set (err, 400, "missing_field", "newPW",
                                  "field 'newPW' goes with 'oldPW'");
    if (patch->new_pw && !patch->old_pw)
        return edge_json_err_set (err, 400, "missing_field", "oldPW",
                                  "field 'oldPW' goes with 'newPW'");
    if (patch->new_pw && patch->reset)
        return edge_json_err_set (err, 400, "invalid_field", "resetCreds",
                                  "give either oldPW and newPW, or "
                                  "resetCreds");
    if (patch->old_pw && strcmp (patch->username, principal->username) != 0)
        return edge_json_err_set (err, 400, "invalid_field", "oldPW",
                                  "oldPW and newPW change the caller's own "
                                  "password; use resetCreds for another "
                                  "user");
    if (patch->has_roles
        && s_roles_parse (req, json_object_get (body, "roles"), &patch->roles,
                          err))
        return -1;
    return 0;
}


//  For a password change: check oldPW against the stored hash and hash
//  the new one into hash; *guard is the stored hash the script compares.
//  Returns 0 (hash "" when the password does not change), or -1 after
//  answering.
static int
s_patch_password (gw_req_t *req,
                  const s_patch_t *patch,
                  const redisReply *target,
                  char *hash,
                  const char **guard)
{
    const char *new_pw = patch->new_pw ? patch->new_pw : patch->reset;
    hash[0] = 0;
    *guard = "";
    if (!new_pw)
        return 0;
    const redisReply *machine = target->element[1], *old = target->element[2];
    const char *old_hash = old->type == REDIS_REPLY_STRING ? old->str : NULL;
    if (machine->type == REDIS_REPLY_STRING
        && strcmp (machine->str, "1") == 0) {
        gw_call_fail (
            req, EDGE_ERR_MACHINE_USER, patch->reset ? "resetCreds" : "newPW",
            "user '%s' is a machine user and has no password", patch->username);
        return -1;
    }
    if (patch->old_pw && !gw_ident_verify_password (old_hash, patch->old_pw)) {
        gw_call_fail (req, EDGE_ERR_WRONG_PASSWORD, "oldPW",
                      "oldPW is not the current password");
        return -1;
    }
    if (gw_ident_hash_password (new_pw, hash)) {
        gw_call_fail (req, EDGE_ERR_REDIS, NULL,
                      "password hashing failed; try again later");
        return -1;
    }
    *guard = old_hash ? gw_req_strdup (req, old_hash) : "";
    return 0;
}


//  The patch script's keys and arguments; user_key is the user's hash.
static void
s_patch_call (gw_req_t *req,
              const s_patch_t *patch,
              const char *user_key,
              const char *pwhash,
              const char *guard,
              gw_call_t *call)
{
    static const char *const profile[] = {"email", "firstname", "surname",
                                          "title", "label",     NULL};
    const char *org = gw_req_org (req);
    gw_call_init (call, req);
    gw_call_key (call, user_key);
    gw_call_key_take (call, edge_key_org_users (org));
    gw_call_key_take (call, edge_key_user_keys (org, patch->username));
    for (size_t i = 0; patch->has_roles && i < patch->roles.count; i++)
        gw_call_key_take (call, edge_key_role (org, patch->roles.names[i]));
    gw_call_arg (call, patch->username);
    gw_call_arg (call, patch->has_roles ? patch->roles.text : "");
    gw_call_arg (call, guard);
    gw_call_arg (call, "0"); //  the pair count, set below
    for (size_t i = 0; profile[i]; i++)
        gw_call_pair (call, profile[i],
                      edge_json_str (patch->body, profile[i], NULL));
    gw_call_pair (call, "roles", patch->has_roles ? patch->roles.text : NULL);
    gw_call_pair (call, "pwhash", pwhash[0] ? pwhash : NULL);
    bool has_null = false; //  title or label null: cleared
    for (size_t i = 3; profile[i]; i++)
        has_null |= json_is_null (json_object_get (patch->body, profile[i]));
    if (call->nargs > 4 || has_null) {
        char updated[32];
        edge_rfc3339 (edge_now_ms (), updated, sizeof updated);
        gw_call_pair (call, "updated", gw_req_strdup (req, updated));
    }
    call->args[3] = gw_req_sprintf (req, "%d", (call->nargs - 4) / 2);
    for (size_t i = 3; profile[i]; i++)
        if (json_is_null (json_object_get (patch->body, profile[i])))
            gw_call_arg (call, profile[i]);
}


//  Answer the patch script's {'ok', HGETALL, SMEMBERS}; frees reply.
static void
s_patch_reply (gw_req_t *req, redisReply *reply)
{
    gw_users_rec_t user = {0};
    if (reply->elements == 3
        && gw_users_rec_from_hash (reply->element[1], &user))
        gw_req_reply_json (req, 200,
                           gw_users_rec_json (&user, gw_users_rec_key_ids (
                                                         reply->element[2])));
    else
        gw_req_reply_redis_failed (req, reply, "users: patch");
    freeReplyObject (reply);
}


//  Check the password change against the stored user (target: HMGET
//  username machine pwhash) and run the patch script.
static void
s_patch_run (gw_req_t *req,
             gw_thread_t *thread,
             const s_patch_t *patch,
             const char *user_key,
             const redisReply *target)
{
    char pwhash[GW_IDENT_PWHASH_MAX];
    const char *guard;
    if (s_patch_password (req, patch, target, pwhash, &guard))
        return;
    gw_call_t call;
    s_patch_call (req, patch, user_key, pwhash, guard, &call);
    redisReply *reply = gw_call_run (&call, thread, &gw_lua_users_patch,
                                     s_patch_answers, patch->username);
    if (!reply || s_unknown_role (req, reply, &patch->roles)) {
        freeReplyObject (reply);
        return;
    }
    s_patch_reply (req, reply);
    if (pwhash[0] && gw_req_status (req) == 200)
        edge_info ("user %s of %s: password %s by %s", patch->username,
                   gw_req_org (req), patch->reset ? "reset" : "changed",
                   gw_req_caller (req)->username);
}


void
gw_users_patch (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    const gw_principal_t *caller = gw_req_caller (req);
    edge_json_err_t err;
    s_patch_t patch;
    json_t *body = gw_req_json (req, &err);
    if (!body) {
        gw_req_reply_error (req, &err);
        return;
    }
    if (caller->lacks_route_bit && !s_is_self_service (body, caller)) {
        gw_bauth_reply_forbidden (req, "beUsers", EDGE_PERM_U);
        return;
    }
    if (s_patch_parse (req, body, caller, &patch, &err)) {
        gw_req_reply_error (req, &err);
        return;
    }
    char *user_key =
        gw_req_adopt (req, edge_key_user (caller->org, patch.username));
    redisReply *target = edge_redis_command (
        gw_thread_redis (thread), "HMGET %s username machine pwhash", user_key);
    if (!target || target->type != REDIS_REPLY_ARRAY || target->elements != 3)
        gw_req_reply_redis_failed (req, target, "users: patch");
    else if (target->element[0]->type != REDIS_REPLY_STRING)
        gw_call_fail (req, EDGE_ERR_NOT_FOUND, NULL, "user '%s' not found",
                      patch.username);
    else
        s_patch_run (req, thread, &patch, user_key, target);
    freeReplyObject (target);
}


void
gw_users_delete (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    const char *org = gw_req_org (req);
    const char *username = gw_req_param (req, "username");
    gw_call_t call;
    gw_call_init (&call, req);
    gw_call_key_take (&call, edge_key_user (org, username));
    gw_call_key_take (&call, edge_key_org_users (org));
    gw_call_key_take (&call, edge_key_user_keys (org, username));
    gw_call_key_take (&call, edge_key_org_keys (org));
    gw_call_key_take (&call, edge_key_user_tokens (org, username));
    gw_call_key_take (&call, edge_key_org_tokens (org));
    gw_call_arg (&call, username);
    gw_call_arg (&call, gw_req_adopt (req, edge_key_api_key (org, "")));
    redisReply *reply = gw_call_run (&call, thread, &gw_lua_users_delete,
                                     s_delete_answers, username);
    if (!reply)
        return;
    edge_info ("user %s of %s deleted by %s (tokens and keys revoked)",
               username, org, gw_req_caller (req)->username);
    gw_req_reply_data (req, 204, "application/json", "", 0);
    freeReplyObject (reply);
}
