/*  wk_mkraw - the mkraw task handler, build mode: the image and patches of
    an imported build, staged and renamed into the depot (see wk_mkraw.h). */
#include "wk_mkraw.h"
#include "edge_assert.h"
#include "edge_keys.h"
#include "edge_log.h"
#include "edge_store.h"
#include "edge_task.h"
#include "edge_util.h"
#include "wk_image.h"
#include "wk_lua.h"
#include "wk_metrics.h"
#include "wk_mkraw_traces.h"
#include "wk_patch.h"
#include "wk_depot.h"
#include "wk_stage.h"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define S_MAX_BUILD         9999 //  ids have 4 digits in the depot layout
#define S_MAX_KEPT          100  //  the gateway's bound on maxBuilds
#define S_DEFAULT_MAXBUILDS 5
#define S_WATCH_MS          10 //  cancellation watcher period
#define S_STR(text)         ((text) ? (text) : "")

static const char s_bad_mode[] =
    "mkraw: params.mode must be \"build\" or \"traces\"";

//  The checks a row can say: each mode checks its own parameters.
static const wk_task_param_t s_param_rows[] = {
    {{"mode", EDGE_JSON_STRING, false, 0, 0, false}, s_bad_mode},
};

//  One build-mode run.
typedef struct {
    wk_job_t *job;
    const char *root;       //  the depot's files (wk_depot_local_root)
    edge_store_t *store;    //  s3 depot: the bucket's store, else NULL
    const char *app;        //  params, borrowed
    const char *build_name; //  params, borrowed
    const char *tar_key;    //  params, borrowed
    char *app_key;          //  e:{O}:app:<app>
    char *image_dir;        //  <build_dir>/<dxfName>
    int build_id;
    bool is_processing;   //  we set the app's processing flag
    uint64_t tar_bytes;   //  size of the tar
    uint64_t image_bytes; //  all files of the image
    wk_image_info_t image;
    json_t *builds;  //  the app's builds list (kept entries borrow from it)
    json_t *patches; //  [{"fromBuildId","sizeBytes"}]
} s_run_t;

//  A kept build to patch from.
typedef struct {
    int id;
    const char *dxf; //  borrowed from run->builds
} s_kept_t;

//  Watches job->cancel for wk_image's plain stop flag.
typedef struct {
    const atomic_int *cancel;
    volatile int stop; //  wk_image_opts_t.stop
    atomic_int is_over;
    pthread_t thread;
} s_watch_t;


static void *
s_watch_loop (void *arg)
{
    s_watch_t *watch = arg;
    while (!atomic_load (&watch->is_over)) {
        if (atomic_load (watch->cancel)) {
            watch->stop = 1;
            break;
        }
        edge_sleep_ms (S_WATCH_MS, NULL);
    }
    return NULL;
}


//  Check the params and find the tar. Returns 0, or -1 (job failed).
static int
s_params (s_run_t *run)
{
    wk_job_t *job = run->job;
    run->app = json_string_value (json_object_get (job->params, "appName"));
    run->build_name =
        json_string_value (json_object_get (job->params, "buildName"));
    run->tar_key = json_string_value (json_object_get (job->params, "tarKey"));
    char *prefix =
        edge_sprintf ("builds/%s/%s/", S_STR (job->org), S_STR (run->app));
    char *path = edge_sprintf ("%s/%s", run->root, S_STR (run->tar_key));
    struct stat st;
    const char *why = NULL;
    char fetch_why[300] = "";
    if (!edge_name_is_valid (job->org) || !edge_request_id_is_valid (job->name))
        why = "the task has no valid org or name";
    else if (!run->app || !edge_name_is_valid (run->app))
        why = "params.appName is not a valid name";
    else if (!run->build_name || !*run->build_name)
        why = "params.buildName is missing";
    else if (!run->tar_key || !edge_store_key_is_valid (run->tar_key)
             || strncmp (run->tar_key, prefix, strlen (prefix)) != 0)
        why = "params.tarKey is not a key under builds/<org>/<appName>/";
    else if (wk_depot_fetch (run->store, run->root, run->tar_key, fetch_why,
                             sizeof fetch_why)
             < 0)
        why = fetch_why;
    else if (stat (path, &st) != 0 || !S_ISREG (st.st_mode))
        why = "the build tar is not in the depot";
    free (path);
    free (prefix);
    if (why)
        return wk_job_fail (job, "mkraw: %s (tarKey %s)", why,
                            S_STR (run->tar_key)),
               -1;
    run->tar_bytes = (uint64_t) st.st_size;
    run->app_key = edge_key_app (job->org, run->app);
    return 0;
}


