/*  gw_subs - subscriptions: storage per the webhook contract (e:{O}:subs,
    e:{O}:sub:N, e:{O}:sub:N:attempts, e:{O}:sub:N:failed); the notifier
    delivers.  */
#include "gw_subs.h"
#include "edge_crypto.h"
#include "edge_json.h"
#include "edge_keys.h"
#include "edge_log.h"
#include "edge_util.h"
#include "gw_call.h"
#include "gw_list.h"
#include "gw_lua.h"
#include "gw_url.h"
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_REDELIVER_WINDOW_MS (7LL * 24 * 3600 * 1000)
#define S_ATTEMPTS_SHOWN      50

static const char *const s_sub_fields[] = {
    "name",           "url",     "slackChannel", "types", "events", "state",
    "disabledReason", "created", "updated",      NULL};
static const gw_list_spec_t s_spec = {s_sub_fields, NULL};

static const char *s_types[] = {"dltar", "mkraw", "deploy", "hello", NULL};
static const char *s_events[] = {"submit", "begin", "end", "error", NULL};

static const edge_json_field_t s_create_fields[] = {
    {"name", EDGE_JSON_NAME, true, 0, 0, false},
    {"url", EDGE_JSON_STRING, false, 1, 2048, false},
    {"slackChannel", EDGE_JSON_STRING, false, 1, 80, false},
    {"types", EDGE_JSON_ARRAY, true, 1, 16, false},
    {"events", EDGE_JSON_ARRAY, true, 1, 16, false},
};

//  A checked create body (strings live as long as the request).
typedef struct {
    const char *name;
    const char *target;  //  "url" or "slackChannel"
    const char *address; //  the target's value
    const char *types;   //  deduplicated JSON array text
    const char *events;  //  same
} s_sub_t;

//  Run a script that answers an integer. Returns true with it in *value;
//  else false with the failure answered.
static bool
s_run (gw_call_t *call,
       gw_thread_t *thread,
       edge_redis_script_t *script,
       long long *value)
{
    redisReply *reply = gw_call_eval (call, thread, script);
    bool is_int = reply && reply->type == REDIS_REPLY_INTEGER;
    if (is_int)
        *value = reply->integer;
    else
        gw_req_reply_redis_failed (call->req, reply, "subscriptions");
    freeReplyObject (reply);
    return is_int;
}


//  Check that every item of array is one of allowed; returns a deduplicated
//  compact JSON array text (freed with the request), or NULL with err set.
static const char *
s_enum_array (gw_req_t *req,
              const json_t *array,
              const char *field,
              const char **allowed,
              edge_json_err_t *err)
{
    json_t *out = gw_req_adopt_json (req, json_array ());
    size_t i;
    json_t *item;
    json_array_foreach (array, i, item)
    {
        const char *text = json_string_value (item);
        bool is_known = false;
        for (size_t k = 0; text && allowed[k] && !is_known; k++)
            is_known = strcmp (text, allowed[k]) == 0;
        if (!is_known) {
            char list[80] = "";
            for (size_t k = 0; allowed[k]; k++)
                snprintf (list + strlen (list), sizeof list - strlen (list),
                          "%s%s", k ? ", " : "", allowed[k]);
            edge_json_err_set (err, 400, "invalid_field", field,
                               "field '%s' items must be one of %s", field,
                               list);
            return NULL;
        }
        bool is_dup = false;
        for (size_t k = 0; k < json_array_size (out) && !is_dup; k++)
            is_dup =
                strcmp (json_string_value (json_array_get (out, k)), text) == 0;
        if (!is_dup)
            json_array_append_new (out, json_string (text));
    }
    return gw_req_adopt (req, edge_json_dumps (out));
}


//  Validate the target: exactly one of url and slackChannel; a URL that the
//  guard lets through. Returns 0, or -1 with err set.
static int
s_check_target (const gw_ctx_t *ctx,
                const char *url,
                const char *slack,
                edge_json_err_t *err)
{
    if (!url == !slack)
        return edge_json_err_set (err, 400, "invalid_json", NULL,
                                  "give exactly one of \"url\" and "
                                  "\"slackChannel\"");
    return url ? gw_url_check (ctx->config->url_allow, url, "webhook", err) : 0;
}


//  "whsec_" + base64 of 32 random bytes. Freed with the request.
static char *
s_new_secret (gw_req_t *req)
{
    unsigned char raw[32];
    randombytes_buf (raw, sizeof raw);
    char *b64 = edge_b64_encode (raw, sizeof raw);
    sodium_memzero (raw, sizeof raw);
    char *secret = gw_req_sprintf (req, "whsec_%s", b64);
    free (b64);
    return secret;
}


