/*  test_wk_mkraw_traces - the mkraw task in traces mode against a real
    redis-server and a file:// depot in a temporary directory: real images
    built from generated tars, real .tr files (wk_trace_write) indexed as
    the gateway indexes them.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "edge_log.h"
#include "edge_redis.h"
#include "edge_testutil.h"
#include "edge_util.h"
#include "wk_image.h"
#include "wk_job.h"
#include "wk_manifest.h"
#include "wk_mkraw.h"
#include "wk_stage.h"
#include "wk_testmkraw.h"
#include "wk_testtar.h"
#include "wk_trace.h"
#include <dirent.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#define S_FILES       6
#define S_FILE_SIZE   (256u * 1024)
#define S_SEGMENT_MAX (256u * 1024)
#define S_BPS         8000000 //  1000 bytes per ms

static wk_tests3_t *s_fx;                 //  the fixture (wk_testmkraw)
static char s_dxf[3][WK_IMAGE_NAME_SIZE]; //  image of build 1 and 2

static const char *const s_app_key = "e:{acme}:app:app1";
static const char *const s_training = "e:{acme}:training:app1";
static const char *const s_names[S_FILES] = {"f0", "f1", "f2",
                                             "f3", "f4", "f5"};


//  ---------------------------------------------------------------------
//  Helpers

#define S_REDIS WK_TESTMKRAW_REDIS


//  Build the image of build id (files f0..f5; f4 and f5 differ between
//  builds) into the depot; its name goes to s_dxf[id].
static void
s_image (int id)
{
    char *scratch = wk_testtar_tmpdir ();
    char *tar_path = edge_sprintf ("%s/b.tar", scratch);
    wk_testtar_t *tar = wk_testtar_new (tar_path, NULL);
    for (int i = 0; i < S_FILES; i++)
        wk_testtar_random (tar, s_names[i], S_FILE_SIZE,
                           (uint64_t) (i < 4 ? i + 1 : i + 10 * id));
    wk_testtar_destroy (&tar);
    char *dir = edge_sprintf ("%s/dxf/acme/app1/%04d", s_fx->dir, id);
    char *staging = edge_sprintf ("%s/.tmp-test", dir);
    assert_int_equal (wk_stage_mkdirs (dir), 0);
    wk_image_opts_t opts = {.segment_max = S_SEGMENT_MAX};
    wk_image_info_t info;
    wk_image_error_t error;
    assert_int_equal (wk_image_build (tar_path, staging, &opts, &info, &error),
                      0);
    char *target = edge_sprintf ("%s/%s", dir, info.dxf_name);
    assert_int_equal (rename (staging, target), 0);
    snprintf (s_dxf[id], sizeof s_dxf[id], "%s", info.dxf_name);
    free (target);
    free (staging);
    free (dir);
    free (tar_path);
    wk_testtar_rmtree (scratch);
    free (scratch);
}


//  The app with current build cur (image dxf) and builds 1..cur.
static void
s_app (int cur, const char *dxf)
{
    json_t *list = json_array ();
    for (int id = 1; id <= cur; id++)
        json_array_append_new (
            list, json_pack ("{s:i, s:s+, s:s, s:i}", "buildId", id,
                             "buildName", "b", id == 1 ? "1" : "2", "dxfName",
                             id == cur ? dxf : s_dxf[id], "sizeBytes", 1));
    char *builds = json_dumps (list, JSON_COMPACT);
    json_decref (list);
    S_REDIS ("HSET %s name app1 maxBuilds 5 processing 0 iCurBuild %d "
             "dxfName %s builds %s",
             s_app_key, cur, dxf, builds);
    free (builds);
}


//  A running task (so that progress is recorded) and the gateway's
//  processing reservation turned into that task, with the settings.
static void
s_task (const char *name, int need, const char *threshold)
{
    S_REDIS ("HSET e:task:%s name %s type mkraw state running owner w1 "
             "attempts 1",
             name, name);
    S_REDIS ("HSET %s nTracesReliable %d bandwidthBps %d percentile 90 "
             "improvementThreshold %s processingTask %s triggerBuildId 2 "
             "tracesAtTrigger 12",
             s_training, need, S_BPS, threshold, name);
}


//  Trace kinds for s_trace.
typedef enum {
    S_GOOD,        //  reads f5 first ... f0 last
    S_GARBAGE,     //  the file is not msgpack
    S_MISSING,     //  no file at its key
    S_OUTSIDE,     //  its key is not under traces/acme/app1/
    S_OTHER_ID,    //  its file names another trace
    S_UNKNOWN_PATH //  an access names a path the build lacks
} s_kind_t;


//  Write trace number t of build id (kind) into the depot and index it
//  as the gateway does (created ms: 1000 + t / 3, so scores repeat).
static void
s_trace (int id, int t, s_kind_t kind)
{
    char trace_id[32], key[128];
    snprintf (trace_id, sizeof trace_id, "tr_%020d", id * 1000 + t);
    snprintf (key, sizeof key, "traces/acme/app1/%04d/%s.tr", id, trace_id);
    if (kind == S_OUTSIDE)
        snprintf (key, sizeof key, "traces/acme/app2/%04d/%s.tr", id, trace_id);
    char *dir = edge_sprintf ("%s/traces/acme/app1/%04d", s_fx->dir, id);
    assert_int_equal (wk_stage_mkdirs (dir), 0);
    char *path = wk_testmkraw_path (key);
    wk_trace_access_t accesses[S_FILES * 10];
    size_t k = 0;
    for (int f = S_FILES - 1; f >= 0; f--)
        for (uint64_t j = 0; j < 10; j++, k++)
            accesses[k] = (wk_trace_access_t){
                (uint64_t) ((S_FILES - 1 - f) * 400 + t % 3 + k), (uint32_t) f,
                j * (S_FILE_SIZE / 10), 4096};
    const char *files[S_FILES];
    memcpy (files, s_names, sizeof files);
    if (kind == S_UNKNOWN_PATH)
        files[2] = "f9";
    wk_trace_header_t header = {kind == S_OTHER_ID ? "tr_other" : trace_id,
                                s_dxf[id], id, files, S_FILES};
    if (kind == S_GARBAGE) {
        FILE *file = fopen (path, "wb");
        assert_non_null (file);
        fputs ("this is not a trace", file);
        fclose (file);
    }
    else if (kind != S_MISSING && kind != S_OUTSIDE)
        assert_int_equal (wk_trace_write (path, &header, accesses, k), 0);
    S_REDIS ("ZADD %s:traces %d %s", s_app_key, 1000 + t / 3, trace_id);
    S_REDIS ("HSET %s:trace:%s traceId %s buildId %d dxfName %s key %s "
             "accesses %d",
             s_app_key, trace_id, trace_id, id, s_dxf[id], key, (int) k);
    S_REDIS ("HINCRBY %s:tracecounts %d 1", s_app_key, id);
    free (path);
    free (dir);
}


//  Params of a traces-mode run on build id with image dxf. Caller frees.
static char *
s_params (int id, const char *dxf)
{
    return edge_sprintf ("{\"appName\":\"app1\",\"mode\":\"traces\","
                         "\"buildId\":%d,\"dxfName\":\"%s\"}",
                         id, dxf);
}


//  The cancel flags of the jobs: never set, and set before the run.
static atomic_int s_no_cancel, s_cancelled = 1;


//  Run task on build 2 with image dxf (cancelled before it starts when
//  is_cancelled); the caller calls wk_job_fini.
static wk_job_rc_t
s_run (const char *task, const char *dxf, bool is_cancelled, wk_job_t *job)
{
    char *params = s_params (2, dxf);
    wk_job_rc_t rc = wk_testmkraw_run (
        task, 1, params, is_cancelled ? &s_cancelled : &s_no_cancel, job);
    free (params);
    return rc;
}


//  Run task on build 2 with image dxf to success; returns its result
//  (caller decrefs). The caller calls wk_job_fini.
static json_t *
s_run_ok (const char *task, const char *dxf, wk_job_t *job)
{
    wk_job_rc_t rc = s_run (task, dxf, false, job);
    if (rc != WK_JOB_DONE)
        fprintf (stderr, "mkraw failed: %s\n", job->message);
    assert_int_equal (rc, WK_JOB_DONE);
    json_t *result = json_loads (job->result, 0, NULL);
    assert_non_null (result);
    return result;
}


static const char *
s_str (const json_t *obj, const char *field)
{
    const char *value = json_string_value (json_object_get (obj, field));
    assert_non_null (value);
    return value;
}


//  The standard scene: images of builds 1 and 2, build 2 current, n good
//  traces of build 2 and 3 of build 1 (whose files are missing: reading
//  one would count as skipped).
static void
s_scene (int n)
{
    s_image (1);
    s_image (2);
    s_app (2, s_dxf[2]);
    for (int t = 0; t < n; t++)
        s_trace (2, t, S_GOOD);
    for (int t = 0; t < 3; t++)
        s_trace (1, t, S_MISSING);
}


//  The figures object has the four numbers.
static void
s_check_figures (const json_t *figures)
{
    assert_true (json_is_object (figures));
    assert_true (json_is_integer (json_object_get (figures, "preloadBytes")));
    const char *reals[] = {"preloadShare", "quality", "expectedTimeToPlayMs"};
    for (size_t i = 0; i < 3; i++)
        assert_true (json_is_number (json_object_get (figures, reals[i])));
}


//  The training hash's figures match the result's.
static void
s_check_training (const char *task, const json_t *result, const char *changed)
{
    wk_tests3_assert_field (s_fx->check, s_training, "lastTaskName", task);
    wk_tests3_assert_field (s_fx->check, s_training, "buildChanged", changed);
    char *used =
        edge_sprintf ("%lld", (long long) wk_testmkraw_int (result, "traces"));
    wk_tests3_assert_field (s_fx->check, s_training, "tracesUsed", used);
    free (used);
    const char *names[] = {"before", "after"};
    for (size_t i = 0; i < 2; i++) {
        char *text = wk_tests3_hget (s_fx->check, s_training, names[i]);
        assert_non_null (text);
        json_t *stored = json_loads (text, 0, NULL);
        s_check_figures (stored);
        assert_true (json_equal (stored, json_object_get (result, names[i])));
        json_decref (stored);
        free (text);
    }
    char *when = wk_tests3_hget (s_fx->check, s_training, "lastProcessed");
    int64_t ms = 0;
    assert_non_null (when);
    assert_int_equal (edge_rfc3339_parse (when, &ms), 0);
    assert_true (ms > edge_now_ms () - 60000 && ms <= edge_now_ms ());
    free (when);
    //  a deploy follows a change: the reservation stays (the task chain
    //  hands it on); otherwise it is released. The auto-processing base
    //  is kept.
    wk_tests3_assert_field (s_fx->check, s_training, "processingTask",
                            strcmp (changed, "true") == 0 ? task : NULL);
    wk_tests3_assert_field (s_fx->check, s_training, "triggerBuildId", "2");
    wk_tests3_assert_field (s_fx->check, s_app_key, "processing", "0");
}


//  ---------------------------------------------------------------------
//  Tests

static void
test_traces_favouring_another_order_make_a_new_image_and_a_deploy (void **st)
{
    (void) st;
    s_scene (12);
    s_task ("t1", 10, "0.05");
    S_REDIS ("HSET %s processingUntil 123", s_training);
    wk_job_t job;
    json_t *result = s_run_ok ("t1", s_dxf[2], &job);
    assert_true (json_is_true (json_object_get (result, "buildChanged")));
    const char *dxf = s_str (result, "dxfName");
    assert_string_not_equal (dxf, s_dxf[2]);
    assert_string_equal (s_str (result, "previousDxfName"), s_dxf[2]);
    assert_int_equal (wk_testmkraw_int (result, "buildId"), 2);
    assert_string_equal (s_str (result, "buildName"), "b2");
    assert_int_equal (wk_testmkraw_int (result, "traces"), 12);
    assert_int_equal (wk_testmkraw_int (result, "tracesSkipped"), 0);
    assert_int_equal (wk_testmkraw_int (result, "bandwidthBps"), S_BPS);
    assert_int_equal (wk_testmkraw_int (result, "percentile"), 90);
    json_t *before = json_object_get (result, "before");
    json_t *after = json_object_get (result, "after");
    s_check_figures (before);
    s_check_figures (after);
    assert_true (wk_testmkraw_int (after, "preloadBytes") * 2
                 < wk_testmkraw_int (before, "preloadBytes"));
    //  the new image, complete, beside the old one, nothing staged
    char *key = edge_sprintf ("dxf/acme/app1/0002/%s", dxf);
    char *manifest = edge_sprintf ("%s/%s/manifest.json", s_fx->dir, key);
    char name[WK_IMAGE_NAME_SIZE], err[256];
    assert_int_equal (wk_image_dxf_name (manifest, name), 0);
    assert_string_equal (name, dxf);
    assert_int_equal (wk_testmkraw_entries ("dxf/acme/app1/0002"), 2);
    assert_int_equal (wk_testmkraw_int (result, "sizeBytes"),
                      wk_testmkraw_dir_bytes (key));
    wk_manifest_t *m = wk_manifest_load (manifest, err, sizeof err);
    assert_non_null (m);
    assert_int_equal (m->npreload, 6);
    assert_int_equal (m->preload_percentile, 90);
    //  the stream starts with f5, the first file the traces read
    assert_int_equal (m->files[5].refs[0].chunk, m->load_order[0]);
    //  no patch is rebuilt: the build's patch (if any) is left as it was,
    //  still naming the image it was made with
    json_t *patches = json_object_get (result, "patches");
    assert_int_equal (json_array_size (patches), 0);
    char *pat =
        edge_sprintf ("%s/pat/acme/app1/0002/0001/manifest.json", s_fx->dir);
    if (access (pat, F_OK) == 0) {
        assert_int_equal (wk_image_dxf_name (pat, name), 0);
        assert_string_equal (name, s_dxf[2]);
    }
    //  the next task
    assert_string_equal (job.next_type, "deploy");
    assert_string_equal (job.next_dxf, dxf);
    json_t *next = json_loads (job.next_params, 0, NULL);
    assert_non_null (next);
    assert_string_equal (s_str (next, "appName"), "app1");
    assert_int_equal (wk_testmkraw_int (next, "buildId"), 2);
    assert_string_equal (s_str (next, "buildName"), "b2");
    assert_string_equal (s_str (next, "dxfName"), dxf);
    assert_string_equal (s_str (next, "mode"), "reorder");
    assert_string_equal (s_str (next, "previousDxfName"), s_dxf[2]);
    assert_int_equal (wk_testmkraw_int (next, "sizeBytes"),
                      wk_testmkraw_int (result, "sizeBytes"));
    assert_true (json_equal (json_object_get (next, "patches"), patches));
    //  Redis: figures, reservation, progress in traces
    s_check_training ("t1", result, "true");
    wk_tests3_assert_field (s_fx->check, s_training, "tracesSkipped", "0");
    wk_tests3_assert_field (s_fx->check, "e:task:t1", "progress",
                            "{\"doneBytes\":12,\"totalBytes\":12}");
    json_decref (next);
    free (pat);
    wk_manifest_destroy (&m);
    free (manifest);
    free (key);
    json_decref (result);
    wk_job_fini (&job);
}


static void
test_a_second_run_on_the_new_image_changes_nothing (void **state)
{
    (void) state;
    s_scene (12);
    s_task ("t1", 10, "0.05");
    wk_job_t job;
    json_t *first = s_run_ok ("t1", s_dxf[2], &job);
    char *dxf = edge_strdup (s_str (first, "dxfName"));
    wk_job_fini (&job);
    //  the same traces on the same image always give the same new image
    s_task ("t2", 10, "0.05");
    json_t *again = s_run_ok ("t2", s_dxf[2], &job);
    assert_string_equal (s_str (again, "dxfName"), dxf);
    assert_true (json_equal (json_object_get (again, "after"),
                             json_object_get (first, "after")));
    wk_job_fini (&job);
    //  deployed: the new image is current; a trigger with nothing new
    s_app (2, dxf);
    s_task ("t3", 10, "0.05");
    json_t *result = s_run_ok ("t3", dxf, &job);
    assert_true (json_is_false (json_object_get (result, "buildChanged")));
    assert_string_equal (s_str (result, "dxfName"), dxf);
    assert_null (json_object_get (result, "previousDxfName"));
    assert_null (json_object_get (result, "sizeBytes"));
    assert_string_equal (s_str (result, "reason"),
                         "the fitted order is the image's order");
    assert_int_equal (wk_testmkraw_int (result, "traces"), 12);
    assert_null (job.next_type);
    assert_null (job.next_params);
    assert_null (job.next_dxf);
    assert_int_equal (wk_testmkraw_entries ("dxf/acme/app1/0002"), 2);
    s_check_training ("t3", result, "false");
    json_decref (result);
    wk_job_fini (&job);
    json_decref (again);
    json_decref (first);
    free (dxf);
}


static void
test_no_gain_above_the_threshold_keeps_the_image (void **state)
{
    (void) state;
    s_scene (12);
    s_task ("t1", 10, "1"); //  nothing can improve by more than 100 %
    wk_job_t job;
    json_t *result = s_run_ok ("t1", s_dxf[2], &job);
    assert_true (json_is_false (json_object_get (result, "buildChanged")));
    assert_string_equal (s_str (result, "dxfName"), s_dxf[2]);
    assert_non_null (strstr (s_str (result, "reason"), "threshold"));
    assert_null (job.next_type);
    assert_int_equal (wk_testmkraw_entries ("dxf/acme/app1/0002"), 1);
    s_check_training ("t1", result, "false");
    json_decref (result);
    wk_job_fini (&job);
}


static void
test_too_few_usable_traces_fail_clearly (void **state)
{
    (void) state;
    s_scene (9);
    s_task ("t1", 10, "0.05");
    wk_job_t job;
    assert_int_equal (s_run ("t1", s_dxf[2], false, &job), WK_JOB_FAILED);
    assert_non_null (strstr (job.message, "only 9 usable traces"));
    assert_non_null (strstr (job.message, "needs 10"));
    assert_null (job.result);
    assert_null (job.next_type);
    wk_job_fini (&job);
    assert_int_equal (wk_testmkraw_entries ("dxf/acme/app1/0002"), 1);
    wk_tests3_assert_field (s_fx->check, s_training, "lastTaskName", NULL);
    wk_tests3_assert_field (s_fx->check, s_training, "processingTask", NULL);
    wk_tests3_assert_field (s_fx->check, s_app_key, "processing", "0");
    //  cross-validation needs two traces whatever nTracesReliable says
    S_REDIS ("DEL %s:traces", s_app_key);
    s_trace (2, 0, S_GOOD);
    s_task ("t2", 1, "0.05");
    assert_int_equal (s_run ("t2", s_dxf[2], false, &job), WK_JOB_FAILED);
    assert_non_null (strstr (job.message, "only 1 usable traces"));
    assert_non_null (strstr (job.message, "needs 2"));
    wk_job_fini (&job);
}


static void
test_bad_traces_are_skipped_and_counted (void **state)
{
    (void) state;
    s_scene (12);
    s_trace (2, 20, S_GARBAGE);
    s_trace (2, 21, S_MISSING);
    s_trace (2, 22, S_OUTSIDE);
    s_trace (2, 23, S_OTHER_ID);
    s_trace (2, 24, S_UNKNOWN_PATH);
    s_task ("t1", 10, "0.05");
    wk_job_t job;
    json_t *result = s_run_ok ("t1", s_dxf[2], &job);
    assert_true (json_is_true (json_object_get (result, "buildChanged")));
    assert_int_equal (wk_testmkraw_int (result, "traces"), 12);
    assert_int_equal (wk_testmkraw_int (result, "tracesSkipped"), 5);
    wk_tests3_assert_field (s_fx->check, s_training, "tracesSkipped", "5");
    wk_tests3_assert_field (s_fx->check, "e:task:t1", "progress",
                            "{\"doneBytes\":17,\"totalBytes\":17}");
    json_decref (result);
    wk_job_fini (&job);
}


static void
test_a_build_changed_since_the_trigger_fails_clearly (void **state)
{
    (void) state;
    s_scene (12);
    const char *bad[] = {"{\"appName\":\"app1\",\"mode\":\"traces\","
                         "\"buildId\":1,\"dxfName\":\"%s\"}",
                         "{\"appName\":\"app1\",\"mode\":\"traces\","
                         "\"buildId\":2,\"dxfName\":\"dxf_0000000000000000\""
                         "}"};
    for (size_t i = 0; i < 2; i++) {
        s_task ("t1", 10, "0.05");
        char *params = edge_sprintf (bad[i], s_dxf[1]);
        wk_job_t job;
        assert_int_equal (
            wk_testmkraw_run ("t1", 1, params, &s_no_cancel, &job),
            WK_JOB_FAILED);
        assert_non_null (strstr (job.message, "changed since the trigger"));
        assert_null (job.result);
        wk_job_fini (&job);
        free (params);
        wk_tests3_assert_field (s_fx->check, s_training, "processingTask",
                                NULL);
        wk_tests3_assert_field (s_fx->check, s_training, "lastTaskName", NULL);
    }
    //  a reservation of another task is left alone
    s_task ("t1", 10, "0.05");
    S_REDIS ("HSET %s processingTask t9", s_training);
    S_REDIS ("DEL %s", s_app_key);
    wk_job_t job;
    assert_int_equal (s_run ("t1", s_dxf[2], false, &job), WK_JOB_FAILED);
    assert_non_null (strstr (job.message, "no longer exists"));
    wk_job_fini (&job);
    wk_tests3_assert_field (s_fx->check, s_training, "processingTask", "t9");
    assert_int_equal (wk_testmkraw_entries ("dxf/acme/app1/0002"), 1);
}


static void
test_a_cancelled_run_stops_before_the_next_trace (void **state)
{
    (void) state;
    s_scene (12);
    s_task ("t1", 10, "0.05");
    wk_job_t job;
    assert_int_equal (s_run ("t1", s_dxf[2], true, &job), WK_JOB_CANCELLED);
    assert_null (job.result);
    assert_null (job.message);
    assert_null (job.next_type);
    wk_job_fini (&job);
    assert_int_equal (wk_testmkraw_entries ("dxf/acme/app1/0002"), 1);
    wk_tests3_assert_field (s_fx->check, "e:task:t1", "progress",
                            "{\"doneBytes\":0,\"totalBytes\":12}");
    //  the task runs again later: its reservation stays, no figures
    wk_tests3_assert_field (s_fx->check, s_training, "processingTask", "t1");
    wk_tests3_assert_field (s_fx->check, s_training, "lastTaskName", NULL);
    wk_tests3_assert_field (s_fx->check, s_app_key, "processing", "0");
    //  and the rerun completes
    json_t *result = s_run_ok ("t1", s_dxf[2], &job);
    assert_true (json_is_true (json_object_get (result, "buildChanged")));
    json_decref (result);
    wk_job_fini (&job);
}


static void
test_bad_params_fail_clearly (void **state)
{
    (void) state;
    s_scene (12);
    s_task ("t1", 10, "0.05");
    const char *bad[] = {
        "{\"mode\":\"traces\",\"buildId\":2,\"dxfName\":\"dxf_a\"}",
        "{\"appName\":\"a\",\"mode\":\"traces\",\"buildId\":2,"
        "\"dxfName\":\"dxf_a\"}",
        "{\"appName\":\"app1\",\"mode\":\"traces\",\"dxfName\":\"dxf_a\"}",
        "{\"appName\":\"app1\",\"mode\":\"traces\",\"buildId\":\"2\","
        "\"dxfName\":\"dxf_a\"}",
        "{\"appName\":\"app1\",\"mode\":\"traces\",\"buildId\":0,"
        "\"dxfName\":\"dxf_a\"}",
        "{\"appName\":\"app1\",\"mode\":\"traces\",\"buildId\":10000,"
        "\"dxfName\":\"dxf_a\"}",
        "{\"appName\":\"app1\",\"mode\":\"traces\",\"buildId\":2}",
        "{\"appName\":\"app1\",\"mode\":\"traces\",\"buildId\":2,"
        "\"dxfName\":\"../x\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wk_job_t job;
        assert_int_equal (
            wk_testmkraw_run ("t1", 1, bad[i], &s_no_cancel, &job),
            WK_JOB_FAILED);
        assert_non_null (strstr (job.message, "params."));
        assert_null (job.result);
        wk_job_fini (&job);
    }
    wk_tests3_assert_field (s_fx->check, s_app_key, "processing", "0");
    wk_tests3_assert_field (s_fx->check, s_training, "lastTaskName", NULL);
}


int
main (void)
{
    edge_log_init ("test");
    int rc = wk_testmkraw_start ("test_wk_mkraw_traces", S_SEGMENT_MAX);
    s_fx = wk_testmkraw_fixture ();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup (
            test_traces_favouring_another_order_make_a_new_image_and_a_deploy,
            wk_testmkraw_reset),
        cmocka_unit_test_setup (
            test_a_second_run_on_the_new_image_changes_nothing,
            wk_testmkraw_reset),
        cmocka_unit_test_setup (
            test_no_gain_above_the_threshold_keeps_the_image,
            wk_testmkraw_reset),
        cmocka_unit_test_setup (test_too_few_usable_traces_fail_clearly,
                                wk_testmkraw_reset),
        cmocka_unit_test_setup (test_bad_traces_are_skipped_and_counted,
                                wk_testmkraw_reset),
        cmocka_unit_test_setup (
            test_a_build_changed_since_the_trigger_fails_clearly,
            wk_testmkraw_reset),
        cmocka_unit_test_setup (
            test_a_cancelled_run_stops_before_the_next_trace,
            wk_testmkraw_reset),
        cmocka_unit_test_setup (test_bad_params_fail_clearly,
                                wk_testmkraw_reset),
    };
    if (rc == 0)
        rc = cmocka_run_group_tests (tests, NULL, NULL);
    wk_testmkraw_stop ();
    return rc;
}
