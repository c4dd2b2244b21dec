/*  wk_mkraw_traces - mkraw in traces mode: the build's traces read and
    mapped one at a time into a load profile, the image's order judged
    against fitted orders by cross-validation, a reordered image and its
    patches when that is worth it, and the figures recorded for the
    trainings API (see wk_mkraw_traces.h).  */
#include "wk_mkraw_traces.h"
#include "edge_assert.h"
#include "edge_keys.h"
#include "edge_log.h"
#include "edge_store.h"
#include "edge_task.h"
#include "edge_util.h"
#include "wk_image.h"
#include "wk_lua.h"
#include "wk_manifest.h"
#include "wk_metrics.h"
#include "wk_mkraw.h"
#include "wk_profile.h"
#include "wk_reorder.h"
#include "wk_depot.h"
#include "wk_stage.h"
#include "wk_trace.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#define S_MAX_BUILD   9999  //  ids have 4 digits in the depot layout
#define S_PAGE        "256" //  trace records per Redis round trip
#define S_PROGRESS_MS 250   //  at most one progress write per this
#define S_MIN_TRACES  2     //  cross-validation needs two traces
#define S_STR(text)   ((text) ? (text) : "")
#define S_JSON_FLAGS                                                           \
    (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION (10))

//  One traces-mode run.
typedef struct {
    wk_job_t *job;
    char *root;          //  the depot's files (wk_depot_local_root)
    edge_store_t *store; //  s3 depot: the bucket's store, else NULL
    const char *app;    //  params, borrowed
    const char *dxf;    //  params.dxfName: the image judged, borrowed
    int build_id;       //  params.buildId
    char *build_name;   //  from the app's builds list
    char *app_key;      //  e:{O}:app:<app>
    char *training_key; //  e:{O}:training:<app>
    char *image_dir;    //  the current image in the depot
    bool is_processing; //  we set the app's processing flag
    //  Settings (training hash)
    int64_t need;     //  nTracesReliable
    uint64_t bps;     //  bandwidthBps
    double threshold; //  improvementThreshold
    wk_profile_opts_t opts;
    //  Traces
    int64_t total;        //  the build's trace count (progress)
    size_t done, skipped; //  records read; of them skipped
    int64_t progress_ms;  //  last progress write (monotonic)
    wk_manifest_t *manifest;
    wk_profile_t *profile;
    //  Judgement and new image
    wk_profile_eval_t eval;
    uint32_t *order; //  fitted on all traces
    bool is_changed;
    const char *reason; //  static text
    wk_image_info_t info;
    char *new_dir;   //  the new image in the depot
    bool is_written; //  new_dir was written by this run
    uint64_t image_bytes;
    json_t *patches; //  [{"fromBuildId","sizeBytes"}]
} s_run_t;


//  Record progress in traces (best effort), at most every S_PROGRESS_MS
//  unless is_forced.
static void
s_progress (s_run_t *run, bool is_forced)
{
    wk_job_t *job = run->job;
    int64_t now = edge_mono_ms ();
    if (!is_forced && now - run->progress_ms < S_PROGRESS_MS)
        return;
    run->progress_ms = now;
    if (run->total < (int64_t) run->done)
        run->total = (int64_t) run->done;
    wk_mkraw_progress (job, run->done, (uint64_t) run->total);
}


//  Check the params. Returns WK_JOB_DONE to go on.
static wk_job_rc_t
s_params (s_run_t *run)
{
    wk_job_t *job = run->job;
    run->app = json_string_value (json_object_get (job->params, "appName"));
    run->dxf = json_string_value (json_object_get (job->params, "dxfName"));
    json_t *id = json_object_get (job->params, "buildId");
    const char *why = NULL;
    if (!edge_name_is_valid (job->org) || !edge_request_id_is_valid (job->name))
        why = "the task has no valid org or name";
    else if (!run->app || !edge_name_is_valid (run->app))
        why = "params.appName is not a valid name";
    else if (!json_is_integer (id) || json_integer_value (id) < 1
             || json_integer_value (id) > S_MAX_BUILD)
        why = "params.buildId is not a build id (1..9999)";
    else if (!run->dxf || !edge_request_id_is_valid (run->dxf)
             || run->dxf[0] == '.')
        why = "params.dxfName is not an image name";
    if (why)
        return wk_job_fail (job, "mkraw: %s", why);
    run->build_id = (int) json_integer_value (id);
    run->app_key = edge_key_app (job->org, run->app);
    run->training_key = edge_key_training (job->org, run->app);
    return WK_JOB_DONE;
}