//  The public object of an HGETALL reply (never the secret), or NULL when
//  the subscription is gone. Caller owns.
static json_t *
s_object (const redisReply *hash)
{
    if (!hash || hash->type != REDIS_REPLY_ARRAY || hash->elements == 0)
        return NULL;
    json_t *obj = json_object ();
    for (size_t i = 0; i + 1 < hash->elements; i += 2) {
        const char *key = hash->element[i]->str;
        const char *value = hash->element[i + 1]->str;
        if (strcmp (key, "types") == 0 || strcmp (key, "events") == 0)
            json_object_set_new (obj, key, json_loads (value, 0, NULL));
        else if (strcmp (key, "secret") != 0)
            json_object_set_new (obj, key, json_string (value));
    }
    return obj;
}


//  Check a create body into sub. Returns 0, or -1 with err set.
static int
s_create_parse (gw_req_t *req,
                const gw_ctx_t *ctx,
                s_sub_t *sub,
                edge_json_err_t *err)
{
    json_t *body = gw_req_json (req, err);
    if (!body
        || edge_json_check (body, s_create_fields, EDGE_COUNT (s_create_fields),
                            err))
        return -1;
    sub->name = edge_json_str (body, "name", "");
    const char *url = edge_json_str (body, "url", NULL);
    const char *slack = edge_json_str (body, "slackChannel", NULL);
    sub->target = url ? "url" : "slackChannel";
    sub->address = url ? url : slack;
    sub->types = s_enum_array (req, json_object_get (body, "types"), "types",
                               s_types, err);
    sub->events = sub->types
                      ? s_enum_array (req, json_object_get (body, "events"),
                                      "events", s_events, err)
                      : NULL;
    if (!sub->types || !sub->events || s_check_target (ctx, url, slack, err))
        return -1;
    return 0;
}


//  201 with the new subscription and, this once, its secret.
static void
s_reply_created (gw_req_t *req,
                 const s_sub_t *sub,
                 const char *created,
                 const char *secret)
{
    json_t *out = json_pack ("{s:s,s:s,s:o,s:o,s:s,s:s,s:s}", "name", sub->name,
                             sub->target, sub->address, "types",
                             json_loads (sub->types, 0, NULL), "events",
                             json_loads (sub->events, 0, NULL), "state",
                             "enabled", "created", created, "secret", secret);
    edge_info ("subscription %s created for %s", sub->name,
               gw_req_identity (req));
    gw_req_reply_json (req, 201, out);
}


void
gw_subs_create (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    edge_json_err_t err;
    s_sub_t sub;
    if (s_create_parse (req, ctx, &sub, &err)) {
        gw_req_reply_error (req, &err);
        return;
    }
    int64_t now_ms = edge_now_ms ();
    char created[32];
    edge_rfc3339 (now_ms, created, sizeof created);
    const char *secret = s_new_secret (req);
    gw_call_t call;
    gw_call_init (&call, req);
    gw_call_key_take (&call, edge_key_sub (gw_req_org (req), sub.name));
    gw_call_key_take (&call, edge_key_subs (gw_req_org (req)));
    gw_call_int (&call, now_ms);
    gw_call_pair (&call, "name", sub.name);
    gw_call_pair (&call, sub.target, sub.address);
    gw_call_pair (&call, "types", sub.types);
    gw_call_pair (&call, "events", sub.events);
    gw_call_pair (&call, "secret", secret);
    gw_call_pair (&call, "state", "enabled");
    gw_call_pair (&call, "created", created);
    gw_call_pair (&call, "updated", created);
    long long is_created = 0;
    if (!s_run (&call, thread, &gw_lua_subs_create, &is_created))
        return;
    if (is_created == 1)
        s_reply_created (req, &sub, created, secret);
    else
        gw_call_fail (req, EDGE_ERR_CONFLICT, "name",
                      "subscription '%s' already exists", sub.name);
}


void
gw_subs_list (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    const char *org = gw_req_org (req);
    gw_list_reply_hashes (req, gw_thread_redis (thread), &s_spec,
                          gw_req_adopt (req, edge_key_subs (org)),
                          gw_req_adopt (req, edge_key_sub (org, "")), s_object,
                          "subscriptions: list");
}


