/*  wk_deploy - the deploy task handler: image and patches from the depot
    to every deployment of the app (see wk_deploy.h).  */
#include "wk_deploy.h"
#include "wk_depot.h"
#include "edge_assert.h"
#include "edge_keys.h"
#include "edge_log.h"
#include "edge_store.h"
#include "edge_util.h"
#include "wk_lua.h"
#include "wk_metrics.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_BUILD    9999
#define S_MAX_PATCHES  100
#define S_MANIFEST     "manifest.json"
#define S_MANIFEST_LEN (sizeof S_MANIFEST - 1)

static const char s_bad_params[] =
    "deploy: \"appName\" (name), \"buildName\", \"buildId\" (1..9999), "
    "\"dxfName\", \"sizeBytes\" (>= 0), \"patches\" (array) and \"mode\" "
    "(build or reorder) are required";

//  The checks a row can say (all with one message); s_params does the rest.
static const wk_task_param_t s_param_rows[] = {
    {{"appName", EDGE_JSON_NAME, true, 0, 0, false}, s_bad_params},
    {{"dxfName", EDGE_JSON_STRING, true, 1, INT64_MAX, false}, s_bad_params},
    {{"buildId", EDGE_JSON_INT, true, 1, S_MAX_BUILD, false}, s_bad_params},
    {{"sizeBytes", EDGE_JSON_INT, true, 0, INT64_MAX, false}, s_bad_params},
    {{"patches", EDGE_JSON_ARRAY, false, 0, S_MAX_PATCHES, false},
     s_bad_params},
    {{"mode", EDGE_JSON_STRING, false, 0, 0, false}, s_bad_params},
};

//  One object of the depot to publish.
typedef struct {
    char *key;
    uint64_t size;
} s_obj_t;

//  One deploy run.
typedef struct {
    wk_job_t *job;
    const char *app;
    const char *dxf;
    const char *build_name;
    int build;
    int64_t size_bytes;
    bool is_reorder;        //  mode "reorder": pat/ objects overwritten
    const char *previous_dxf; //  reorder: the image it replaces (params)
    bool is_stale;          //  reorder no longer applies (deploy_record)
    const json_t *patches;  //  borrowed from params
    char *depot_root;       //  the depot's files (wk_depot_local_root)
    edge_store_t *depot;    //  the depot's store
    s_obj_t *objs;          //  image first, then each patch, in list order
    size_t count, cap;
    json_t *failed;    //  names of failed deployments
    json_t *succeeded; //  names of succeeded deployments
} s_run_t;

//  What publishing to one deployment ended with.
typedef enum { S_OK, S_FAILED, S_CANCELLED } s_rc_t;

static bool
s_is_manifest (const char *key)
{
    size_t len = strlen (key);
    return len >= S_MANIFEST_LEN + 1
           && strcmp (key + len - S_MANIFEST_LEN, S_MANIFEST) == 0
           && key[len - S_MANIFEST_LEN - 1] == '/';
}


//  edge_store_list callback: append the object to the run.
static int
s_collect (const char *key, uint64_t size, void *arg)
{
    s_run_t *run = arg;
    run->objs =
        edge_grow (run->objs, &run->cap, run->count + 1, 16, sizeof *run->objs);
    run->objs[run->count].key = edge_strdup (key);
    run->objs[run->count].size = size;
    run->count++;
    return 0;
}


//  List the depot directory prefix ("…/") into the run. Returns 0, or -1
//  with the job failed when it cannot be listed or has no manifest.
static int
s_list (s_run_t *run, edge_store_t *depot, const char *prefix, const char *what)
{
    size_t first = run->count;
    if (edge_store_list (depot, prefix, s_collect, run) != 0) {
        wk_job_fail (run->job, "deploy: cannot list the %s in the depot: %s",
                     what, edge_store_errstr (depot));
        return -1;
    }
    bool has_manifest = false;
    for (size_t i = first; i < run->count; i++)
        if (s_is_manifest (run->objs[i].key)
            && strlen (run->objs[i].key) == strlen (prefix) + S_MANIFEST_LEN)
            has_manifest = true;
    if (!has_manifest) {
        wk_job_fail (run->job, "deploy: the %s is not in the depot (no %s%s)",
                     what, prefix, S_MANIFEST);
        return -1;
    }
    return 0;
}