//  A setting from mkraw_traces_begin's reply element i, or dflt when unset
//  or out of min..max (warned).
static double
s_setting (const s_run_t *run,
           const redisReply *reply,
           size_t i,
           const char *name,
           double dflt,
           double min,
           double max)
{
    const redisReply *value = reply->element[i];
    if (value->type != REDIS_REPLY_STRING || !*value->str)
        return dflt;
    char *end;
    double number = strtod (value->str, &end);
    if (*end || !(number >= min && number <= max)) {
        edge_warn ("task %s: training setting %s of %s is not a number in "
                   "%g..%g: the default %g is used",
                   run->job->name, name, run->app, min, max, dflt);
        return dflt;
    }
    return number;
}


//  The settings and the build's name from mkraw_traces_begin's 'ok'
//  reply. Returns WK_JOB_DONE to go on.
static wk_job_rc_t
s_settings (s_run_t *run, const redisReply *reply)
{
    run->total = strtoll (reply->element[2]->str, NULL, 10);
    run->need =
        (int64_t) s_setting (run, reply, 3, "nTracesReliable", 10, 1, 100000);
    run->bps =
        (uint64_t) s_setting (run, reply, 4, "bandwidthBps", 1e8, 1e5, 1e11);
    double percentile = s_setting (run, reply, 5, "percentile", 90, 50, 100);
    run->threshold =
        s_setting (run, reply, 6, "improvementThreshold", 0.05, 0, 1);
    wk_profile_opts_defaults (&run->opts);
    run->opts.percentile = (uint32_t) (percentile + 0.5); //  50..100
    run->opts.quantile = 1.0 - run->opts.percentile / 100.0;
    if (run->opts.quantile < 0.001) //  percentile 100: the earliest traces
        run->opts.quantile = 0.001;
    run->opts.threshold = run->threshold;
    json_t *builds = json_loads (reply->element[1]->str, 0, NULL);
    size_t i;
    json_t *entry;
    json_array_foreach (builds, i, entry)
    {
        const char *name =
            json_string_value (json_object_get (entry, "buildName"));
        if (json_integer_value (json_object_get (entry, "buildId"))
                == run->build_id
            && name)
            run->build_name = edge_strdup (name);
    }
    json_decref (builds);
    if (!run->build_name)
        return wk_job_fail (run->job,
                            "mkraw: build %d is not in the builds list of "
                            "app %s",
                            run->build_id, run->app);
    return WK_JOB_DONE;
}


//  Check that the build and image are still current; read the settings.
//  Returns WK_JOB_DONE to go on.
static wk_job_rc_t
s_start (s_run_t *run)
{
    wk_job_t *job = run->job;
    char bid[16];
    snprintf (bid, sizeof bid, "%d", run->build_id);
    char *counts = edge_key_app_tracecounts (job->org, run->app);
    const char *keys[] = {run->app_key, run->training_key, counts};
    const char *args[] = {bid, run->dxf};
    redisReply *reply = edge_redis_eval (
        job->redis, &wk_lua_mkraw_traces_begin, 3, keys, 2, args);
    wk_job_rc_t rc = WK_JOB_FAILED;
    if (edge_redis_script_is (reply, "no_app"))
        wk_job_fail (job, "mkraw: app %s no longer exists", run->app);
    else if (edge_redis_script_is (reply, "changed") && reply->elements == 3)
        wk_job_fail (job,
                     "mkraw: the build changed since the trigger: app %s "
                     "has build %s image %s, the traces were to be processed "
                     "for build %d image %s",
                     run->app, reply->element[1]->str, reply->element[2]->str,
                     run->build_id, run->dxf);
    else if (!edge_redis_script_is (reply, "ok") || reply->elements != 7)
        wk_job_fail (job, "mkraw: cannot read app %s (Redis failed)", run->app);
    else {
        run->is_processing = true;
        rc = s_settings (run, reply);
    }
    freeReplyObject (reply);
    free (counts);
    return rc;
}


