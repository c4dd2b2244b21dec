/*  gw_trainings - training settings and figures, and starting trace
    processing (one Lua script checks and reserves, so two triggers never
    start two processing tasks of one app).  */
#include "gw_trainings.h"
#include "edge_json.h"
#include "edge_keys.h"
#include "edge_log.h"
#include "edge_util.h"
#include "gw_list.h"
#include "gw_lua.h"
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_RESERVE_MS                                                           \
    60000 //  a reservation not turned into a task expires
          //  (as an import's, GW_BUILDS_RESERVE_STALE_MS)

//  A setting: its name, default, bounds and whether it is a real number.
typedef struct {
    const char *name;
    const char *dflt;
    double min, max;
    bool is_real;
} s_setting_t;

static const s_setting_t s_settings[] = {
    {"nTracesReliable", "10", 1, 100000, false},
    {"bandwidthBps", "100000000", 1e5, 1e11, false},
    {"percentile", "90", 50, 100, true},
    {"improvementThreshold", "0.05", 0, 1, true},
    {"autoProcessEvery", "0", 0, 100000, false},
};

static const char *const s_fields[] = {"appName",
                                       "iCurBuild",
                                       "dxfName",
                                       "traces",
                                       "tracesCurrentBuild",
                                       "nTracesReliable",
                                       "bandwidthBps",
                                       "percentile",
                                       "improvementThreshold",
                                       "autoProcessEvery",
                                       "lastProcessed",
                                       "lastTaskName",
                                       "tracesUsed",
                                       "before",
                                       "after",
                                       "preloadBytes",
                                       "quality",
                                       "processingTask",
                                       NULL};
static const gw_list_spec_t s_spec = {s_fields, "appName"};

//  The buildName of build_id in the app's builds JSON, or NULL. Borrowed
//  from builds.
static const char *
s_build_name (const json_t *builds, int64_t build_id)
{
    size_t i;
    const json_t *build;
    json_array_foreach (builds, i, build)
    {
        if (edge_json_int (build, "buildId", -1) == build_id)
            return edge_json_str (build, "buildName", NULL);
    }
    return NULL;
}


//  Create the mkraw task of a reserved processing and send its job.
static gw_trainings_rc_t
s_create (gw_thread_t *thread,
          const char *org,
          const char *app,
          const char *identity,
          const redisReply *ok,
          gw_trainings_outcome_t *out)
{
    const char *dxf = ok->element[2]->str;
    json_t *builds = json_loads (ok->element[3]->str, 0, NULL);
    json_t *object =
        json_pack ("{s:s,s:s,s:I,s:s}", "appName", app, "mode", "traces",
                   "buildId", (json_int_t) out->build_id, "dxfName", dxf);
    char *params = edge_json_dumps (object);
    json_decref (object);
    edge_task_spec_t spec = {.type = "mkraw",
                             .org = org,
                             .app = app,
                             .build = s_build_name (builds, out->build_id),
                             .dxf = dxf,
                             .params = params,
                             .created_by = identity};
    int rc = edge_task_create (gw_thread_redis (thread), &spec, out->task);
    free (params);
    json_decref (builds);
    if (rc)
        return GW_TRAININGS_REDIS;
    if (gw_thread_send_job (thread, out->task, "mkraw"))
        edge_warn ("task %s: broker did not take the job; the reaper will",
                   out->task);
    edge_info ("trace processing of %s/%s build %lld (%lld traces): task %s "
               "by %s",
               org, app, (long long) out->build_id, (long long) out->traces,
               out->task, identity ? identity : "-");
    return GW_TRAININGS_STARTED;
}