//  A build id parameter (1..9999), or -1.
static int
s_build_id (const json_t *value)
{
    if (!json_is_integer (value))
        return -1;
    json_int_t id = json_integer_value (value);
    return id >= 1 && id <= S_MAX_BUILD ? (int) id : -1;
}


//  A non-negative integer parameter, or -1.
static int64_t
s_size (const json_t *value)
{
    if (!json_is_integer (value) || json_integer_value (value) < 0)
        return -1;
    return (int64_t) json_integer_value (value);
}


//  Check what the parameter rows cannot. Returns 0, or -1 with the job
//  failed.
static int
s_params (s_run_t *run)
{
    wk_job_t *job = run->job;
    const json_t *params = job->params;
    run->app = edge_json_str (params, "appName", NULL);
    run->dxf = edge_json_str (params, "dxfName", NULL);
    run->build_name = edge_json_str (params, "buildName", NULL);
    run->build = (int) edge_json_int (params, "buildId", -1);
    run->size_bytes = edge_json_int (params, "sizeBytes", -1);
    run->patches = json_object_get (params, "patches");
    const char *mode = edge_json_str (params, "mode", "build");
    run->is_reorder = strcmp (mode, "reorder") == 0;
    run->previous_dxf = edge_json_str (params, "previousDxfName", NULL);
    if (strchr (run->dxf, '/') || !edge_build_name_is_valid (run->build_name)
        || (!run->is_reorder && strcmp (mode, "build") != 0)) {
        wk_job_fail (job, "%s", s_bad_params);
        return -1;
    }
    if (!job->org || !edge_name_is_valid (job->org)) {
        wk_job_fail (job, "deploy: the task needs an organization");
        return -1;
    }
    size_t index;
    json_t *patch;
    json_array_foreach (run->patches, index, patch)
    {
        int from = s_build_id (json_object_get (patch, "fromBuildId"));
        if (from < 0 || from == run->build
            || s_size (json_object_get (patch, "sizeBytes")) < 0) {
            wk_job_fail (job,
                         "deploy: patches[%zu] needs \"fromBuildId\" "
                         "(1..9999, not the build itself) and \"sizeBytes\" "
                         "(>= 0)",
                         index);
            return -1;
        }
    }
    return 0;
}


//  Check the parameters and list the image and patches from the depot.
//  Returns 0, or -1 with the job failed.
static int
s_sources (s_run_t *run, edge_store_t *depot)
{
    wk_job_t *job = run->job;
    if (s_params (run) != 0)
        return -1;
    char *prefix = edge_sprintf ("dxf/%s/%s/%04d/%s/", job->org, run->app,
                                 run->build, run->dxf);
    int rc = s_list (run, depot, prefix, "image");
    free (prefix);
    size_t index;
    json_t *patch;
    json_array_foreach (run->patches, index, patch)
    {
        if (rc != 0)
            break;
        int from = s_build_id (json_object_get (patch, "fromBuildId"));
        prefix = edge_sprintf ("pat/%s/%s/%04d/%04d/", job->org, run->app,
                               run->build, from);
        char what[64];
        snprintf (what, sizeof what, "patch from build %d", from);
        rc = s_list (run, depot, prefix, what);
        free (prefix);
    }
    return rc;
}


