/*  gw_traces - trace upload: decode, resolve the build, validate against
    its manifest, store the .tr file, index it in Redis. The manifest and
    the .tr file are in the depot, read and written with the request
    thread's store (file:// or s3://).  */
#include "gw_traces.h"
#include "gw_call.h"
#include "gw_lua.h"
#include "edge_json.h"
#include "edge_keys.h"
#include "edge_log.h"
#include "edge_store.h"
#include "edge_util.h"
#include "gw_manifest.h"
#include "gw_trace.h"
#include "gw_trainings.h"
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define S_CACHE_ENTRIES 32
#define S_CACHE_BYTES   (256u << 20)

//  The build a trace is for.
typedef struct {
    int64_t id;
    char name[GW_TRACE_BUILD_MAX + 1];
    char dxf[64];
} s_build_t;

//  Decoding a large body costs up to ~10x its size (a JSON tree), so at
//  most EDGE_TRACE_PARALLEL large bodies are decoded at once; the others
//  wait up to S_GATE_WAIT_S, then get 503 with Retry-After.
#define S_GATE_LARGE  (1u << 20)
#define S_GATE_WAIT_S 30
static pthread_mutex_t s_gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t s_gate_cond = PTHREAD_COND_INITIALIZER;
static int64_t s_gate_busy; //  large decodes running

static gw_manifest_cache_t *s_cache; //  shared by every request thread

static const gw_call_answer_t s_index_answers[] = {
    {"no_app", EDGE_ERR_NOT_FOUND, "appName", "app '{}' not found"}, {NULL}};
static pthread_once_t s_cache_once = PTHREAD_ONCE_INIT;


static void
s_cache_init (void)
{
    s_cache = gw_manifest_cache_new (S_CACHE_ENTRIES, S_CACHE_BYTES);
}


//  Take a decode slot for a large body. Returns false (503 set) when none
//  came free in time.
static bool
s_gate_enter (gw_req_t *req, int64_t limit)
{
    if (limit < 1)
        limit = 1;
    struct timespec until;
    clock_gettime (CLOCK_REALTIME, &until);
    until.tv_sec += S_GATE_WAIT_S;
    pthread_mutex_lock (&s_gate_lock);
    int rc = 0;
    while (s_gate_busy >= limit && rc == 0)
        rc = pthread_cond_timedwait (&s_gate_cond, &s_gate_lock, &until);
    bool is_in = s_gate_busy < limit;
    if (is_in)
        s_gate_busy++;
    pthread_mutex_unlock (&s_gate_lock);
    if (!is_in) {
        gw_req_reply_header (req, "Retry-After", "5");
        gw_call_fail (req, EDGE_ERR_BUSY, NULL,
                      "too many large traces are being decoded; try "
                      "again shortly");
    }
    return is_in;
}


static void
s_gate_leave (void)
{
    pthread_mutex_lock (&s_gate_lock);
    s_gate_busy--;
    pthread_cond_signal (&s_gate_cond);
    pthread_mutex_unlock (&s_gate_lock);
}


//  True when dxf is the build entry's image or one it had before a
//  reorder (formerDxfNames: launchers keep playing a previous image until
//  they update, and their traces are as good).
static bool
s_is_image_of (const json_t *entry, const char *dxf)
{
    if (strcmp (edge_json_str (entry, "dxfName", ""), dxf) == 0)
        return true;
    size_t i;
    json_t *former;
    json_array_foreach (json_object_get (entry, "formerDxfNames"), i,
                        former) if (json_is_string (former)
                                    && strcmp (json_string_value (former), dxf)
                                           == 0) return true;
    return false;
}


//  Find the trace's build in the app's builds: by buildName (a dxfName
//  given too must be that build's image) or by dxfName. Returns 0, or -1
//  with the response set.
static int
s_find_build (gw_req_t *req,
              const gw_trace_t *trace,
              const char *builds_text,
              s_build_t *build)
{
    json_t *builds = json_loads (builds_text ? builds_text : "[]", 0, NULL);
    size_t i;
    json_t *entry;
    bool is_found = false;
    json_array_foreach (builds, i, entry)
    {
        const char *name = edge_json_str (entry, "buildName", "");
        const char *dxf = edge_json_str (entry, "dxfName", "");
        bool is_image = trace->dxf[0] && s_is_image_of (entry, trace->dxf);
        if (trace->build[0] ? strcmp (name, trace->build) == 0 : is_image) {
            //  Validated against the build's current image: every image
            //  of a build has the same files
            is_found = !trace->dxf[0] || is_image;
            build->id = edge_json_int (entry, "buildId", 0);
            snprintf (build->name, sizeof build->name, "%s", name);
            snprintf (build->dxf, sizeof build->dxf, "%s", dxf);
            break;
        }
    }
    json_decref (builds);
    if (is_found && build->id > 0 && edge_name_is_valid (build->dxf))
        return 0;
    if (trace->build[0] && !trace->dxf[0])
        gw_call_fail (req, EDGE_ERR_NOT_FOUND, "buildName",
                      "build '%s' of app '%s' not found", trace->build,
                      trace->app);
    else
        gw_call_fail (req, EDGE_ERR_NOT_FOUND, "dxfName",
                      "image '%s' of app '%s'%s%s not found", trace->dxf,
                      trace->app, trace->build[0] ? " build " : "",
                      trace->build);
    return -1;
}