//  Load the current image's manifest and make the empty profile. Returns
//  WK_JOB_DONE to go on.
static wk_job_rc_t
s_load (s_run_t *run)
{
    wk_job_t *job = run->job;
    run->image_dir = edge_sprintf ("%s/dxf/%s/%s/%04d/%s", run->root, job->org,
                                   run->app, run->build_id, run->dxf);
    char *path = edge_sprintf ("%s/%s", run->image_dir, WK_IMAGE_MANIFEST);
    //  (s3: the whole image: the reorder reads its segments)
    char *prefix = edge_sprintf ("dxf/%s/%s/%04d/%s/", job->org, run->app,
                                 run->build_id, run->dxf);
    char err[300] = "";
    if (wk_depot_fetch_prefix (run->store, run->root, prefix, err, sizeof err)
        == 0)
        run->manifest = wk_manifest_load (path, err, sizeof err);
    free (prefix);
    free (path);
    if (!run->manifest)
        return wk_job_fail (job,
                            "mkraw: cannot read the manifest of image %s of "
                            "build %d: %s",
                            run->dxf, run->build_id, err);
    run->profile = wk_profile_new (run->manifest, &run->opts);
    return WK_JOB_DONE;
}


//  Read, map and add one trace (id, depot key); a bad one is skipped.
//  Returns WK_JOB_DONE, or WK_JOB_CANCELLED.
static wk_job_rc_t
s_one_trace (s_run_t *run,
             wk_trace_mapper_t *mapper,
             const char *id,
             const char *key)
{
    wk_job_t *job = run->job;
    if (wk_job_is_cancelled (job))
        return WK_JOB_CANCELLED;
    char *prefix = edge_sprintf ("traces/%s/%s/", job->org, run->app);
    char err[256] = "";
    wk_trace_t *trace = NULL;
    if (!edge_store_key_is_valid (key)
        || strncmp (key, prefix, strlen (prefix)) != 0)
        snprintf (err, sizeof err, "its key '%.100s' is not under %s", key,
                  prefix);
    else if (wk_depot_fetch (run->store, run->root, key, err, sizeof err)
             == 0) {
        char *path = edge_sprintf ("%s/%s", run->root, key);
        trace = wk_trace_mapper_load (mapper, path, err, sizeof err);
        if (run->store)
            unlink (path); //  s3: one trace's copy at a time
        free (path);
    }
    if (trace && strcmp (S_STR (trace->trace_id), id) != 0) {
        snprintf (err, sizeof err, "its file names the trace '%.60s'",
                  S_STR (trace->trace_id));
        wk_trace_destroy (&trace);
    }
    else if (trace && wk_profile_add_trace (run->profile, trace) != 0) {
        snprintf (err, sizeof err, "its touches do not fit the image");
        wk_trace_destroy (&trace);
    }
    if (!trace) {
        run->skipped++;
        edge_warn ("task %s: trace %.60s of %s build %d skipped: %s", job->name,
                   id, run->app, run->build_id, err);
    }
    wk_trace_destroy (&trace);
    free (prefix);
    run->done++;
    s_progress (run, false);
    return WK_JOB_DONE;
}


//  Add the traces of one mkraw_traces_page reply. Returns WK_JOB_DONE to go on.
static wk_job_rc_t
s_add_page (s_run_t *run, wk_trace_mapper_t *mapper, const redisReply *reply)
{
    wk_job_rc_t rc = WK_JOB_DONE;
    for (size_t i = 2; i + 1 < reply->elements && rc == WK_JOB_DONE; i += 2) {
        const redisReply *id = reply->element[i], *key = reply->element[i + 1];
        if (id->type == REDIS_REPLY_STRING && key->type == REDIS_REPLY_STRING)
            rc = s_one_trace (run, mapper, id->str, key->str);
    }
    return rc;
}