json_t *
wk_deploy_targets (edge_redis_t *redis, const char *org, const char *app)
{
    edge_assert (redis && org && app);
    redisReply *reply = edge_redis_command (
        redis, "HGET " EDGE_KEY_APP_FMT " deployments", org, app);
    if (!reply || reply->type == REDIS_REPLY_ERROR) {
        freeReplyObject (reply);
        return NULL;
    }
    json_t *names = reply->type == REDIS_REPLY_STRING
                        ? json_loads (reply->str, 0, NULL)
                        : NULL;
    freeReplyObject (reply);
    if (json_is_array (names) && json_array_size (names) > 0)
        return names;
    json_decref (names);
    reply = edge_redis_command (
        redis, "ZRANGE " EDGE_KEY_DEPLOYMENTS_FMT " 0 -1", org);
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        freeReplyObject (reply);
        return NULL;
    }
    names = json_array ();
    for (size_t i = 0; i < reply->elements; i++)
        if (reply->element[i]->type == REDIS_REPLY_STRING)
            json_array_append_new (names, json_string (reply->element[i]->str));
    freeReplyObject (reply);
    return names;
}


//  The deployment names: the app's list, or every deployment of the org.
//  Returns a JSON array (caller owns), or NULL with the job failed.
static json_t *
s_deployment_names (s_run_t *run)
{
    wk_job_t *job = run->job;
    redisReply *reply = edge_redis_command (
        job->redis, "EXISTS " EDGE_KEY_APP_FMT, job->org, run->app);
    bool is_app = reply && reply->type == REDIS_REPLY_INTEGER && reply->integer;
    freeReplyObject (reply);
    if (!is_app) {
        wk_job_fail (job, "deploy: no such app %s (or Redis unreachable)",
                     run->app);
        return NULL;
    }
    json_t *names = wk_deploy_targets (job->redis, job->org, run->app);
    if (!names)
        wk_job_fail (job, "deploy: cannot read the deployments from Redis");
    return names;
}


//  "/a//b/" -> "a/b/" (caller frees): keys then have no empty segment.
static char *
s_origin_prefix (const char *origin)
{
    const char *from = origin ? origin : "";
    char *prefix = edge_calloc (1, strlen (from) + 2);
    char *to = prefix;
    for (; *from; from++)
        if (*from != '/' || (to > prefix && to[-1] != '/'))
            *to++ = *from;
    if (to > prefix && to[-1] != '/')
        *to = '/';
    return prefix;
}


edge_store_t *
wk_deploy_open (edge_redis_t *redis,
                const char *org,
                const char *name,
                char **prefix,
                bool *is_missing,
                char *why,
                size_t len)
{
    edge_assert (redis && org && name && prefix && why);
    redisReply *reply = edge_redis_command (
        redis, "HGETALL " EDGE_KEY_DEPLOYMENT_FMT, org, name);
    edge_store_t *store = NULL;
    const char *kind = edge_redis_hash_field (reply, "kind");
    if (is_missing)
        *is_missing = reply && reply->type == REDIS_REPLY_ARRAY && !kind;
    if (!reply || reply->type != REDIS_REPLY_ARRAY)
        snprintf (why, len, "cannot read the deployment from Redis");
    else if (!kind)
        snprintf (why, len, "no such deployment");
    else if (strcmp (kind, "fs") == 0) {
        const char *path = edge_redis_hash_field (reply, "path");
        store = path ? edge_store_new_fs (path) : NULL;
        snprintf (why, len, "cannot open the fs origin %s", path ? path : "");
    }
    else if (strcmp (kind, "s3") == 0) {
        edge_store_s3_opts_t opts = {
            .endpoint = edge_redis_hash_field (reply, "endpoint"),
            .region = edge_redis_hash_field (reply, "region"),
            .bucket = edge_redis_hash_field (reply, "bucket"),
            .access_key_id = edge_redis_hash_field (reply, "accessKeyId"),
            .secret_access_key =
                edge_redis_hash_field (reply, "secretAccessKey")};
        store = edge_store_new_s3 (&opts);
        snprintf (why, len, "bad s3 origin settings");
    }
    else
        snprintf (why, len, "unknown deployment kind");
    *prefix = s_origin_prefix (edge_redis_hash_field (reply, "originPrefix"));
    freeReplyObject (reply);
    return store;
}


