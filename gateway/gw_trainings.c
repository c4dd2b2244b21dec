/*  gw_trainings - training settings and figures, and starting trace
    processing (one Lua script checks and reserves, so two triggers never
    start two processing tasks of one app).  */
#include "gw_trainings.h"
#include "edge_json.h"
#include "edge_keys.h"
#include "edge_log.h"
#include "edge_util.h"
#include "gw_call.h"
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

//  The reserve script's refusals that carry nothing more.
static const struct {
    const char *word;
    edge_err_t err;
} s_reserve_words[] = {{"not_found", EDGE_ERR_NOT_FOUND},
                       {"no_build", EDGE_ERR_NO_BUILD},
                       {"locked", EDGE_ERR_APP_LOCKED},
                       {"skip", EDGE_ERR_SKIPPED}};

//  The trigger's refusals that name only the app.
static const struct {
    edge_err_t err;
    const char *message;
} s_trigger_refusals[] = {
    {EDGE_ERR_NOT_FOUND, "app '%s' not found"},
    {EDGE_ERR_NO_BUILD,
     "app '%s' has no current build whose traces could be processed"},
    {EDGE_ERR_APP_LOCKED, "app '%s' is locked by a failed deploy; retry that "
                          "task or patch the app first"}};

static const gw_call_answer_t s_patch_answers[] = {
    {"not_found", EDGE_ERR_NOT_FOUND, NULL, "app '{}' not found"}, {NULL}};

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
static edge_err_t
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
        return EDGE_ERR_REDIS;
    if (gw_thread_send_job (thread, out->task, "mkraw"))
        edge_warn ("task %s: broker did not take the job; the reaper will",
                   out->task);
    edge_info ("trace processing of %s/%s build %lld (%lld traces): task %s "
               "by %s",
               org, app, (long long) out->build_id, (long long) out->traces,
               out->task, identity ? identity : "-");
    return EDGE_ERR_OK;
}


//  The outcome of a reserve reply {'status', ...} (the numbers filled).
static edge_err_t
s_reserve_rc (const redisReply *reply, gw_trainings_outcome_t *out)
{
    const char *status = edge_redis_script_status (reply);
    if (!status)
        return EDGE_ERR_REDIS;
    for (size_t i = 0; i < EDGE_COUNT (s_reserve_words); i++)
        if (strcmp (status, s_reserve_words[i].word) == 0)
            return s_reserve_words[i].err;
    if (strcmp (status, "busy") == 0 && reply->elements == 2) {
        snprintf (out->task, sizeof out->task, "%s", reply->element[1]->str);
        return EDGE_ERR_PROCESSING_BUSY;
    }
    if (strcmp (status, "not_enough") == 0 && reply->elements == 4) {
        out->build_id = strtoll (reply->element[1]->str, NULL, 10);
        out->traces = strtoll (reply->element[2]->str, NULL, 10);
        out->needed = strtoll (reply->element[3]->str, NULL, 10);
        return EDGE_ERR_NOT_ENOUGH_TRACES;
    }
    if (strcmp (status, "ok") == 0 && reply->elements == 6) {
        out->build_id = strtoll (reply->element[1]->str, NULL, 10);
        out->traces = strtoll (reply->element[4]->str, NULL, 10);
        out->needed = strtoll (reply->element[5]->str, NULL, 10);
        return EDGE_ERR_OK;
    }
    return EDGE_ERR_REDIS;
}