//  Take the task's build id (once per task). Returns 0, or -1 (failed).
static int
s_build_id (s_run_t *run)
{
    wk_job_t *job = run->job;
    char *task_key = edge_key_task (job->name);
    const char *keys[] = {task_key, run->app_key};
    redisReply *reply =
        edge_redis_eval (job->redis, &wk_lua_mkraw_take_id, 2, keys, 0, NULL);
    free (task_key);
    int rc = -1;
    if (edge_redis_script_is (reply, "no_app"))
        wk_job_fail (job, "mkraw: app %s no longer exists", run->app);
    else if (edge_redis_script_is (reply, "no_task"))
        wk_job_fail (job, "mkraw: task %s no longer exists", job->name);
    else if (!edge_redis_script_is (reply, "ok") || reply->elements != 2
             || reply->element[1]->type != REDIS_REPLY_STRING)
        wk_job_fail (job, "mkraw: cannot take a build id (Redis failed)");
    else {
        run->is_processing = true;
        run->build_id = atoi (reply->element[1]->str);
        if (run->build_id >= 1 && run->build_id <= S_MAX_BUILD)
            rc = 0;
        else
            wk_job_fail (job, "mkraw: build id %d of app %s is out of 1..%d",
                         run->build_id, run->app, S_MAX_BUILD);
    }
    freeReplyObject (reply);
    return rc;
}


//  Build the image with the cancellation watcher. Returns wk_image's rc.
static int
s_image_build (s_run_t *run, const char *staging, wk_image_error_t *error)
{
    wk_job_t *job = run->job;
    char *tar = edge_sprintf ("%s/%s", run->root, run->tar_key);
    wk_image_opts_t opts = {.segment_max = job->env->segment_max};
    s_watch_t watch = {.cancel = job->cancel};
    int err = job->cancel
                  ? pthread_create (&watch.thread, NULL, s_watch_loop, &watch)
                  : -1;
    if (err == 0)
        opts.stop = &watch.stop;
    else if (job->cancel)
        edge_warn ("task %s: no cancellation watcher: %s", job->name,
                   strerror (err));
    int rc = wk_image_build (tar, staging, &opts, &run->image, error);
    if (err == 0) {
        atomic_store (&watch.is_over, 1);
        pthread_join (watch.thread, NULL);
    }
    free (tar);
    return rc;
}