//  A reply {'status', ...} to an rc (the outcome's numbers filled).
static gw_trainings_rc_t
s_reserve_rc (const redisReply *reply, gw_trainings_outcome_t *out)
{
    const char *status = edge_redis_script_status (reply);
    if (!status)
        return GW_TRAININGS_REDIS;
    static const char *const words[] = {"not_found", "no_build", "locked",
                                        "skip"};
    static const gw_trainings_rc_t rcs[] = {
        GW_TRAININGS_NOT_FOUND, GW_TRAININGS_NO_BUILD, GW_TRAININGS_LOCKED,
        GW_TRAININGS_SKIPPED};
    for (size_t i = 0; i < 4; i++)
        if (strcmp (status, words[i]) == 0)
            return rcs[i];
    if (strcmp (status, "busy") == 0 && reply->elements == 2) {
        snprintf (out->task, sizeof out->task, "%s", reply->element[1]->str);
        return GW_TRAININGS_BUSY;
    }
    if (strcmp (status, "not_enough") == 0 && reply->elements == 4) {
        out->build_id = strtoll (reply->element[1]->str, NULL, 10);
        out->traces = strtoll (reply->element[2]->str, NULL, 10);
        out->needed = strtoll (reply->element[3]->str, NULL, 10);
        return GW_TRAININGS_NOT_ENOUGH;
    }
    if (strcmp (status, "ok") == 0 && reply->elements == 6) {
        out->build_id = strtoll (reply->element[1]->str, NULL, 10);
        out->traces = strtoll (reply->element[4]->str, NULL, 10);
        out->needed = strtoll (reply->element[5]->str, NULL, 10);
        return GW_TRAININGS_STARTED;
    }
    return GW_TRAININGS_REDIS;
}


gw_trainings_rc_t
gw_trainings_process (gw_thread_t *thread,
                      const char *org,
                      const char *app,
                      const char *identity,
                      bool is_auto,
                      gw_trainings_outcome_t *out)
{
    memset (out, 0, sizeof *out);
    char token[33], now[24], until[24], dflt[16], reservation[48];
    char *app_key = edge_key_app (org, app);
    char *training = edge_key_training (org, app);
    char *counts = edge_key_app_tracecounts (org, app);
    edge_random_hex (token, 16);
    int64_t now_ms = edge_now_ms ();
    snprintf (now, sizeof now, "%lld", (long long) now_ms);
    snprintf (until, sizeof until, "%lld", (long long) now_ms + S_RESERVE_MS);
    snprintf (dflt, sizeof dflt, "%d", GW_TRAININGS_DEFAULT_RELIABLE);
    snprintf (reservation, sizeof reservation, "reserved:%s", token);
    const char *keys[] = {app_key, training, counts};
    const char *args[] = {EDGE_KEY_TASK_PREFIX, token, now, until,
                          is_auto ? "1" : "0",  dflt};
    edge_redis_t *redis = gw_thread_redis (thread);
    redisReply *reply =
        edge_redis_eval (redis, &gw_lua_trainings_reserve, 3, keys, 6, args);
    gw_trainings_rc_t rc = s_reserve_rc (reply, out);
    if (rc == GW_TRAININGS_REDIS && reply)
        edge_error ("trainings: unexpected reserve reply (type %d%s%.200s)",
                    reply->type, reply->type == REDIS_REPLY_ERROR ? ": " : "",
                    reply->type == REDIS_REPLY_ERROR ? reply->str : "");
    if (rc == GW_TRAININGS_STARTED) {
        rc = s_create (thread, org, app, identity, reply, out);
        const char *settle[] = {reservation,
                                rc == GW_TRAININGS_STARTED ? out->task : ""};
        redisReply *settled = edge_redis_eval (redis, &gw_lua_trainings_settle,
                                               1, &keys[1], 2, settle);
        if (!settled || settled->type != REDIS_REPLY_INTEGER
            || settled->integer != 1)
            edge_warn ("trainings: the processing reservation of %s/%s %s "
                       "(task %s)",
                       org, app,
                       settled ? "had expired or been replaced"
                               : "could not be settled (Redis failed)",
                       rc == GW_TRAININGS_STARTED ? out->task : "none");
        freeReplyObject (settled);
    }
    freeReplyObject (reply);
    free (counts);
    free (training);
    free (app_key);
    return rc;
}


