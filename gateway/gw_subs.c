/*  gw_subs - subscriptions: storage per the webhook contract (e:{O}:subs,
    e:{O}:sub:N, e:{O}:sub:N:attempts, e:{O}:sub:N:failed); the notifier
    delivers.  */
#include "gw_subs.h"
#include "edge_crypto.h"
#include "edge_json.h"
#include "edge_keys.h"
#include "edge_log.h"
#include "edge_util.h"
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

//  Free reply; when it is not an integer, answer the failure. Returns true
//  when the reply was an integer (in *value).
static bool
s_integer (gw_req_t *req, redisReply *reply, long long *value)
{
    bool is_int = reply && reply->type == REDIS_REPLY_INTEGER;
    if (is_int)
        *value = reply->integer;
    else
        gw_req_reply_redis_failed (req, reply, "subscriptions");
    freeReplyObject (reply);
    return is_int;
}


//  The caller's org (the router guarantees a principal). Borrowed.
static const char *
s_org (gw_req_t *req)
{
    return gw_req_principal (req)->org;
}


//  Key of subscription name in the caller's org. Freed with the request.
static char *
s_key (gw_req_t *req, const char *name)
{
    return gw_req_adopt (req, edge_key_sub (s_org (req), name));
}


//  Check that every item of array is one of allowed; returns a deduplicated
//  compact JSON array text (freed with the request), or NULL with err set.
static char *
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


void
gw_subs_create (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    edge_json_err_t err;
    json_t *body = gw_req_json (req, &err);
    if (!body || edge_json_check (body, s_create_fields, 5, &err)) {
        gw_req_reply_error (req, &err);
        return;
    }
    const char *name = edge_json_str (body, "name", "");
    const char *url = edge_json_str (body, "url", NULL);
    const char *slack = edge_json_str (body, "slackChannel", NULL);
    char *types = s_enum_array (req, json_object_get (body, "types"), "types",
                                s_types, &err);
    char *events = types ? s_enum_array (req, json_object_get (body, "events"),
                                         "events", s_events, &err)
                         : NULL;
    if (!types || !events || s_check_target (ctx, url, slack, &err)) {
        gw_req_reply_error (req, &err);
        return;
    }
    int64_t now = edge_now_ms ();
    char created[32], now_ms[24];
    edge_rfc3339 (now, created, sizeof created);
    snprintf (now_ms, sizeof now_ms, "%lld", (long long) now);
    char *secret = s_new_secret (req);
    const char *keys[] = {s_key (req, name),
                          gw_req_adopt (req, edge_key_subs (s_org (req)))};
    const char *args[] = {now_ms,
                          "name",
                          name,
                          url ? "url" : "slackChannel",
                          url ? url : slack,
                          "types",
                          types,
                          "events",
                          events,
                          "secret",
                          secret,
                          "state",
                          "enabled",
                          "created",
                          created,
                          "updated",
                          created};
    redisReply *reply = edge_redis_eval (
        gw_thread_redis (thread), &gw_lua_subs_create, 2, keys, 17, args);
    long long created_rc = 0;
    if (!s_integer (req, reply, &created_rc))
        return;
    if (created_rc != 1) {
        gw_req_reply_fail (req, 409, "conflict", "name",
                           "subscription '%s' already exists", name);
        return;
    }
    json_t *out = json_pack ("{s:s,s:s,s:o,s:o,s:s,s:s,s:s}", "name", name,
                             url ? "url" : "slackChannel", url ? url : slack,
                             "types", json_loads (types, 0, NULL), "events",
                             json_loads (events, 0, NULL), "state", "enabled",
                             "created", created, "secret", secret);
    edge_info ("subscription %s created for %s", name, gw_req_identity (req));
    gw_req_reply_json (req, 201, out);
}


void
gw_subs_list (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    const char *org = gw_req_principal (req)->org;
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
        gw_req_adopt (req, edge_key_sub_attempts (s_org (req), name)),
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
    redisReply *hash =
        edge_redis_command (redis, "HGETALL %s", s_key (req, name));
    if (!hash || hash->type != REDIS_REPLY_ARRAY) {
        freeReplyObject (hash);
        gw_req_reply_redis_failed (req, NULL, NULL);
        return;
    }
    if (hash->elements == 0) {
        freeReplyObject (hash);
        gw_req_reply_fail (req, 404, "not_found", NULL,
                           "subscription '%s' not found", name);
        return;
    }
    json_t *obj = s_object (hash);
    freeReplyObject (hash);
    json_t *attempts = s_attempts (req, redis, name);
    redisReply *failed = edge_redis_command (
        redis, "ZCARD %s",
        gw_req_adopt (req, edge_key_sub_failed (s_org (req), name)));
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
    const char *keys[] = {
        s_key (req, name),
        gw_req_adopt (req, edge_key_subs (s_org (req))),
        gw_req_adopt (req, edge_key_sub_attempts (s_org (req), name)),
        gw_req_adopt (req, edge_key_sub_failed (s_org (req), name)),
        gw_req_adopt (req, edge_key_sub_pending (s_org (req), name)),
        EDGE_KEY_DELIVERIES_DUE};
    const char *args[] = {
        name, gw_req_adopt (req, edge_key_sub_chain (s_org (req), name, ""))};
    redisReply *reply = edge_redis_eval (gw_thread_redis (thread),
                                         &gw_lua_subs_delete, 6, keys, 2, args);
    long long deleted = 0;
    if (!s_integer (req, reply, &deleted))
        return;
    if (deleted != 1) {
        gw_req_reply_fail (req, 404, "not_found", NULL,
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
    int64_t now = edge_now_ms ();
    char since[24], now_ms[24];
    snprintf (since, sizeof since, "%lld",
              (long long) (now - S_REDELIVER_WINDOW_MS));
    snprintf (now_ms, sizeof now_ms, "%lld", (long long) now);
    const char *keys[] = {
        s_key (req, name),
        gw_req_adopt (req, edge_key_sub_failed (s_org (req), name)),
        EDGE_KEY_DELIVERIES_DUE,
        gw_req_adopt (req, edge_key_sub_pending (s_org (req), name))};
    const char *args[] = {
        since, now_ms,
        gw_req_adopt (req, edge_key_sub_chain (s_org (req), name, ""))};
    redisReply *reply = edge_redis_eval (
        gw_thread_redis (thread), &gw_lua_subs_redeliver, 4, keys, 3, args);
    long long count = 0;
    if (!s_integer (req, reply, &count))
        return;
    if (count < 0) {
        gw_req_reply_fail (req, 404, "not_found", NULL,
                           "subscription '%s' not found", name);
        return;
    }
    edge_info ("subscription %s: %lld deliveries re-queued by %s", name, count,
               gw_req_identity (req));
    gw_req_reply_json (req, 200,
                       json_pack ("{s:I}", "redelivered", (json_int_t) count));
}