//  Copy one object to the store, skipping it when present with the same
//  size (never a pat/ object in reorder mode); up to WK_DEPLOY_TRIES tries.
//  Returns S_OK (*copied set when written), S_FAILED (why set) or S_CANCELLED.
static s_rc_t
s_copy (s_run_t *run,
        edge_store_t *store,
        const char *name,
        const char *key,
        const s_obj_t *obj,
        bool *copied,
        char *why,
        size_t len)
{
    char *src = edge_sprintf ("%s/%s", run->depot_root, obj->key);
    int64_t pause = run->job->env->retry_ms;
    bool is_local = false; //  s3 depot: fetched (once for every deployment)
    s_rc_t rc = S_FAILED;
    bool may_skip = !run->is_reorder || strncmp (obj->key, "pat/", 4) != 0;
    for (int attempt = 1; attempt <= WK_DEPLOY_TRIES; attempt++) {
        bool exists = false;
        uint64_t size = 0;
        if (may_skip && edge_store_head (store, key, &exists, &size) == 0
            && exists && size == obj->size) {
            *copied = false;
            rc = S_OK;
            break;
        }
        if (!is_local) {
            int fetched = wk_depot_fetch (run->depot, run->depot_root, obj->key,
                                          why, len);
            if (fetched != 0) { //  the depot's fault: not the origin's
                if (fetched > 0)
                    snprintf (why, len, "%s is missing from the depot",
                              obj->key);
                break;
            }
            is_local = true;
        }
        if (edge_store_put_file (store, key, src) == 0) {
            *copied = true;
            wk_metrics_published (obj->size);
            rc = S_OK;
            break;
        }
        snprintf (why, len, "cannot write %s: %s", key,
                  edge_store_errstr (store));
        edge_warn ("task %s: deployment %s: try %d of %d: %s", run->job->name,
                   name, attempt, WK_DEPLOY_TRIES, why);
        if (attempt < WK_DEPLOY_TRIES && !wk_job_sleep (run->job, pause)) {
            rc = S_CANCELLED;
            break;
        }
        pause *= 2;
    }
    free (src);
    const wk_env_t *env = run->job->env;
    if (rc == S_OK && *copied && env->deploy_hook)
        env->deploy_hook (name, key, env->deploy_hook_arg);
    return rc;
}


//  Copy every object (segments first, manifests last, the image's very
//  last) under prefix. Returns S_OK, S_FAILED (why set) or S_CANCELLED.
static s_rc_t
s_publish (s_run_t *run,
           edge_store_t *store,
           const char *name,
           const char *prefix,
           char *why,
           size_t len)
{
    size_t copied = 0, skipped = 0;
    s_rc_t rc = S_OK;
    //  Pass 0: all but manifests, in order; pass 1: manifests, backwards
    for (size_t step = 0; step < 2 * run->count && rc == S_OK; step++) {
        bool is_pass1 = step >= run->count;
        const s_obj_t *obj =
            is_pass1 ? &run->objs[2 * run->count - 1 - step] : &run->objs[step];
        if (s_is_manifest (obj->key) != is_pass1)
            continue;
        if (wk_job_is_cancelled (run->job))
            return S_CANCELLED;
        char *key = edge_sprintf ("%s%s", prefix, obj->key);
        bool is_copied = false;
        rc = s_copy (run, store, name, key, obj, &is_copied, why, len);
        free (key);
        if (is_copied)
            copied++;
        else if (rc == S_OK)
            skipped++;
    }
    if (rc == S_OK)
        snprintf (why, len,
                  "published %s of build %04d: %zu files written, %zu "
                  "were already there",
                  run->dxf, run->build, copied, skipped);
    return rc;
}