edge_err_t
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
    edge_err_t rc = s_reserve_rc (reply, out);
    if (rc == EDGE_ERR_REDIS && reply)
        edge_error ("trainings: unexpected reserve reply (type %d%s%.200s)",
                    reply->type, reply->type == REDIS_REPLY_ERROR ? ": " : "",
                    reply->type == REDIS_REPLY_ERROR ? reply->str : "");
    if (rc == EDGE_ERR_OK) {
        rc = s_create (thread, org, app, identity, reply, out);
        const char *settle[] = {reservation,
                                rc == EDGE_ERR_OK ? out->task : ""};
        redisReply *settled = edge_redis_eval (redis, &gw_lua_trainings_settle,
                                               1, &keys[1], 2, settle);
        if (!settled || settled->type != REDIS_REPLY_INTEGER
            || settled->integer != 1)
            edge_warn ("trainings: the processing reservation of %s/%s %s "
                       "(task %s)",
                       org, app,
                       settled ? "had expired or been replaced"
                               : "could not be settled (Redis failed)",
                       rc == EDGE_ERR_OK ? out->task : "none");
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
    edge_err_t rc = gw_trainings_process (thread, gw_req_org (req), app,
                                          gw_req_identity (req), false, &out);
    for (size_t i = 0; i < EDGE_COUNT (s_trigger_refusals); i++)
        if (rc == s_trigger_refusals[i].err) {
            gw_call_fail (req, rc, NULL, s_trigger_refusals[i].message, app);
            return;
        }
    if (rc == EDGE_ERR_NOT_ENOUGH_TRACES)
        gw_call_fail (req, rc, NULL,
                      "app '%s' has %lld traces of its current build %lld; "
                      "processing needs nTracesReliable = %lld",
                      app, (long long) out.traces, (long long) out.build_id,
                      (long long) out.needed);
    else if (rc == EDGE_ERR_PROCESSING_BUSY)
        gw_call_fail (req, rc, NULL,
                      "trace processing of app '%s' is already queued or "
                      "running (%s)",
                      app, out.task);
    else if (rc != EDGE_ERR_OK)
        gw_req_reply_redis_failed (req, NULL, NULL);
    else {
        gw_req_reply_header (req, "Location",
                             gw_req_sprintf (req, "/be/v1/tasks/%s", out.task));
        gw_req_reply_json (req, 202,
                           json_pack ("{s:s,s:s,s:s}", "taskName", out.task,
                                      "group", out.task, "state", "queued"));
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
    const char *org = gw_req_org (req);
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
    const char *index = gw_req_adopt (req, edge_key_apps (gw_req_org (req)));
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
            gw_call_fail (req, EDGE_ERR_NOT_FOUND, NULL, "app '%s' not found",
                          app);
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


//  A PATCH body's settings: those reset (null) and those set.
typedef struct {
    const char *app;
    const char *dels[EDGE_COUNT (s_settings)];
    size_t ndels;
    const char *pairs[EDGE_COUNT (s_settings) * 2];
    size_t npairs;
} s_patch_t;


//  Check one PATCH member; adds it to the patch's deletions or pairs.
static int
s_patch_member (gw_req_t *req,
                const char *key,
                const json_t *value,
                s_patch_t *patch,
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
        patch->dels[patch->ndels++] = s->name;
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
    patch->pairs[patch->npairs++] = s->name;
    patch->pairs[patch->npairs++] =
        json_is_integer (value) ? gw_req_sprintf (
            req, "%lld", (long long) json_integer_value (value))
                                : gw_req_sprintf (req, "%.17g", number);
    return 0;
}


//  Check a PATCH body into patch. Returns 0, or -1 with err set.
static int
s_patch_parse (gw_req_t *req, s_patch_t *patch, edge_json_err_t *err)
{
    json_t *body = gw_req_json (req, err);
    if (!body)
        return -1;
    if (!json_is_object (body))
        return edge_json_err_set (err, 400, "invalid_json", NULL,
                                  "the body must be a JSON object");
    //  Members before appName: an unknown member is named first, as
    //  everywhere in the API.
    const char *key;
    json_t *value;
    json_object_foreach (body, key, value)
    {
        if (strcmp (key, "appName") != 0
            && s_patch_member (req, key, value, patch, err))
            return -1;
    }
    patch->app = edge_json_str (body, "appName", NULL);
    if (!edge_name_is_valid (patch->app))
        return edge_json_err_set (
            err, 400,
            json_object_get (body, "appName") ? "invalid_field"
                                              : "missing_field",
            "appName", "field 'appName' must be an app name");
    return 0;
}


void
gw_trainings_patch (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    edge_json_err_t err;
    s_patch_t patch = {0};
    if (s_patch_parse (req, &patch, &err)) {
        gw_req_reply_error (req, &err);
        return;
    }
    const char *org = gw_req_org (req);
    gw_call_t call;
    gw_call_init (&call, req);
    gw_call_key_take (&call, edge_key_app (org, patch.app));
    gw_call_key_take (&call, edge_key_training (org, patch.app));
    gw_call_int (&call, (int64_t) patch.ndels);
    for (size_t i = 0; i < patch.ndels; i++)
        gw_call_arg (&call, patch.dels[i]);
    for (size_t i = 0; i < patch.npairs; i++)
        gw_call_arg (&call, patch.pairs[i]);
    redisReply *reply = gw_call_run (&call, thread, &gw_lua_trainings_patch,
                                     s_patch_answers, patch.app);
    if (!reply)
        return;
    freeReplyObject (reply);
    edge_info ("training settings of %s patched by %s", patch.app,
               gw_req_identity (req));
    gw_list_t list = {.limit = GW_LIST_DEFAULT_LIMIT};
    s_reply_one (req, thread, &list, patch.app, 200);
}