//  Build the image and rename it into place. Returns WK_JOB_DONE to go on.
static wk_job_rc_t
s_make_image (s_run_t *run)
{
    wk_job_t *job = run->job;
    char *dir = edge_sprintf ("%s/dxf/%s/%s/%04d", run->root, job->org,
                              run->app, run->build_id);
    wk_stage_t stage;
    wk_stage_init (&stage, dir, job->name);
    edge_info ("task %s: building the image of %s/%s build %d from %s",
               job->name, run->app, run->build_name, run->build_id,
               run->tar_key);
    wk_mkraw_progress (job, 0, run->tar_bytes);
    wk_job_rc_t rc = WK_JOB_FAILED;
    wk_image_error_t error;
    if (s_image_build (run, stage.path, &error) != 0) {
        if (error.code == WK_IMAGE_ERR_CANCELLED)
            rc = WK_JOB_CANCELLED;
        else if (error.code == WK_IMAGE_ERR_WRITE)
            wk_job_fail (job, "mkraw: %s", error.message);
        else { //  the tar's fault
            json_t *exception =
                json_pack ("{s:{s:s, s:s, s:s}}", "fileReadFailed", "filename",
                           run->tar_key, "typeExpected", error.type_expected,
                           "typeDetected", error.type_detected);
            job->exception =
                json_dumps (exception, JSON_COMPACT | JSON_PRESERVE_ORDER);
            json_decref (exception);
            wk_job_fail (job, "mkraw: build tar %s: %s", run->tar_key,
                         error.message);
        }
        goto cleanup;
    }
    run->image_dir = edge_sprintf ("%s/%s", dir, run->image.dxf_name);
    char *manifest = edge_sprintf ("%s/%s", run->image_dir, WK_IMAGE_MANIFEST);
    char *key = edge_sprintf ("dxf/%s/%s/%04d/%s", job->org, run->app,
                              run->build_id, run->image.dxf_name);
    char why[300];
    struct stat st;
    if (wk_stage_commit (&stage, run->image_dir) != 0
        || stat (manifest, &st) != 0)
        wk_job_fail (job, "mkraw: cannot move the image to %s: %s",
                     run->image_dir, strerror (errno));
    else if (wk_depot_push (run->store, run->root, key, WK_IMAGE_MANIFEST, why,
                            sizeof why)
             != 0)
        wk_job_fail (job, "mkraw: %s", why);
    else {
        run->image_bytes = run->image.stored_bytes + (uint64_t) st.st_size;
        wk_metrics_built (run->image_bytes);
        wk_mkraw_progress (job, run->tar_bytes, run->tar_bytes);
        edge_info ("task %s: image %s of build %d: %llu chunks, %llu bytes",
                   job->name, run->image.dxf_name, run->build_id,
                   (unsigned long long) run->image.chunks,
                   (unsigned long long) run->image_bytes);
        rc = WK_JOB_DONE;
    }
    free (key);
    free (manifest);
cleanup:
    wk_stage_fini (&stage);
    free (dir);
    return rc;
}


static int
s_kept_newest_first (const void *a, const void *b)
{
    return ((const s_kept_t *) b)->id - ((const s_kept_t *) a)->id;
}


//  Pick the builds to patch from (newest maxBuilds-1 of the app's list,
//  this build left out) into kept. Returns their count, or -1 (failed).
static int
s_kept_builds (s_run_t *run, s_kept_t *kept)
{
    redisReply *reply = edge_redis_command (
        run->job->redis, "HMGET %s builds maxBuilds", run->app_key);
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
        freeReplyObject (reply);
        return wk_job_fail (run->job, "mkraw: cannot read app %s", run->app),
               -1;
    }
    const char *text = reply->element[0]->type == REDIS_REPLY_STRING
                           ? reply->element[0]->str
                           : "[]";
    run->builds = json_loads (text, 0, NULL);
    long max = reply->element[1]->type == REDIS_REPLY_STRING
                   ? strtol (reply->element[1]->str, NULL, 10)
                   : S_DEFAULT_MAXBUILDS;
    freeReplyObject (reply);
    if (!json_is_array (run->builds))
        edge_warn ("task %s: app %s has a malformed builds list, ignored",
                   run->job->name, run->app);
    int count = 0;
    size_t index;
    json_t *entry;
    json_array_foreach (run->builds, index, entry)
    {
        json_int_t id = json_integer_value (json_object_get (entry, "buildId"));
        const char *dxf =
            json_string_value (json_object_get (entry, "dxfName"));
        if (id >= 1 && id <= S_MAX_BUILD && id != run->build_id
            && edge_request_id_is_valid (dxf) && dxf[0] != '.'
            && count < S_MAX_KEPT)
            kept[count++] = (s_kept_t){(int) id, dxf};
    }
    qsort (kept, (size_t) count, sizeof *kept, s_kept_newest_first);
    if (max < 1 || max > S_MAX_KEPT)
        max = S_DEFAULT_MAXBUILDS;
    return count < max - 1 ? count : (int) max - 1;
}