void
gw_trainings_trigger (gw_req_t *req, gw_thread_t *thread, const char *app)
{
    gw_trainings_outcome_t out;
    gw_trainings_rc_t rc =
        gw_trainings_process (thread, gw_req_principal (req)->org, app,
                              gw_req_identity (req), false, &out);
    switch (rc) {
        case GW_TRAININGS_STARTED:
            gw_req_reply_header (
                req, "Location",
                gw_req_sprintf (req, "/be/v1/tasks/%s", out.task));
            gw_req_reply_json (req, 202,
                               json_pack ("{s:s,s:s,s:s}", "taskName", out.task,
                                          "group", out.task, "state",
                                          "queued"));
            break;
        case GW_TRAININGS_NOT_FOUND:
            gw_req_reply_fail (req, 404, "not_found", NULL,
                               "app '%s' not found", app);
            break;
        case GW_TRAININGS_NO_BUILD:
            gw_req_reply_fail (req, 409, "no_build", NULL,
                               "app '%s' has no current build whose traces "
                               "could be processed",
                               app);
            break;
        case GW_TRAININGS_LOCKED:
            gw_req_reply_fail (req, 409, "app_locked", NULL,
                               "app '%s' is locked by a failed deploy; retry "
                               "that task or patch the app first",
                               app);
            break;
        case GW_TRAININGS_NOT_ENOUGH:
            gw_req_reply_fail (
                req, 409, "not_enough_traces", NULL,
                "app '%s' has %lld traces of its current build %lld; "
                "processing needs nTracesReliable = %lld",
                app, (long long) out.traces, (long long) out.build_id,
                (long long) out.needed);
            break;
        case GW_TRAININGS_BUSY:
            gw_req_reply_fail (req, 409, "processing_busy", NULL,
                               "trace processing of app '%s' is already "
                               "queued or running (%s)",
                               app, out.task);
            break;
        default:
            gw_req_reply_redis_failed (req, NULL, NULL);
    }
}


//  A stored setting or figure as a JSON number (integer when it is one).
static json_t *
s_number (const char *text)
{
    if (!text || !*text)
        return json_null ();
    char *end;
    if (!strpbrk (text, ".eE")) {
        long long value = strtoll (text, &end, 10);
        return *end ? json_null () : json_integer (value);
    }
    double value = strtod (text, &end);
    return *end || !isfinite (value) ? json_null () : json_real (value);
}


//  A stored JSON object text, or null.
static json_t *
s_object_text (const char *text)
{
    json_t *value = text ? json_loads (text, 0, NULL) : NULL;
    if (json_is_object (value))
        return value;
    json_decref (value);
    return json_null ();
}


//  Figures of the current image: the last processing's "after" when it
//  changed the build, else its "before".
static void
s_current_figures (json_t *item, const redisReply *training)
{
    const char *changed = edge_redis_hash_field (training, "buildChanged");
    bool is_changed =
        changed
        && (strcmp (changed, "true") == 0 || strcmp (changed, "1") == 0);
    json_t *figures = json_object_get (item, is_changed ? "after" : "before");
    const char *names[] = {"preloadBytes", "quality"};
    for (size_t i = 0; i < 2; i++) {
        json_t *value = json_object_get (figures, names[i]);
        json_object_set_new (item, names[i],
                             value ? json_incref (value) : json_null ());
    }
}


//  The item of one app from its s_read entry, or NULL when the app is gone.
//  Caller owns.
static json_t *
s_item (const char *app, const redisReply *entry)
{
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 6
        || entry->element[0]->integer != 1)
        return NULL;
    const redisReply *training = entry->element[5];