//  Read the app's builds and find the trace's. Returns 0, or -1 with the
//  response set.
static int
s_resolve (gw_req_t *req,
           gw_thread_t *thread,
           const gw_trace_t *trace,
           s_build_t *build)
{
    redisReply *reply = edge_redis_command (
        gw_thread_redis (thread), "HMGET %s name builds",
        gw_req_adopt (req, edge_key_app (gw_req_org (req), trace->app)));
    int rc = -1;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2)
        gw_req_reply_redis_failed (req, reply, "traces: app");
    else if (reply->element[0]->type != REDIS_REPLY_STRING)
        gw_call_fail (req, EDGE_ERR_NOT_FOUND, "appName", "app '%s' not found",
                      trace->app);
    else
        rc = s_find_build (req, trace, reply->element[1]->str, build);
    freeReplyObject (reply);
    return rc;
}


//  The manifest at key in the depot, through the shared cache: read in
//  place from a file:// depot, downloaded from an s3:// one. Returns a
//  reference, or NULL with why set.
static gw_manifest_t *
s_manifest (gw_req_t *req,
            const gw_ctx_t *ctx,
            edge_store_t *store,
            const char *key,
            char *why,
            size_t whylen)
{
    pthread_once (&s_cache_once, s_cache_init);
    const char *root = edge_depot_fs_root (&ctx->config->depot);
    if (root)
        return gw_manifest_cache_get (
            s_cache, gw_req_sprintf (req, "%s/%s", root, key), why, whylen);
    const char *name =
        gw_req_sprintf (req, "%s/%s", ctx->config->depot.url, key);
    return gw_manifest_cache_get_stored (s_cache, name, store, key, why,
                                         whylen);
}


//  Decode, resolve and validate. Returns the trace (scope: caller
//  destroys) or NULL with the response set.
static gw_trace_t *
s_accept (gw_req_t *req,
          const gw_ctx_t *ctx,
          gw_thread_t *thread,
          edge_store_t *store,
          s_build_t *build)
{
    edge_json_err_t err;
    size_t len;
    const char *body = gw_req_body (req, &len);
    const char *type = gw_req_header (req, "Content-Type");
    bool is_msgpack = type
                      && strncasecmp (type, GW_TRACE_MSGPACK_TYPE,
                                      strlen (GW_TRACE_MSGPACK_TYPE))
                             == 0;
    bool is_large = len > S_GATE_LARGE;
    if (is_large && !s_gate_enter (req, ctx->config->trace_parallel))
        return NULL;
    gw_trace_t *trace = is_msgpack ? gw_trace_decode_msgpack (body, len, &err)
                                   : gw_trace_decode_json (body, len, &err);
    if (is_large)
        s_gate_leave ();
    if (!trace) {
        gw_req_reply_error (req, &err);
        return NULL;
    }
    if (!trace->build[0] && !trace->dxf[0]) {
        gw_call_fail (req, EDGE_ERR_MISSING_FIELD, "buildName",
                      "give \"buildName\" or \"dxfName\"");
        goto refused;
    }
    if (s_resolve (req, thread, trace, build))
        goto refused;
    char *key = gw_req_sprintf (req, "dxf/%s/%s/%04lld/%s/manifest.json",
                                gw_req_org (req), trace->app,
                                (long long) build->id, build->dxf);
    char why[256];
    gw_manifest_t *manifest =
        s_manifest (req, ctx, store, key, why, sizeof why);
    if (!manifest) {
        edge_error ("traces: manifest of %s/%s build %lld: %s",
                    gw_req_org (req), trace->app, (long long) build->id, why);
        gw_call_fail (req, EDGE_ERR_STORE, NULL,
                      "the manifest of build %lld cannot be read; try "
                      "again later",
                      (long long) build->id);
        goto refused;
    }
    int rc = gw_trace_validate (trace, manifest, &err);
    gw_manifest_release (&manifest);
    if (rc == 0)
        return trace;
    gw_req_reply_error (req, &err);
refused:
    gw_trace_destroy (&trace);
    return NULL;
}