//  Publish to deployment name and record its status. Returns S_OK (also
//  when it failed: then it is in run->failed) or S_CANCELLED.
static s_rc_t
s_deploy_one (s_run_t *run, const char *name)
{
    char why[512] = "";
    char *prefix = NULL;
    edge_store_t *store = wk_deploy_open (run->job->redis, run->job->org, name,
                                          &prefix, NULL, why, sizeof why);
    s_rc_t rc = store ? s_publish (run, store, name, prefix, why, sizeof why)
                      : S_FAILED;
    edge_store_destroy (&store);
    free (prefix);
    if (rc == S_CANCELLED)
        return rc;
    bool is_ok = rc == S_OK;
    json_array_append_new (is_ok ? run->succeeded : run->failed,
                           json_string (name));
    if (is_ok)
        edge_info ("task %s: deployment %s: %s", run->job->name, name, why);
    else
        edge_warn ("task %s: deployment %s failed: %s", run->job->name, name,
                   why);
    char *key = edge_key_deployment (run->job->org, name);
    const char *keys[] = {key};
    const char *args[] = {is_ok ? "ok" : "error", why};
    redisReply *reply = edge_redis_eval (
        run->job->redis, &wk_lua_deploy_set_status, 1, keys, 2, args);
    if (!reply || reply->type == REDIS_REPLY_ERROR)
        edge_warn ("task %s: cannot record the status of deployment %s",
                   run->job->name, name);
    if (reply)
        freeReplyObject (reply);
    free (key);
    return S_OK;
}


//  Lock the app with error (JSON text).
static void
s_lock (s_run_t *run, const char *error)
{
    char *key = edge_key_app (run->job->org, run->app);
    const char *keys[] = {key};
    const char *args[] = {error};
    redisReply *reply = edge_redis_eval (
        run->job->redis, &wk_lua_deploy_set_lock, 1, keys, 1, args);
    if (!reply || reply->type == REDIS_REPLY_ERROR)
        edge_warn ("task %s: cannot lock app %s", run->job->name, run->app);
    freeReplyObject (reply);
    free (key);
}


//  The patches parameter as compact JSON [{fromBuildId, sizeBytes}] (caller
//  frees).
static char *
s_patches_json (const s_run_t *run)
{
    json_t *list = json_array ();
    size_t index;
    json_t *patch;
    json_array_foreach (run->patches, index, patch)
    {
        json_array_append_new (
            list,
            json_pack ("{s:O, s:O}", "fromBuildId",
                       json_object_get (patch, "fromBuildId"), "sizeBytes",
                       json_object_get (patch, "sizeBytes")));
    }
    char *text = json_dumps (list, JSON_COMPACT);
    json_decref (list);
    return text;
}


//  Record the deployed build in the app and unlock it
//  (worker/lua/deploy_record.lua). Returns 0, or -1 with the job failed
//  (Redis failed, or the app was deleted).
static int
s_record_build (s_run_t *run)
{
    wk_job_t *job = run->job;
    int64_t now = edge_now_ms ();
    char created[32], build[16], size[24], gc_due[24], now_ms[24];
    edge_rfc3339 (now, created, sizeof created);
    snprintf (build, sizeof build, "%d", run->build);
    snprintf (size, sizeof size, "%lld", (long long) run->size_bytes);
    snprintf (gc_due, sizeof gc_due, "%lld",
              (long long) (now + job->env->gc_delay_ms));
    snprintf (now_ms, sizeof now_ms, "%lld", (long long) now);
    char *patches = s_patches_json (run);
    char *app_key = edge_key_app (job->org, run->app);
    char *imports = edge_key_app_imports (job->org, run->app);
    const char *keys[] = {app_key, EDGE_KEY_GC_DUE, imports};
    const char *args[] = {build,
                          run->build_name,
                          run->dxf,
                          size,
                          created,
                          patches,
                          gc_due,
                          job->org,
                          run->app,
                          now_ms,
                          run->is_reorder ? "reorder" : "build",
                          run->previous_dxf ? run->previous_dxf : ""};
    redisReply *reply =
        edge_redis_eval (job->redis, &wk_lua_deploy_record, 3, keys, 12, args);
    int rc = -1;
    run->is_stale = edge_redis_script_is (reply, "stale");
    if (run->is_stale)
        edge_warn ("task %s: image %s of build %d is not used: app %s moved "
                   "on to another build or image meanwhile (deleted again)",
                   job->name, run->dxf, run->build, run->app);
    if (edge_redis_script_is (reply, "ok") || run->is_stale) {
        rc = 0;
        if (reply->elements > 1 && reply->element[1]->type == REDIS_REPLY_STRING
            && strcmp (reply->element[1]->str, "[]") != 0)
            edge_info ("task %s: no longer current, deleted in %lld s: %s",
                       job->name, (long long) (job->env->gc_delay_ms / 1000),
                       reply->element[1]->str);
    }
    else if (edge_redis_script_is (reply, "gone"))
        wk_job_fail (job,
                     "deploy: app %s was deleted while publishing; "
                     "what was published is deleted again",
                     run->app);
    else
        wk_job_fail (job, "deploy: cannot record build %d in app %s: %s",
                     run->build, run->app,
                     reply && reply->type == REDIS_REPLY_ERROR
                         ? reply->str
                         : "Redis unreachable");
    freeReplyObject (reply);
    free (imports);
    free (app_key);
    free (patches);
    return rc;
}