//  Build the patch from one kept build into pat_dir/<from4>. Returns
//  WK_JOB_DONE to go on.
static wk_job_rc_t
s_make_patch (s_run_t *run, const char *pat_dir, const s_kept_t *from)
{
    wk_job_t *job = run->job;
    char *dir_a = edge_sprintf ("%s/dxf/%s/%s/%04d/%s", run->root, job->org,
                                run->app, from->id, from->dxf);
    char *manifest = edge_sprintf ("%s/%s", dir_a, WK_IMAGE_MANIFEST);
    char *target = edge_sprintf ("%s/%04d", pat_dir, from->id);
    char *tag = edge_sprintf ("%s-%04d", job->name, from->id);
    char *key_a = edge_sprintf ("dxf/%s/%s/%04d/%s/%s", job->org, run->app,
                                from->id, from->dxf, WK_IMAGE_MANIFEST);
    char *key = edge_sprintf ("pat/%s/%s/%04d/%04d", job->org, run->app,
                              run->build_id, from->id);
    wk_stage_t stage;
    wk_stage_init (&stage, pat_dir, tag);
    wk_patch_info_t info;
    char err[300] = "";
    wk_job_rc_t rc = WK_JOB_FAILED;
    struct stat st;
    int fetched = wk_depot_fetch (run->store, run->root, key_a, err, sizeof err);
    if (fetched < 0)
        wk_job_fail (job, "mkraw: %s", err);
    else if (stat (manifest, &st) != 0) {
        edge_warn ("task %s: image %s of build %d is not in the depot: no "
                   "patch from it",
                   job->name, from->dxf, from->id);
        rc = WK_JOB_DONE;
    }
    else if (wk_patch_build (dir_a, run->image_dir, stage.path,
                             job->env->segment_max, &info, err, sizeof err)
             != 0)
        wk_job_fail (job, "mkraw: patch from build %d: %s", from->id, err);
    else if (wk_stage_commit (&stage, target) != 0)
        wk_job_fail (job, "mkraw: cannot move the patch to %s: %s", target,
                     strerror (errno));
    else if (wk_depot_push (run->store, run->root, key, WK_IMAGE_MANIFEST, err,
                            sizeof err)
             != 0)
        wk_job_fail (job, "mkraw: %s", err);
    else {
        wk_metrics_built (info.total_bytes);
        json_array_append_new (run->patches,
                               json_pack ("{s:i, s:I}", "fromBuildId", from->id,
                                          "sizeBytes",
                                          (json_int_t) info.total_bytes));
        edge_info ("task %s: patch from build %d to %d: %llu chunks, %llu "
                   "bytes",
                   job->name, from->id, run->build_id,
                   (unsigned long long) info.chunks,
                   (unsigned long long) info.total_bytes);
        rc = WK_JOB_DONE;
    }
    wk_stage_fini (&stage);
    free (key);
    free (key_a);
    free (tag);
    free (target);
    free (manifest);
    free (dir_a);
    return rc;
}


//  Build every patch. Returns WK_JOB_DONE to go on.
static wk_job_rc_t
s_make_patches (s_run_t *run)
{
    wk_job_t *job = run->job;
    s_kept_t kept[S_MAX_KEPT];
    int count = s_kept_builds (run, kept);
    if (count < 0)
        return WK_JOB_FAILED;
    char *pat_dir = edge_sprintf ("%s/pat/%s/%s/%04d", run->root, job->org,
                                  run->app, run->build_id);
    wk_job_rc_t rc = WK_JOB_DONE;
    if (count > 0 && wk_stage_mkdirs (pat_dir) != 0)
        rc = wk_job_fail (job, "mkraw: cannot create %s: %s", pat_dir,
                          strerror (errno));
    for (int i = 0; i < count && rc == WK_JOB_DONE; i++) {
        if (wk_job_is_cancelled (job))
            rc = WK_JOB_CANCELLED;
        else
            rc = s_make_patch (run, pat_dir, &kept[i]);
    }
    free (pat_dir);
    return rc;
}