//  The last attempts (newest first) as an array. Caller owns; NULL on error.
static json_t *
s_attempts (gw_req_t *req, edge_redis_t *redis, const char *name)
{
    redisReply *reply = edge_redis_command (
        redis, "LRANGE %s 0 %d",
        gw_req_adopt (req, edge_key_sub_attempts (gw_req_org (req), name)),
        S_ATTEMPTS_SHOWN - 1);
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        freeReplyObject (reply);
        return NULL;
    }
    json_t *out = json_array ();
    for (size_t i = 0; i < reply->elements; i++) {
        json_t *attempt = json_loads (reply->element[i]->str, 0, NULL);
        if (attempt)
            json_array_append_new (out, attempt);
    }
    freeReplyObject (reply);
    return out;
}


void
gw_subs_get (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    const char *name = gw_req_param (req, "name");
    edge_redis_t *redis = gw_thread_redis (thread);
    const char *org = gw_req_org (req);
    redisReply *hash = edge_redis_command (
        redis, "HGETALL %s", gw_req_adopt (req, edge_key_sub (org, name)));
    if (!hash || hash->type != REDIS_REPLY_ARRAY) {
        freeReplyObject (hash);
        gw_req_reply_redis_failed (req, NULL, NULL);
        return;
    }
    if (hash->elements == 0) {
        freeReplyObject (hash);
        gw_call_fail (req, EDGE_ERR_NOT_FOUND, NULL,
                      "subscription '%s' not found", name);
        return;
    }
    json_t *obj = s_object (hash);
    freeReplyObject (hash);
    json_t *attempts = s_attempts (req, redis, name);
    redisReply *failed = edge_redis_command (
        redis, "ZCARD %s", gw_req_adopt (req, edge_key_sub_failed (org, name)));
    if (!attempts || !failed || failed->type != REDIS_REPLY_INTEGER) {
        json_decref (obj);
        json_decref (attempts);
        freeReplyObject (failed);
        gw_req_reply_redis_failed (req, NULL, NULL);
        return;
    }
    json_object_set_new (obj, "deliveries", attempts);
    json_object_set_new (obj, "failedDeliveries",
                         json_integer (failed->integer));
    freeReplyObject (failed);
    gw_req_reply_json (req, 200, obj);
}


void
gw_subs_delete (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    const char *name = gw_req_param (req, "name");
    const char *org = gw_req_org (req);
    gw_call_t call;
    gw_call_init (&call, req);
    gw_call_key_take (&call, edge_key_sub (org, name));
    gw_call_key_take (&call, edge_key_subs (org));
    gw_call_key_take (&call, edge_key_sub_attempts (org, name));
    gw_call_key_take (&call, edge_key_sub_failed (org, name));
    gw_call_key_take (&call, edge_key_sub_pending (org, name));
    gw_call_key (&call, EDGE_KEY_DELIVERIES_DUE);
    gw_call_arg (&call, name);
    gw_call_arg (&call, gw_req_adopt (req, edge_key_sub_chain (org, name, "")));
    long long deleted = 0;
    if (!s_run (&call, thread, &gw_lua_subs_delete, &deleted))
        return;
    if (deleted != 1) {
        gw_call_fail (req, EDGE_ERR_NOT_FOUND, NULL,
                      "subscription '%s' not found", name);
        return;
    }
    edge_info ("subscription %s deleted by %s", name, gw_req_identity (req));
    gw_req_reply_data (req, 204, "application/json", "", 0);
}


void
gw_subs_redeliver (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    const char *name = gw_req_param (req, "name");
    const char *org = gw_req_org (req);
    int64_t now_ms = edge_now_ms ();
    gw_call_t call;
    gw_call_init (&call, req);
    gw_call_key_take (&call, edge_key_sub (org, name));
    gw_call_key_take (&call, edge_key_sub_failed (org, name));
    gw_call_key (&call, EDGE_KEY_DELIVERIES_DUE);
    gw_call_key_take (&call, edge_key_sub_pending (org, name));
    gw_call_int (&call, now_ms - S_REDELIVER_WINDOW_MS);
    gw_call_int (&call, now_ms);
    gw_call_arg (&call, gw_req_adopt (req, edge_key_sub_chain (org, name, "")));
    long long count = 0;
    if (!s_run (&call, thread, &gw_lua_subs_redeliver, &count))
        return;
    if (count < 0) {
        gw_call_fail (req, EDGE_ERR_NOT_FOUND, NULL,
                      "subscription '%s' not found", name);
        return;
    }
    edge_info ("subscription %s: %lld deliveries re-queued by %s", name, count,
               gw_req_identity (req));
    gw_req_reply_json (req, 200,
                       json_pack ("{s:I}", "redelivered", (json_int_t) count));
}