//  Fill the outcome from run->failed / run->succeeded.
static wk_job_rc_t
s_outcome (s_run_t *run, json_t *names)
{
    wk_job_t *job = run->job;
    if (json_array_size (run->failed) == 0) {
        if (s_record_build (run) != 0)
            return WK_JOB_FAILED;
        json_t *result =
            json_pack ("{s:s, s:i, s:s, s:b, s:O}", "dxfName", run->dxf,
                       "buildId", run->build, "buildName", run->build_name,
                       "buildChanged", !run->is_stale, "deployments",
                       names);
        job->result = json_dumps (result, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref (result);
        edge_info ("task %s: %s of app %s (build %d) published to %zu "
                   "deployments",
                   job->name, run->dxf, run->app, run->build,
                   json_array_size (names));
        return WK_JOB_DONE;
    }
    json_t *error =
        json_pack ("{s:{s:O, s:O}}", "deployment", "failedDeployments",
                   run->failed, "succeededDeployments", run->succeeded);
    free (job->error);
    job->error = json_dumps (error, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref (error);
    s_lock (run, job->error);
    return wk_job_fail (job, "deploy: %zu of %zu deployments failed",
                        json_array_size (run->failed), json_array_size (names));
}


static wk_job_rc_t
s_run (wk_job_t *job)
{
    edge_assert (job && job->params && job->env && job->redis);
    s_run_t run = {.job = job,
                   .depot_root = wk_depot_local_root (job->env, job->name)};
    run.failed = json_array ();
    run.succeeded = json_array ();
    wk_job_rc_t rc = WK_JOB_FAILED;
    json_t *names = NULL;
    edge_store_t *depot = wk_depot_store (job->env);
    run.depot = depot;
    if (!depot) {
        wk_job_fail (job, "deploy: cannot open the depot");
        goto cleanup;
    }
    if (s_sources (&run, depot) != 0 || !(names = s_deployment_names (&run)))
        goto cleanup;
    size_t index;
    json_t *name;
    json_array_foreach (names, index, name)
    {
        const char *text = json_string_value (name);
        if (text && s_deploy_one (&run, text) == S_CANCELLED) {
            edge_info ("task %s: deploy cancelled", job->name);
            rc = WK_JOB_CANCELLED;
            goto cleanup;
        }
    }
    rc = s_outcome (&run, names);
cleanup:
    edge_store_destroy (&depot);
    wk_depot_release (job->env, &run.depot_root);
    for (size_t i = 0; i < run.count; i++)
        free (run.objs[i].key);
    free (run.objs);
    json_decref (run.failed);
    json_decref (run.succeeded);
    json_decref (names);
    return rc;
}


const wk_task_t wk_deploy_task = {"deploy", s_run,
                                  WK_TASK_DEPOT | WK_TASK_REDIS, s_param_rows,
                                  EDGE_COUNT (s_param_rows), NULL};