//  Fill the result and the next task. Returns WK_JOB_DONE.
static wk_job_rc_t
s_succeed (s_run_t *run)
{
    wk_job_t *job = run->job;
    const char *dxf = run->image.dxf_name;
    json_t *result =
        json_pack ("{s:i, s:s, s:s, s:I, s:I, s:I, s:O, s:b}", "buildId",
                   run->build_id, "buildName", run->build_name, "dxfName", dxf,
                   "sizeBytes", (json_int_t) run->image_bytes, "rawBytes",
                   (json_int_t) run->image.raw_bytes, "chunks",
                   (json_int_t) run->image.chunks, "patches", run->patches,
                   "buildChanged", 1);
    edge_assert (result);
    job->result = json_dumps (result, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref (result);
    wk_mkraw_next_deploy (job, run->app, run->build_id, run->build_name, dxf,
                          run->image_bytes, run->patches, "build", NULL);
    edge_info ("task %s: build %d of %s is %s with %zu patches; next: deploy",
               job->name, run->build_id, run->app, dxf,
               json_array_size (run->patches));
    return WK_JOB_DONE;
}


//  Build mode, from params to outcome.
static wk_job_rc_t
s_run_build (wk_job_t *job)
{
    bool is_s3 = wk_depot_is_s3 (job->env);
    char *root = wk_depot_local_root (job->env, job->name);
    s_run_t run = {.job = job,
                   .root = root,
                   .store = is_s3 ? wk_depot_store (job->env) : NULL};
    run.patches = json_array ();
    wk_job_rc_t rc = WK_JOB_FAILED;
    if (is_s3 && !run.store) {
        wk_job_fail (job, "mkraw: cannot open the S3 depot");
        goto cleanup;
    }
    if (s_params (&run) != 0 || s_build_id (&run) != 0)
        goto cleanup;
    edge_info ("task %s: mkraw of %s/%s: build id %d", job->name, run.app,
               run.build_name, run.build_id);
    rc = s_make_image (&run);
    if (rc == WK_JOB_DONE)
        rc = s_make_patches (&run);
    if (rc == WK_JOB_CANCELLED)
        edge_info ("task %s: mkraw cancelled", job->name);
cleanup:
    if (run.is_processing) {
        const char *keys[] = {run.app_key};
        redisReply *reply = edge_redis_eval (
            job->redis, &wk_lua_mkraw_processing_off, 1, keys, 0, NULL);
        if (!reply || reply->type != REDIS_REPLY_INTEGER)
            edge_warn ("task %s: cannot clear processing on app %s", job->name,
                       run.app);
        else if (reply->integer == 0 && rc == WK_JOB_DONE)
            rc = wk_job_fail (job, "mkraw: app %s was deleted during the build",
                              run.app);
        freeReplyObject (reply);
    }
    if (rc == WK_JOB_DONE)
        rc = s_succeed (&run);
    json_decref (run.patches);
    json_decref (run.builds);
    free (run.image_dir);
    free (run.app_key);
    edge_store_destroy (&run.store);
    wk_depot_release (job->env, &root);
    return rc;
}


void
wk_mkraw_progress (wk_job_t *job, uint64_t done, uint64_t total)
{
    edge_assert (job);
    if (job->redis && job->worker
        && edge_task_progress (job->redis, job->name, job->worker, job->attempt,
                               (int64_t) done, (int64_t) total)
               != EDGE_ERR_OK)
        edge_debug ("task %s: progress not recorded", job->name);
}


void
wk_mkraw_next_deploy (wk_job_t *job,
                      const char *app,
                      int build_id,
                      const char *build_name,
                      const char *dxf,
                      uint64_t size_bytes,
                      json_t *patches,
                      const char *mode,
                      const char *previous_dxf)
{
    edge_assert (job && app && build_name && dxf && patches && mode);
    json_t *next = json_pack (
        "{s:s, s:i, s:s, s:s, s:I, s:O, s:s}", "appName", app, "buildId",
        build_id, "buildName", build_name, "dxfName", dxf, "sizeBytes",
        (json_int_t) size_bytes, "patches", patches, "mode", mode);
    edge_assert (next);
    if (previous_dxf)
        json_object_set_new (next, "previousDxfName",
                             json_string (previous_dxf));
    job->next_params = json_dumps (next, JSON_COMPACT | JSON_PRESERVE_ORDER);
    job->next_type = edge_strdup ("deploy");
    job->next_dxf = edge_strdup (dxf);
    json_decref (next);
}


static wk_job_rc_t
s_run (wk_job_t *job)
{
    edge_assert (job && job->params && job->env && job->redis);
    const char *mode = edge_json_str (job->params, "mode", "build");
    if (strcmp (mode, "build") == 0)
        return s_run_build (job);
    if (strcmp (mode, "traces") == 0)
        return wk_mkraw_traces_run (job);
    return wk_job_fail (job, "%s", s_bad_mode);
}


const wk_task_t wk_mkraw_task = {"mkraw", s_run, WK_TASK_DEPOT | WK_TASK_REDIS,
                                 s_param_rows, EDGE_COUNT (s_param_rows), NULL};