#define S_FIELD(name) edge_redis_hash_field (training, name)
    json_t *item = json_object ();
    json_object_set_new (item, "appName", json_string (app));
    json_object_set_new (item, "iCurBuild", s_number (entry->element[1]->str));
    const char *dxf = entry->element[2]->str;
    json_object_set_new (item, "dxfName", edge_json_text (*dxf ? dxf : NULL));
    json_object_set_new (item, "traces",
                         json_integer (entry->element[3]->integer));
    json_object_set_new (item, "tracesCurrentBuild",
                         json_integer (entry->element[4]->integer));
    for (size_t i = 0; i < EDGE_COUNT (s_settings); i++) {
        const char *value = S_FIELD (s_settings[i].name);
        json_object_set_new (item, s_settings[i].name,
                             s_number (value ? value : s_settings[i].dflt));
    }
    json_object_set_new (item, "lastProcessed",
                         edge_json_text (S_FIELD ("lastProcessed")));
    json_object_set_new (item, "lastTaskName",
                         edge_json_text (S_FIELD ("lastTaskName")));
    json_object_set_new (item, "tracesUsed", s_number (S_FIELD ("tracesUsed")));
    json_object_set_new (item, "before", s_object_text (S_FIELD ("before")));
    json_object_set_new (item, "after", s_object_text (S_FIELD ("after")));
    s_current_figures (item, training);
    const char *task = S_FIELD ("processingTask");
    bool is_task = task && strncmp (task, "reserved:", 9) != 0;
    json_object_set_new (item, "processingTask",
                         edge_json_text (is_task ? task : NULL));
#undef S_FIELD
    return item;
}


//  Read the items of names (count of them) into items. Returns 0, or -1
//  when Redis failed (the response is then set).
static int
s_read_items (gw_req_t *req,
              gw_thread_t *thread,
              const gw_list_t *list,
              char **names,
              size_t count,
              json_t *items)
{
    const char *org = gw_req_principal (req)->org;
    const char **args = gw_req_alloc (req, (count + 2) * sizeof (char *));
    args[0] = gw_req_adopt (req, edge_key_app (org, ""));
    args[1] = gw_req_adopt (req, edge_key_training (org, ""));
    for (size_t i = 0; i < count; i++)
        args[i + 2] = names[i];
    redisReply *reply =
        edge_redis_eval (gw_thread_redis (thread), &gw_lua_trainings_read, 0,
                         NULL, (int) count + 2, args);
    if (!reply || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != count) {
        gw_req_reply_redis_failed (req, reply, "trainings: read");
        freeReplyObject (reply);
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        json_t *item = s_item (names[i], reply->element[i]);
        if (item)
            json_array_append_new (items, gw_list_project (list, item));
    }
    freeReplyObject (reply);
    return 0;
}


void
gw_trainings_list (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    gw_list_t list;
    if (gw_list_parse_req (req, &s_spec, false, &list))
        return;
    gw_list_page_t page = {0};
    const char *index =
        gw_req_adopt (req, edge_key_apps (gw_req_principal (req)->org));
    if (gw_list_fetch (gw_thread_redis (thread), index, &list, &page)) {
        gw_list_page_fini (&page);
        gw_req_reply_redis_failed (req, NULL, NULL);
        return;
    }
    json_t *items = json_array ();
    if (page.count == 0
        || s_read_items (req, thread, &list, page.names, page.count, items)
               == 0)
        gw_req_reply_json (req, 200, gw_list_answer (&list, page.total, items));
    else
        json_decref (items);
    gw_list_page_fini (&page);
}


//  Answer one app's item (404 when it does not exist).
static void
s_reply_one (gw_req_t *req,
             gw_thread_t *thread,
             const gw_list_t *list,
             const char *app,
             int status)
{
    json_t *items = json_array ();
    char *names[] = {(char *) app};
    if (s_read_items (req, thread, list, names, 1, items) == 0) {
        if (json_array_size (items) == 1)
            gw_req_reply_json (req, status,
                               json_incref (json_array_get (items, 0)));
        else
            gw_req_reply_fail (req, 404, "not_found", NULL,
                               "app '%s' not found", app);
    }
    json_decref (items);
}


void
gw_trainings_get (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    gw_list_t list;
    if (gw_list_parse_req (req, &s_spec, true, &list))
        return;
    s_reply_one (req, thread, &list, gw_req_param (req, "appName"), 200);
}