//  Read the build's traces, page by page in creation order, into the
//  profile. Returns WK_JOB_DONE to go on.
static wk_job_rc_t
s_read_traces (s_run_t *run)
{
    wk_job_t *job = run->job;
    wk_trace_mapper_t *mapper = wk_trace_mapper_new (run->manifest);
    char *zset = edge_key_app_traces (job->org, run->app);
    char *prefix = edge_key_app_trace (job->org, run->app, "");
    char *cursor = edge_strdup ("-inf"), bid[16];
    snprintf (bid, sizeof bid, "%d", run->build_id);
    s_progress (run, true);
    wk_job_rc_t rc = WK_JOB_DONE;
    while (rc == WK_JOB_DONE) {
        const char *keys[] = {zset};
        const char *args[] = {cursor, S_PAGE, prefix, bid};
        redisReply *reply = edge_redis_eval (
            job->redis, &wk_lua_mkraw_traces_page, 1, keys, 4, args);
        bool is_done = edge_redis_script_is (reply, "done");
        if (!is_done
            && (!edge_redis_script_is (reply, "ok") || reply->elements < 2
                || reply->element[1]->type != REDIS_REPLY_STRING))
            rc = wk_job_fail (job,
                              "mkraw: cannot read the traces of app %s "
                              "(Redis failed)",
                              run->app);
        else if (!is_done) {
            free (cursor);
            cursor = edge_strdup (reply->element[1]->str);
            rc = s_add_page (run, mapper, reply);
        }
        freeReplyObject (reply);
        if (is_done)
            break;
    }
    s_progress (run, true);
    free (cursor);
    free (prefix);
    free (zset);
    wk_trace_mapper_destroy (&mapper);
    return rc;
}


//  Enough traces? Cross-validate and fit. Returns WK_JOB_DONE to go on.
static wk_job_rc_t
s_judge (s_run_t *run)
{
    wk_job_t *job = run->job;
    size_t used = wk_profile_count (run->profile);
    int64_t need = run->need > S_MIN_TRACES ? run->need : S_MIN_TRACES;
    if ((int64_t) used < need)
        return wk_job_fail (job,
                            "mkraw: only %zu usable traces of build %d of %s "
                            "(%zu skipped); processing needs %lld "
                            "(nTracesReliable)",
                            used, run->build_id, run->app, run->skipped,
                            (long long) need);
    const wk_manifest_t *m = run->manifest;
    if (wk_profile_evaluate (run->profile, m->load_order, m->nload, run->bps,
                             &run->eval)
        != 0)
        return wk_job_fail (job, "mkraw: cannot evaluate the traces");
    run->order = wk_profile_fit (run->profile, NULL);
    bool is_same = m->nload == m->nchunks
                   && (m->nchunks == 0
                       || memcmp (run->order, m->load_order,
                                  m->nchunks * sizeof (uint32_t))
                              == 0);
    run->is_changed = run->eval.is_better && !is_same;
    run->reason = is_same ? "the fitted order is the image's order"
                  : run->eval.is_better
                      ? "the fitted order is better on held-out traces"
                      : "no improvement above the threshold on held-out "
                        "traces";
    edge_info ("task %s: %zu traces of %s build %d (%zu skipped), %u folds "
               "at %llu bit/s: preload %llu -> %llu bytes, quality %.3f -> "
               "%.3f: %s",
               job->name, used, run->app, run->build_id, run->skipped,
               run->eval.folds, (unsigned long long) run->bps,
               (unsigned long long) run->eval.before.preload_bytes,
               (unsigned long long) run->eval.after.preload_bytes,
               run->eval.before.quality, run->eval.after.quality, run->reason);
    return WK_JOB_DONE;
}


//  Figures as a JSON object. Caller owns.
static json_t *
s_figures (const wk_profile_figures_t *fig)
{
    json_t *object = json_pack (
        "{s:I, s:f, s:f, s:f}", "preloadBytes", (json_int_t) fig->preload_bytes,
        "preloadShare", fig->preload_share, "quality", fig->quality,
        "expectedTimeToPlayMs", fig->expected_time_to_play_ms);
    edge_assert (object);
    return object;
}


