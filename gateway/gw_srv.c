/*  gw_srv - health, readiness, metrics, OpenAPI and versions handlers.  */
#include "gw_srv.h"
#include "edge_assert.h"
#include "proto_query.h"
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define S_METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define S_YAML_TYPE    "application/yaml"


//  A JSON string, or null when text is NULL or not UTF-8.
static json_t *
s_string_or_null (const char *text)
{
    json_t *value = text ? json_string (text) : NULL;
    return value ? value : json_null ();
}


void
gw_srv_healthz (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    (void) thread;
    gw_req_reply_json (req, 200, json_pack ("{s:s}", "status", "ok"));
}


void
gw_srv_readyz (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    bool is_redis_ok = gw_thread_redis_ping (thread) == 0;
    proto_answer_t *answer = gw_thread_query (
        thread, PROTO_QUERY_PING, (int) ctx->config->broker_timeout_ms);
    bool is_broker_ok = answer != NULL;
    proto_answer_destroy (&answer);
    const char *redis = is_redis_ok ? "ok" : "unavailable";
    const char *broker = is_broker_ok ? "ok" : "unavailable";
    if (is_redis_ok && is_broker_ok) {
        gw_req_reply_json (req, 200,
                           json_pack ("{s:s,s:s,s:s}", "status", "ready",
                                      "redis", redis, "broker", broker));
        return;
    }
    //  The error format, plus which dependency failed
    const char *message = !is_redis_ok && !is_broker_ok
                              ? "not ready: redis and broker unavailable"
                          : !is_redis_ok ? "not ready: redis unavailable"
                                         : "not ready: broker unavailable";
    json_t *body =
        json_pack ("{s:{s:i,s:s,s:s},s:s,s:s,s:s}", "error", "status", 503,
                   "code", "not_ready", "message", message, "status",
                   "not_ready", "redis", redis, "broker", broker);
    gw_req_reply_json (req, 503, body);
}


void
gw_srv_metrics (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) thread;
    char *text =
        gw_req_adopt (req, gw_metrics_render (ctx->metrics, EDGE_VERSION));
    gw_req_reply_data (req, 200, S_METRICS_TYPE, text, strlen (text));
}


void
gw_srv_openapi (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) thread;
    gw_req_reply_data (req, 200, S_YAML_TYPE, ctx->openapi, ctx->openapi_len);
}


//  The engine version: the workers' one when they all agree, "mixed" when
//  they differ, null without workers.
static json_t *
s_engine_version (const proto_answer_t *answer)
{
    if (!answer || answer->nworkers == 0)
        return json_null ();
    const char *first = answer->workers[0].version;
    for (size_t i = 1; i < answer->nworkers; i++) {
        const char *other = answer->workers[i].version;
        if (!first || !other || strcmp (first, other) != 0)
            return json_string ("mixed");
    }
    return s_string_or_null (first);
}


static json_t *
s_workers (const proto_answer_t *answer)
{
    json_t *workers = json_array ();
    for (size_t i = 0; answer && i < answer->nworkers; i++) {
        const proto_worker_info_t *w = &answer->workers[i];
        json_t *item = json_object ();
        json_object_set_new (item, "id", s_string_or_null (w->id));
        json_object_set_new (item, "version", s_string_or_null (w->version));
        json_object_set_new (item, "capacity", json_integer (w->capacity));
        json_object_set_new (item, "free", json_integer (w->free));
        json_object_set_new (item, "idleMs",
                             json_integer ((json_int_t) w->idle_ms));
        json_array_append_new (workers, item);
    }
    return workers;
}


void
gw_srv_versions (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    proto_answer_t *answer = gw_thread_query (
        thread, PROTO_QUERY_VERSIONS, (int) ctx->config->broker_timeout_ms);
    json_t *components = json_object ();
    json_object_set_new (components, "gateway", json_string (EDGE_VERSION));
    json_object_set_new (
        components, "broker",
        s_string_or_null (answer ? answer->broker_version : NULL));
    json_t *body = json_object ();
    json_object_set_new (body, "edge", json_string (EDGE_VERSION));
    json_object_set_new (body, "engine", s_engine_version (answer));
    json_object_set_new (body, "components", components);
    json_object_set_new (body, "workers", s_workers (answer));
    json_object_set_new (body, "queued",
                         answer ? json_integer ((json_int_t) answer->queued)
                                : json_null ());
    proto_answer_destroy (&answer);
    gw_req_reply_json (req, 200, body);
}