//  Index the stored trace. Returns the build's trace count, or -1 with
//  the response set.
static long long
s_index_trace (gw_req_t *req,
               gw_thread_t *thread,
               const gw_trace_t *trace,
               const s_build_t *build,
               const char *id,
               const char *key)
{
    const char *org = gw_req_org (req);
    int64_t now_ms = edge_now_ms ();
    char created[32];
    edge_rfc3339 (now_ms, created, sizeof created);
    const char *identity = gw_req_identity (req);
    gw_call_t call;
    gw_call_init (&call, req);
    gw_call_key_take (&call, edge_key_app (org, trace->app));
    gw_call_key_take (&call, edge_key_app_traces (org, trace->app));
    gw_call_key_take (&call, edge_key_app_trace (org, trace->app, id));
    gw_call_key_take (&call, edge_key_app_tracecounts (org, trace->app));
    gw_call_arg (&call, id);
    gw_call_int (&call, now_ms);
    gw_call_int (&call, build->id);
    gw_call_pair (&call, "traceId", id);
    gw_call_arg (&call, "buildId");
    gw_call_int (&call, build->id);
    gw_call_pair (&call, "buildName", build->name);
    gw_call_pair (&call, "dxfName", build->dxf);
    gw_call_pair (&call, "key", key);
    gw_call_arg (&call, "accesses");
    gw_call_int (&call, (int64_t) trace->count);
    gw_call_arg (&call, "durationMs");
    gw_call_int (&call, gw_trace_duration_ms (trace));
    gw_call_pair (&call, "created", created);
    gw_call_pair (&call, "createdBy", identity ? identity : "");
    redisReply *reply = gw_call_run (&call, thread, &gw_lua_traces_index,
                                     s_index_answers, trace->app);
    long long count = -1;
    if (reply && reply->elements == 2
        && reply->element[1]->type == REDIS_REPLY_INTEGER)
        count = reply->element[1]->integer;
    else if (reply)
        gw_req_reply_redis_failed (req, reply, "traces: index");
    freeReplyObject (reply);
    return count;
}


//  Write the .tr file and index it. Returns the trace count, or -1 with
//  the response set and nothing left behind.
static long long
s_store (gw_req_t *req,
         edge_store_t *store,
         gw_thread_t *thread,
         const gw_trace_t *trace,
         const s_build_t *build,
         const char *id)
{
    char *key =
        gw_req_sprintf (req, "traces/%s/%s/%04lld/%s.tr", gw_req_org (req),
                        trace->app, (long long) build->id, id);
    char *data = NULL;
    size_t size = 0;
    gw_trace_encode (trace, id, build->dxf, build->id, &data, &size);
    int rc = edge_store_put_mem (store, key, data, size);
    free (data);
    if (rc) {
        edge_error ("traces: cannot write %s: %s", key,
                    edge_store_errstr (store));
        gw_call_fail (req, EDGE_ERR_STORE, NULL,
                      "the trace cannot be stored; try again later");
        return -1;
    }
    long long count = s_index_trace (req, thread, trace, build, id, key);
    if (count < 0 && edge_store_delete (store, key))
        edge_error ("traces: cannot remove %s after a failed index: %s", key,
                    edge_store_errstr (store));
    return count;
}


void
gw_traces_upload (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    edge_store_t *store = gw_thread_depot (thread);
    if (!store) {
        gw_call_fail (req, EDGE_ERR_STORE, NULL,
                      "the depot (EDGE_STORE) cannot be opened");
        return;
    }
    s_build_t build = {0};
    gw_trace_t *trace = s_accept (req, ctx, thread, store, &build);
    if (!trace)
        return;
    char id[24] = "tr_";
    edge_random_hex (id + 3, 10);
    long long count = s_store (req, store, thread, trace, &build, id);
    if (count >= 0) {
        edge_info ("trace %s of %s/%s build %lld: %zu accesses, %lld traces",
                   id, gw_req_org (req), trace->app, (long long) build.id,
                   trace->count, count);
        gw_req_reply_json (req, 201,
                           json_pack ("{s:s,s:I}", "traceId", id, "traces",
                                      (json_int_t) count));
        gw_trainings_outcome_t out;
        gw_trainings_process (thread, gw_req_org (req), trace->app,
                              gw_req_identity (req), true, &out);
    }
    gw_trace_destroy (&trace);
}