//  The manifest's "profile" member: how the order was fitted. Caller
//  frees.
static char *
s_profile_text (const s_run_t *run)
{
    json_t *profile = json_pack (
        "{s:I, s:I, s:i, s:f, s:i, s:f, s:I, s:i, s:o, s:o}", "traces",
        (json_int_t) wk_profile_count (run->profile), "tracesSkipped",
        (json_int_t) run->skipped, "percentile", (int) run->opts.percentile,
        "quantile", run->opts.quantile, "minTraces", (int) run->opts.min_traces,
        "minShare", run->opts.min_share, "bandwidthBps", (json_int_t) run->bps,
        "folds", (int) run->eval.folds, "before", s_figures (&run->eval.before),
        "after", s_figures (&run->eval.after));
    edge_assert (profile);
    char *text = json_dumps (profile, S_JSON_FLAGS);
    json_decref (profile);
    return text;
}


//  Write the image again in the fitted order, staged, into its place.
//  Returns WK_JOB_DONE to go on.
static wk_job_rc_t
s_write_image (s_run_t *run, const char *dir, wk_stage_t *stage)
{
    wk_job_t *job = run->job;
    uint64_t bands[WK_PROFILE_NBANDWIDTHS], bytes[WK_PROFILE_NBANDWIDTHS];
    wk_manifest_preload_t table[WK_PROFILE_NBANDWIDTHS];
    for (size_t b = 0; b < WK_PROFILE_NBANDWIDTHS; b++)
        bands[b] = wk_profile_bandwidths_mbit[b] * 1000000ull;
    wk_profile_preload_table (run->profile, run->order, run->manifest->nchunks,
                              bands, WK_PROFILE_NBANDWIDTHS, bytes);
    for (size_t b = 0; b < WK_PROFILE_NBANDWIDTHS; b++)
        table[b] = (wk_manifest_preload_t){bands[b], bytes[b]};
    char *profile = s_profile_text (run);
    wk_reorder_opts_t opts = {.order = run->order,
                              .norder = run->manifest->nchunks,
                              .preload = table,
                              .npreload = WK_PROFILE_NBANDWIDTHS,
                              .percentile = run->opts.percentile,
                              .traces = wk_profile_count (run->profile),
                              .profile = profile,
                              .segment_max = run->job->env->segment_max};
    char err[256] = "";
    int rc = wk_reorder_build (run->image_dir, stage->path, &opts, &run->info,
                               err, sizeof err);
    free (profile);
    if (rc != 0)
        return wk_job_fail (job,
                            "mkraw: cannot write the reordered image of "
                            "build %d: %s",
                            run->build_id, err);
    if (strcmp (run->info.dxf_name, run->dxf) == 0) {
        run->is_changed = false; //  the same bytes: nothing to deploy
        run->reason = "the reordered image is the current one";
        return WK_JOB_DONE;
    }
    run->new_dir = edge_sprintf ("%s/%s", dir, run->info.dxf_name);
    if (wk_stage_commit (stage, run->new_dir) != 0)
        return wk_job_fail (job, "mkraw: cannot move the image to %s: %s",
                            run->new_dir, strerror (errno));
    run->is_written = true;
    char *key = edge_sprintf ("dxf/%s/%s/%04d/%s", job->org, run->app,
                              run->build_id, run->info.dxf_name);
    rc = wk_depot_push (run->store, run->root, key, WK_IMAGE_MANIFEST, err,
                        sizeof err);
    free (key);
    if (rc != 0)
        return wk_job_fail (job, "mkraw: %s", err);
    return WK_JOB_DONE;
}


//  Write the reordered image. Returns WK_JOB_DONE to go on.
static wk_job_rc_t
s_reorder (s_run_t *run)
{
    wk_job_t *job = run->job;
    if (wk_job_is_cancelled (job))
        return WK_JOB_CANCELLED;
    char *dir = edge_sprintf ("%s/dxf/%s/%s/%04d", run->root, job->org,
                              run->app, run->build_id);
    wk_stage_t stage;
    wk_stage_init (&stage, dir, job->name);
    wk_job_rc_t rc = s_write_image (run, dir, &stage);
    wk_stage_fini (&stage);
    free (dir);
    if (rc != WK_JOB_DONE || !run->is_changed)
        return rc;
    char *manifest = edge_sprintf ("%s/%s", run->new_dir, WK_IMAGE_MANIFEST);
    struct stat st;
    if (stat (manifest, &st) != 0)
        rc = wk_job_fail (job, "mkraw: the new image has no manifest: %s",
                          strerror (errno));
    else {
        run->image_bytes = run->info.stored_bytes + (uint64_t) st.st_size;
        wk_metrics_built (run->image_bytes);
        edge_info ("task %s: image %s of build %d reordered as %s: %llu "
                   "chunks, %llu bytes",
                   job->name, run->dxf, run->build_id, run->info.dxf_name,
                   (unsigned long long) run->info.chunks,
                   (unsigned long long) run->image_bytes);
    }
    free (manifest);
    return rc;
}