//  Check one PATCH member; adds it to the deletions or the pairs.
static int
s_patch_member (gw_req_t *req,
                const char *key,
                const json_t *value,
                const char **dels,
                size_t *ndels,
                const char **pairs,
                size_t *npairs,
                edge_json_err_t *err)
{
    const s_setting_t *s = NULL;
    for (size_t i = 0; i < EDGE_COUNT (s_settings) && !s; i++)
        if (strcmp (key, s_settings[i].name) == 0)
            s = &s_settings[i];
    if (!s)
        return edge_json_err_set (err, 400, "unknown_field", key,
                                  "unknown field '%s'", key);
    if (json_is_null (value)) {
        dels[(*ndels)++] = s->name;
        return 0;
    }
    bool is_ok = s->is_real ? json_is_number (value) : json_is_integer (value);
    double number = json_number_value (value);
    if (!is_ok || number < s->min || number > s->max)
        return edge_json_err_set (err, 400, "invalid_field", key,
                                  "field '%s' must be %s from %g to %g (or "
                                  "null for the default %s)",
                                  key, s->is_real ? "a number" : "an integer",
                                  s->min, s->max, s->dflt);
    pairs[(*npairs)++] = s->name;
    pairs[(*npairs)++] =
        json_is_integer (value) ? gw_req_sprintf (
            req, "%lld", (long long) json_integer_value (value))
                                : gw_req_sprintf (req, "%.17g", number);
    return 0;
}


void
gw_trainings_patch (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    edge_json_err_t err;
    json_t *body = gw_req_json (req, &err);
    const char *app = edge_json_str (body, "appName", NULL);
    const char *args[1 + EDGE_COUNT (s_settings) * 3],
        *pairs[EDGE_COUNT (s_settings) * 2];
    size_t ndels = 0, npairs = 0;
    bool is_bad = !body;
    if (!is_bad && !json_is_object (body))
        is_bad = edge_json_err_set (&err, 400, "invalid_json", NULL,
                                    "the body must be a JSON object");
    //  Members before appName: an unknown member is named first, as
    //  everywhere in the API.
    const char *key;
    json_t *value;
    json_object_foreach (is_bad ? NULL : body, key, value)
    {
        if (strcmp (key, "appName") != 0
            && s_patch_member (req, key, value, args + 1, &ndels, pairs,
                               &npairs, &err)) {
            is_bad = true;
            break;
        }
    }
    if (!is_bad && !edge_name_is_valid (app))
        is_bad = edge_json_err_set (
            &err, 400,
            json_object_get (body, "appName") ? "invalid_field"
                                              : "missing_field",
            "appName", "field 'appName' must be an app name");
    if (is_bad) {
        gw_req_reply_error (req, &err);
        return;
    }
    args[0] = gw_req_sprintf (req, "%zu", ndels);
    memcpy (args + 1 + ndels, pairs, npairs * sizeof (char *));
    const char *org = gw_req_principal (req)->org;
    const char *keys[] = {gw_req_adopt (req, edge_key_app (org, app)),
                          gw_req_adopt (req, edge_key_training (org, app))};
    redisReply *reply =
        edge_redis_eval (gw_thread_redis (thread), &gw_lua_trainings_patch, 2,
                         keys, (int) (1 + ndels + npairs), args);
    if (edge_redis_script_is (reply, "ok")) {
        edge_info ("training settings of %s patched by %s", app,
                   gw_req_identity (req));
        gw_list_t list = {.limit = GW_LIST_DEFAULT_LIMIT};
        s_reply_one (req, thread, &list, app, 200);
    }
    else if (edge_redis_script_is (reply, "not_found"))
        gw_req_reply_fail (req, 404, "not_found", NULL, "app '%s' not found",
                           app);
    else
        gw_req_reply_redis_failed (req, reply, "trainings: patch");
    freeReplyObject (reply);
}