//  Record the outcome in Redis in one script: the figures (on success)
//  and the end of processing. Returns rc, or WK_JOB_FAILED when the app
//  changed under us.
static wk_job_rc_t
s_finish (s_run_t *run, wk_job_rc_t rc)
{
    wk_job_t *job = run->job;
    if (!run->app_key)
        return rc;
    char bid[16], used[24], skipped[24], now[40];
    snprintf (bid, sizeof bid, "%d", run->build_id);
    snprintf (used, sizeof used, "%zu",
              run->profile ? wk_profile_count (run->profile) : 0);
    snprintf (skipped, sizeof skipped, "%zu", run->skipped);
    edge_rfc3339 (edge_now_ms (), now, sizeof now);
    json_t *before = s_figures (&run->eval.before);
    json_t *after = s_figures (&run->eval.after);
    char *before_text = json_dumps (before, S_JSON_FLAGS);
    char *after_text = json_dumps (after, S_JSON_FLAGS);
    const char *outcome = rc == WK_JOB_DONE && run->is_changed ? "changed"
                          : rc == WK_JOB_DONE                  ? "ok"
                          : rc == WK_JOB_CANCELLED             ? "cancelled"
                                                               : "failed";
    const char *args[] = {job->name,
                          bid,
                          S_STR (run->dxf),
                          outcome,
                          run->is_processing ? "1" : "0",
                          "lastProcessed",
                          now,
                          "lastTaskName",
                          job->name,
                          "tracesUsed",
                          used,
                          "tracesSkipped",
                          skipped,
                          "before",
                          before_text,
                          "after",
                          after_text,
                          "buildChanged",
                          run->is_changed ? "true" : "false"};
    const char *keys[] = {run->app_key, run->training_key};
    int nargs = rc == WK_JOB_DONE ? (int) EDGE_COUNT (args) : 5;
    redisReply *reply = edge_redis_eval (
        job->redis, &wk_lua_mkraw_traces_end, 2, keys, nargs, args);
    if (edge_redis_script_is (reply, "ok")
        || (rc != WK_JOB_DONE && edge_redis_script_is (reply, "no_app")))
        ;
    else if (rc != WK_JOB_DONE)
        edge_warn ("task %s: cannot clear the processing state of app %s",
                   job->name, run->app);
    else if (edge_redis_script_is (reply, "no_app"))
        rc = wk_job_fail (job,
                          "mkraw: app %s was deleted during trace "
                          "processing",
                          run->app);
    else if (edge_redis_script_is (reply, "changed") && reply->elements == 3)
        rc = wk_job_fail (job,
                          "mkraw: the build changed during trace processing: "
                          "app %s has build %s image %s, the traces were for "
                          "build %d image %s",
                          run->app, reply->element[1]->str,
                          reply->element[2]->str, run->build_id, run->dxf);
    else
        rc = wk_job_fail (job,
                          "mkraw: cannot record the figures of app %s "
                          "(Redis failed)",
                          run->app);
    freeReplyObject (reply);
    free (after_text);
    free (before_text);
    json_decref (after);
    json_decref (before);
    return rc;
}


//  Fill the result and, when the image changed, the next task. Returns
//  WK_JOB_DONE.
static wk_job_rc_t
s_succeed (s_run_t *run)
{
    wk_job_t *job = run->job;
    const char *dxf = run->is_changed ? run->info.dxf_name : run->dxf;
    json_t *result = json_object ();
    json_object_set_new (result, "buildChanged",
                         json_boolean (run->is_changed));
    json_object_set_new (result, "dxfName", json_string (dxf));
    if (run->is_changed)
        json_object_set_new (result, "previousDxfName", json_string (run->dxf));
    json_object_set_new (result, "buildId", json_integer (run->build_id));
    json_object_set_new (result, "buildName", json_string (run->build_name));
    json_object_set_new (
        result, "traces",
        json_integer ((json_int_t) wk_profile_count (run->profile)));
    json_object_set_new (result, "tracesSkipped",
                         json_integer ((json_int_t) run->skipped));
    json_object_set_new (result, "before", s_figures (&run->eval.before));
    json_object_set_new (result, "after", s_figures (&run->eval.after));
    json_object_set_new (result, "bandwidthBps",
                         json_integer ((json_int_t) run->bps));
    json_object_set_new (result, "percentile",
                         json_integer (run->opts.percentile));
    json_object_set_new (result, "reason", json_string (run->reason));
    if (run->is_changed) {
        json_object_set_new (result, "sizeBytes",
                             json_integer ((json_int_t) run->image_bytes));
        json_object_set (result, "patches", run->patches);
        wk_mkraw_next_deploy (job, run->app, run->build_id, run->build_name,
                              dxf, run->image_bytes, run->patches, "reorder",
                              run->dxf);
    }
    job->result = json_dumps (result, S_JSON_FLAGS);
    json_decref (result);
    edge_info ("task %s: traces of %s build %d: %s%s", job->name, run->app,
               run->build_id, run->is_changed ? "new image " : "image kept: ",
               run->is_changed ? dxf : run->reason);
    return WK_JOB_DONE;
}


//  Free what the run holds.
static void
s_run_fini (s_run_t *run)
{
    json_decref (run->patches);
    free (run->new_dir);
    free (run->order);
    wk_profile_destroy (&run->profile);
    wk_manifest_destroy (&run->manifest);
    free (run->image_dir);
    free (run->training_key);
    free (run->app_key);
    free (run->build_name);
    edge_store_destroy (&run->store);
    wk_depot_release (run->job->env, &run->root);
}


wk_job_rc_t
wk_mkraw_traces_run (wk_job_t *job)
{
    edge_assert (job && job->params && job->redis);
    bool is_s3 = wk_depot_is_s3 (job->env);
    s_run_t run = {.job = job,
                   .root = wk_depot_local_root (job->env, job->name),
                   .store = is_s3 ? wk_depot_store (job->env) : NULL};
    run.patches = json_array ();
    wk_job_rc_t rc = WK_JOB_DONE;
    if (!run.root || (is_s3 && !run.store))
        rc = wk_job_fail (job, "mkraw: the worker has no usable depot");
    if (rc == WK_JOB_DONE)
        rc = s_params (&run);
    if (rc == WK_JOB_DONE)
        rc = s_start (&run);
    if (rc == WK_JOB_DONE) {
        edge_info ("task %s: processing the traces of %s build %d image %s "
                   "(%lld recorded)",
                   job->name, run.app, run.build_id, run.dxf,
                   (long long) run.total);
        rc = s_load (&run);
    }
    if (rc == WK_JOB_DONE)
        rc = s_read_traces (&run);
    if (rc == WK_JOB_DONE)
        rc = s_judge (&run);
    if (rc == WK_JOB_DONE && run.is_changed)
        rc = s_reorder (&run);
    //  The build's patches stay as they are: a patch rebuilds the build's
    //  files whatever the image's order, and replacing it in place (its key
    //  has no dxfName) would break launchers applying it meanwhile
    rc = s_finish (&run, rc);
    if (rc == WK_JOB_FAILED && run.is_written) {
        edge_info ("task %s: removing the unused image %s", job->name,
                   run.info.dxf_name);
        wk_stage_rmtree (run.new_dir);
        char *key = edge_sprintf ("dxf/%s/%s/%04d/%s", job->org, run.app,
                                  run.build_id, run.info.dxf_name);
        wk_depot_forget (run.store, key, WK_IMAGE_MANIFEST);
        free (key);
    }
    if (rc == WK_JOB_DONE)
        rc = s_succeed (&run);
    else if (rc == WK_JOB_CANCELLED)
        edge_info ("task %s: mkraw (traces) cancelled", job->name);
    s_run_fini (&run);
    return rc;
}
