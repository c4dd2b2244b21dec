/*  test_wk_mkraw - the mkraw task (build mode) against a real redis-server
    and a file:// depot in a temporary directory, with real tars.  */
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
#include "wk_mkraw.h"
#include "wk_stage.h"
#include "wk_testmkraw.h"
#include "wk_testtar.h"
#include <dirent.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_SEGMENT_MAX (1u << 20)  //  small segments: several per image
#define S_BIG         (64u << 20) //  the tar of the cancellation test

static wk_tests3_t *s_fx; //  the fixture (wk_testmkraw)

static const char *const s_app_key = "e:{acme}:app:app1";


//  ---------------------------------------------------------------------
//  Helpers

#define S_REDIS WK_TESTMKRAW_REDIS


//  Write the tar of build group g into the depot at
//  builds/acme/app1/<g>.tar: a directory, a text file, a random file from
//  seed and a symlink. filter NULL or "gzip". Returns the tar's size.
static uint64_t
s_tar (const char *group, uint64_t seed, uint64_t size, const char *filter)
{
    char *dir = wk_testmkraw_path ("builds/acme/app1");
    assert_int_equal (wk_stage_mkdirs (dir), 0);
    char *path = edge_sprintf ("%s/%s.tar", dir, group);
    wk_testtar_t *tar = wk_testtar_new (path, filter);
    wk_testtar_dir (tar, "game");
    wk_testtar_file (tar, "game/readme.txt", "hello mkraw\n", 12, 0644);
    wk_testtar_random (tar, "game/data.bin", size, seed);
    wk_testtar_symlink (tar, "game/link", "data.bin");
    wk_testtar_destroy (&tar);
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    free (path);
    free (dir);
    return (uint64_t) st.st_size;
}


//  The app hash (maxBuilds, builds JSON or NULL) and a running task name.
static void
s_app (int max_builds, const char *builds)
{
    S_REDIS ("HSET %s name app1 maxBuilds %d processing 0", s_app_key,
             max_builds);
    if (builds)
        S_REDIS ("HSET %s builds %s", s_app_key, builds);
}


static void
s_task (const char *name, int attempt)
{
    S_REDIS ("HSET e:task:%s name %s type mkraw state running owner w1 "
             "attempts %d",
             name, name, attempt);
}


//  Params of build group g with task tar key builds/acme/app1/<g>.tar.
static char *
s_params (const char *group, const char *build_name)
{
    return edge_sprintf ("{\"appName\":\"app1\",\"buildName\":\"%s\","
                         "\"tarKey\":\"builds/acme/app1/%s.tar\","
                         "\"mode\":\"build\"}",
                         build_name, group);
}


//  The cancel flag of the jobs run in the foreground: never set.
//  The app's build id counter (kept apart from the app hash, so that a
//  deleted app's ids are never reused) holds want.
static void
s_assert_build_ids (const char *want)
{
    redisReply *reply =
        edge_redis_command (s_fx->check, "GET %s:buildids", s_app_key);
    assert_non_null (reply);
    assert_int_equal (reply->type, REDIS_REPLY_STRING);
    assert_string_equal (reply->str, want);
    freeReplyObject (reply);
    wk_tests3_assert_field (s_fx->check, s_app_key, "nextBuildId", NULL);
}


static atomic_int s_no_cancel;


//  Run task (attempt) on the tar g1 as build b1; the caller calls
//  wk_job_fini.
static wk_job_rc_t
s_run_g1 (const char *task, int attempt, wk_job_t *job)
{
    char *params = s_params ("g1", "b1");
    wk_job_rc_t rc =
        wk_testmkraw_run (task, attempt, params, &s_no_cancel, job);
    free (params);
    return rc;
}


//  The app (maxBuilds 5) and task t1, and t1's first run on the tar g1;
//  the caller calls wk_job_fini.
static wk_job_rc_t
s_first_run (wk_job_t *job)
{
    s_app (5, NULL);
    s_task ("t1", 1);
    return s_run_g1 ("t1", 1, job);
}


//  Run task on group g to success; returns its result (caller decrefs).
static json_t *
s_build_ok (const char *task, const char *group, const char *build_name)
{
    s_task (task, 1);
    char *params = s_params (group, build_name);
    wk_job_t job;
    wk_job_rc_t rc = wk_testmkraw_run (task, 1, params, &s_no_cancel, &job);
    if (rc != WK_JOB_DONE)
        fprintf (stderr, "mkraw failed: %s\n", job.message);
    assert_int_equal (rc, WK_JOB_DONE);
    json_t *result = json_loads (job.result, 0, NULL);
    assert_non_null (result);
    wk_job_fini (&job);
    free (params);
    return result;
}


//  The builds list entry of a result (JSON text, caller frees).
static char *
s_entry (const json_t *result)
{
    return edge_sprintf (
        "{\"buildId\":%lld,\"buildName\":\"%s\",\"dxfName\":\"%s\","
        "\"sizeBytes\":%lld}",
        (long long) json_integer_value (json_object_get (result, "buildId")),
        json_string_value (json_object_get (result, "buildName")),
        json_string_value (json_object_get (result, "dxfName")),
        (long long) json_integer_value (json_object_get (result, "sizeBytes")));
}


//  ---------------------------------------------------------------------
//  Tests

static void
test_a_build_stores_its_image_and_asks_for_deploy (void **state)
{
    (void) state;
    uint64_t tar_bytes = s_tar ("g1", 1, 3u << 20, NULL);
    wk_job_t job;
    assert_int_equal (s_first_run (&job), WK_JOB_DONE);
    json_t *result = json_loads (job.result, 0, NULL);
    assert_non_null (result);
    assert_int_equal (wk_testmkraw_int (result, "buildId"), 1);
    assert_string_equal (
        json_string_value (json_object_get (result, "buildName")), "b1");
    const char *dxf = json_string_value (json_object_get (result, "dxfName"));
    assert_non_null (dxf);
    assert_int_equal (strlen (dxf), 20);
    assert_int_equal (wk_testmkraw_int (result, "rawBytes"), (3u << 20) + 12);
    assert_true (wk_testmkraw_int (result, "chunks") > 10);
    assert_int_equal (json_array_size (json_object_get (result, "patches")), 0);
    assert_true (json_is_true (json_object_get (result, "buildChanged")));
    //  The image, at the documented key, with nothing staged left over
    char *dir = edge_sprintf ("dxf/acme/app1/0001/%s", dxf);
    char *manifest = edge_sprintf ("%s/%s/manifest.json", s_fx->dir, dir);
    char name[WK_IMAGE_NAME_SIZE];
    assert_int_equal (wk_image_dxf_name (manifest, name), 0);
    assert_string_equal (name, dxf);
    assert_true (wk_testmkraw_exists ("dxf/acme/app1/0001/"));
    char *listing = wk_testmkraw_listing ("dxf/acme/app1/0001");
    char *want = edge_sprintf ("%s ", dxf);
    assert_string_equal (listing, want);
    assert_int_equal (wk_testmkraw_int (result, "sizeBytes"),
                      wk_testmkraw_dir_bytes (dir));
    //  The next task
    assert_string_equal (job.next_type, "deploy");
    assert_string_equal (job.next_dxf, dxf);
    json_t *next = json_loads (job.next_params, 0, NULL);
    assert_non_null (next);
    assert_string_equal (json_string_value (json_object_get (next, "appName")),
                         "app1");
    assert_int_equal (wk_testmkraw_int (next, "buildId"), 1);
    assert_string_equal (
        json_string_value (json_object_get (next, "buildName")), "b1");
    assert_string_equal (json_string_value (json_object_get (next, "dxfName")),
                         dxf);
    assert_int_equal (wk_testmkraw_int (next, "sizeBytes"),
                      wk_testmkraw_int (result, "sizeBytes"));
    assert_int_equal (json_array_size (json_object_get (next, "patches")), 0);
    assert_string_equal (json_string_value (json_object_get (next, "mode")),
                         "build");
    //  Redis: the id, the flag, the progress
    wk_tests3_assert_field (s_fx->check, "e:task:t1", "buildId", "1");
    s_assert_build_ids ("1");
    wk_tests3_assert_field (s_fx->check, s_app_key, "processing", "0");
    char *progress = edge_sprintf ("{\"doneBytes\":%llu,\"totalBytes\":%llu}",
                                   (unsigned long long) tar_bytes,
                                   (unsigned long long) tar_bytes);
    wk_tests3_assert_field (s_fx->check, "e:task:t1", "progress", progress);
    free (progress);
    json_decref (next);
    free (want);
    free (listing);
    free (manifest);
    free (dir);
    json_decref (result);
    wk_job_fini (&job);
}


static void
test_a_second_build_gets_id_2_and_a_patch_from_the_kept_build (void **state)
{
    (void) state;
    s_tar ("g1", 1, 2u << 20, NULL);
    s_tar ("g2", 2, 2u << 20, NULL);
    s_app (5, NULL);
    json_t *first = s_build_ok ("t1", "g1", "b1");
    char *entry = s_entry (first);
    char *builds = edge_sprintf ("[%s]", entry);
    S_REDIS ("HSET %s builds %s", s_app_key, builds);
    json_t *second = s_build_ok ("t2", "g2", "b2");
    assert_int_equal (wk_testmkraw_int (second, "buildId"), 2);
    json_t *patches = json_object_get (second, "patches");
    assert_int_equal (json_array_size (patches), 1);
    json_t *patch = json_array_get (patches, 0);
    assert_int_equal (wk_testmkraw_int (patch, "fromBuildId"), 1);
    assert_int_equal (wk_testmkraw_int (patch, "sizeBytes"),
                      wk_testmkraw_dir_bytes ("pat/acme/app1/0002/0001"));
    //  B's manifest, byte for byte, and a patch.json from image 1 to 2
    const char *dxf2 = json_string_value (json_object_get (second, "dxfName"));
    char *manifest =
        edge_sprintf ("%s/pat/acme/app1/0002/0001/manifest.json", s_fx->dir);
    char name[WK_IMAGE_NAME_SIZE];
    assert_int_equal (wk_image_dxf_name (manifest, name), 0);
    assert_string_equal (name, dxf2);
    char *patch_json =
        edge_sprintf ("%s/pat/acme/app1/0002/0001/patch.json", s_fx->dir);
    json_t *doc = json_load_file (patch_json, 0, NULL);
    assert_non_null (doc);
    assert_string_equal (
        json_string_value (json_object_get (doc, "fromDxf")),
        json_string_value (json_object_get (first, "dxfName")));
    char *listing = wk_testmkraw_listing ("pat/acme/app1/0002");
    assert_string_equal (listing, "0001 ");
    s_assert_build_ids ("2");
    free (listing);
    json_decref (doc);
    free (patch_json);
    free (manifest);
    json_decref (second);
    free (builds);
    free (entry);
    json_decref (first);
}


static void
test_only_the_newest_max_builds_minus_one_get_patches (void **state)
{
    (void) state;
    s_app (3, NULL);
    char *entries[3];
    for (int i = 0; i < 3; i++) {
        char group[8], task[8], build[8];
        snprintf (group, sizeof group, "g%d", i + 1);
        snprintf (task, sizeof task, "t%d", i + 1);
        snprintf (build, sizeof build, "b%d", i + 1);
        s_tar (group, (uint64_t) i + 1, 300000, NULL);
        json_t *result = s_build_ok (task, group, build);
        entries[i] = s_entry (result);
        json_decref (result);
    }
    //  Listed oldest last, to check the order is by build id
    char *builds =
        edge_sprintf ("[%s,%s,%s,{\"buildId\":7,\"dxfName\":\"../x\"}"
                      "]",
                      entries[1], entries[2], entries[0]);
    S_REDIS ("HSET %s builds %s", s_app_key, builds);
    s_tar ("g4", 4, 300000, NULL);
    json_t *result = s_build_ok ("t4", "g4", "b4");
    assert_int_equal (wk_testmkraw_int (result, "buildId"), 4);
    json_t *patches = json_object_get (result, "patches");
    assert_int_equal (json_array_size (patches), 2);
    assert_int_equal (
        wk_testmkraw_int (json_array_get (patches, 0), "fromBuildId"), 3);
    assert_int_equal (
        wk_testmkraw_int (json_array_get (patches, 1), "fromBuildId"), 2);
    assert_true (wk_testmkraw_exists ("pat/acme/app1/0004/0003/patch.json"));
    assert_true (wk_testmkraw_exists ("pat/acme/app1/0004/0002/patch.json"));
    assert_false (wk_testmkraw_exists ("pat/acme/app1/0004/0001"));
    //  A kept build whose image is gone from the depot is skipped
    S_REDIS (
        "HSET %s builds [{\"buildId\":3,\"dxfName\":\"dxf_0000000000000000\"}]",
        s_app_key);
    s_tar ("g5", 5, 300000, NULL);
    json_decref (result);
    result = s_build_ok ("t5", "g5", "b5");
    assert_int_equal (json_array_size (json_object_get (result, "patches")), 0);
    json_decref (result);
    free (builds);
    for (int i = 0; i < 3; i++)
        free (entries[i]);
}


static void
test_a_second_attempt_reuses_the_id_and_replaces_leftovers (void **state)
{
    (void) state;
    s_tar ("g1", 1, 1u << 20, NULL);
    s_app (5, NULL);
    json_t *first = s_build_ok ("t1", "g1", "b1");
    const char *dxf = json_string_value (json_object_get (first, "dxfName"));
    //  What a worker killed half-way through a later attempt leaves
    char *junk = wk_testmkraw_path ("dxf/acme/app1/0001/.tmp-t1/seg_00099.bin");
    char *junk_dir = wk_testmkraw_path ("dxf/acme/app1/0001/.tmp-t1");
    assert_int_equal (wk_stage_mkdirs (junk_dir), 0);
    FILE *file = fopen (junk, "w");
    assert_non_null (file);
    fputs ("junk", file);
    fclose (file);
    wk_job_t job;
    S_REDIS ("HSET e:task:t1 attempts 2");
    assert_int_equal (s_run_g1 ("t1", 2, &job), WK_JOB_DONE);
    json_t *again = json_loads (job.result, 0, NULL);
    assert_int_equal (wk_testmkraw_int (again, "buildId"), 1);
    assert_string_equal (json_string_value (json_object_get (again, "dxfName")),
                         dxf);
    assert_int_equal (wk_testmkraw_int (again, "sizeBytes"),
                      wk_testmkraw_int (first, "sizeBytes"));
    s_assert_build_ids ("1");
    char *listing = wk_testmkraw_listing ("dxf/acme/app1/0001");
    char *want = edge_sprintf ("%s ", dxf);
    assert_string_equal (listing, want);
    //  Another task of the same tar: a new id, the same image name
    json_t *other = s_build_ok ("t2", "g1", "b1bis");
    assert_int_equal (wk_testmkraw_int (other, "buildId"), 2);
    assert_string_equal (json_string_value (json_object_get (other, "dxfName")),
                         dxf);
    json_decref (other);
    free (want);
    free (listing);
    json_decref (again);
    wk_job_fini (&job);
    free (junk_dir);
    free (junk);
    json_decref (first);
}


//  Run t1 on the tar g1 expecting a fileReadFailed with typeDetected.
static void
s_assert_tar_failure (const char *detected, const char *message_part)
{
    wk_job_t job;
    assert_int_equal (s_first_run (&job), WK_JOB_FAILED);
    assert_non_null (job.message);
    assert_non_null (strstr (job.message, message_part));
    assert_non_null (job.exception);
    json_t *exception = json_loads (job.exception, 0, NULL);
    json_t *failed = json_object_get (exception, "fileReadFailed");
    assert_non_null (failed);
    assert_string_equal (
        json_string_value (json_object_get (failed, "filename")),
        "builds/acme/app1/g1.tar");
    assert_string_equal (
        json_string_value (json_object_get (failed, "typeExpected")), "tar");
    assert_string_equal (
        json_string_value (json_object_get (failed, "typeDetected")), detected);
    assert_null (job.result);
    assert_null (job.next_type);
    char *listing = wk_testmkraw_listing ("dxf/acme/app1/0001");
    assert_string_equal (listing, "");
    wk_tests3_assert_field (s_fx->check, s_app_key, "processing", "0");
    free (listing);
    json_decref (exception);
    wk_job_fini (&job);
}


static void
test_a_gzip_tar_fails_with_file_read_failed (void **state)
{
    (void) state;
    s_tar ("g1", 1, 200000, "gzip");
    s_assert_tar_failure ("gzip", "compressed");
}


static void
test_a_truncated_tar_fails_with_file_read_failed (void **state)
{
    (void) state;
    s_tar ("g1", 1, 2u << 20, NULL);
    char *path = wk_testmkraw_path ("builds/acme/app1/g1.tar");
    assert_int_equal (truncate (path, 1u << 20), 0);
    s_assert_tar_failure ("tar", "runcated"); //  "Truncated tar archive"
    free (path);
}


static void
test_a_missing_tar_or_app_fails_clearly (void **state)
{
    (void) state;
    wk_job_t job;
    assert_int_equal (s_first_run (&job), WK_JOB_FAILED);
    assert_non_null (strstr (job.message, "not in the depot"));
    assert_null (job.exception);
    wk_tests3_assert_field (s_fx->check, "e:task:t1", "buildId",
                            NULL); //  no id taken
    wk_job_fini (&job);
    //  The app was deleted
    s_tar ("g1", 1, 1000, NULL);
    S_REDIS ("DEL %s", s_app_key);
    assert_int_equal (s_run_g1 ("t1", 1, &job), WK_JOB_FAILED);
    assert_non_null (strstr (job.message, "app app1 no longer exists"));
    assert_int_equal (wk_testmkraw_exists ("dxf"), false);
    S_REDIS ("EXISTS %s", s_app_key);
    wk_tests3_assert_field (s_fx->check, s_app_key, "processing",
                            NULL); //  not re-created
    wk_job_fini (&job);
}


static void
test_bad_params_and_traces_mode_fail_clearly (void **state)
{
    (void) state;
    s_tar ("g1", 1, 1000, NULL);
    s_app (5, NULL);
    s_task ("t1", 1);
    const char *bad[] = {
        "{\"buildName\":\"b1\",\"tarKey\":\"builds/acme/app1/g1.tar\"}",
        "{\"appName\":\"a\",\"buildName\":\"b1\",\"tarKey\":\"builds/acme/a/"
        "g1.tar\"}",
        "{\"appName\":\"app1\",\"tarKey\":\"builds/acme/app1/g1.tar\"}",
        "{\"appName\":\"app1\",\"buildName\":\"b1\",\"tarKey\":\"builds/other/"
        "app1/g1.tar\"}",
        "{\"appName\":\"app1\",\"buildName\":\"b1\",\"tarKey\":\"builds/acme/"
        "app1/../app1/g1.tar\"}",
        "{\"appName\":\"app1\",\"buildName\":\"b1\",\"tarKey\":7}",
        "{\"appName\":\"app1\",\"buildName\":\"b1\",\"tarKey\":\"builds/acme/"
        "app1/g1.tar\",\"mode\":\"fast\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wk_job_t job;
        assert_int_equal (
            wk_testmkraw_run ("t1", 1, bad[i], &s_no_cancel, &job),
            WK_JOB_FAILED);
        assert_non_null (job.message);
        assert_null (job.result);
        wk_job_fini (&job);
    }
    wk_tests3_assert_field (s_fx->check, "e:task:t1", "buildId", NULL);
    wk_job_t job;
    assert_int_equal (
        wk_testmkraw_run ("t1", 1,
                          "{\"appName\":\"app1\",\"mode\":\"traces\","
                          "\"buildId\":1,\"dxfName\":\"dxf_x\"}",
                          &s_no_cancel, &job),
        WK_JOB_FAILED);
    //  Traces mode runs (wk_mkraw_traces): this app has no current build
    assert_non_null (strstr (job.message, "changed since the trigger"));
    wk_job_fini (&job);
}


//  A job run on its own thread.
typedef struct {
    const char *params;
    atomic_int cancel;
    wk_job_t job;
    wk_job_rc_t rc;
    int64_t end_ms;
} s_bg_t;


static void *
s_bg_run (void *arg)
{
    s_bg_t *bg = arg;
    bg->rc = wk_testmkraw_run ("t1", 1, bg->params, &bg->cancel, &bg->job);
    bg->end_ms = edge_mono_ms ();
    return NULL;
}


//  True once the image build has written its first segment.
static bool
s_is_writing (void *arg)
{
    (void) arg;
    return wk_testmkraw_exists ("dxf/acme/app1/0001/.tmp-t1/seg_00000.bin");
}


static void
test_cancellation_stops_quickly_and_a_rerun_gives_the_same_image (void **state)
{
    (void) state;
    s_tar ("g1", 1, S_BIG, NULL);
    s_app (5, NULL);
    s_task ("t1", 1);
    char *params = s_params ("g1", "b1");
    s_bg_t bg = {.params = params};
    pthread_t thread;
    assert_int_equal (pthread_create (&thread, NULL, s_bg_run, &bg), 0);
    bool is_writing = edge_testutil_poll (s_is_writing, NULL, 20000);
    int64_t cancel_ms = edge_mono_ms ();
    atomic_store (&bg.cancel, 1);
    pthread_join (thread, NULL);
    assert_true (is_writing);
    assert_int_equal (bg.rc, WK_JOB_CANCELLED);
    assert_true (bg.end_ms - cancel_ms < 500);
    assert_null (bg.job.result);
    wk_job_fini (&bg.job);
    char *listing = wk_testmkraw_listing ("dxf/acme/app1/0001");
    assert_string_equal (listing, ""); //  the staging directory is gone
    wk_tests3_assert_field (s_fx->check, s_app_key, "processing", "0");
    //  The rerun gives the image a direct build of the tar gives
    char *tar = wk_testmkraw_path ("builds/acme/app1/g1.tar");
    char *scratch = wk_testtar_tmpdir ();
    wk_image_opts_t opts = {.segment_max = S_SEGMENT_MAX};
    wk_image_info_t info;
    wk_image_error_t error;
    assert_int_equal (wk_image_build (tar, scratch, &opts, &info, &error), 0);
    wk_job_t job;
    S_REDIS ("HSET e:task:t1 attempts 2");
    assert_int_equal (s_run_g1 ("t1", 2, &job), WK_JOB_DONE);
    json_t *result = json_loads (job.result, 0, NULL);
    assert_int_equal (wk_testmkraw_int (result, "buildId"), 1);
    assert_string_equal (
        json_string_value (json_object_get (result, "dxfName")), info.dxf_name);
    json_decref (result);
    wk_job_fini (&job);
    wk_testtar_rmtree (scratch);
    free (scratch);
    free (tar);
    free (listing);
    free (params);
}


static void
test_without_setup_the_job_fails_clearly (void **state)
{
    (void) state;
    assert_true (wk_task_find ("mkraw") == &wk_mkraw_task);
    wk_testmkraw_set_depot (NULL);
    wk_job_t job;
    assert_int_equal (s_run_g1 ("t1", 1, &job), WK_JOB_FAILED);
    assert_non_null (strstr (job.message, "no depot settings"));
    wk_job_fini (&job);
    wk_testmkraw_set_depot ("ftp://bucket/x"); //  neither file:// nor S3
    assert_int_equal (s_run_g1 ("t1", 1, &job), WK_JOB_FAILED);
    assert_non_null (strstr (job.message, "file://"));
    wk_job_fini (&job);
    wk_testmkraw_setup ();
}


int
main (void)
{
    edge_log_init ("test");
    int rc = wk_testmkraw_start ("test_wk_mkraw", S_SEGMENT_MAX);
    s_fx = wk_testmkraw_fixture ();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup (
            test_a_build_stores_its_image_and_asks_for_deploy,
            wk_testmkraw_reset),
        cmocka_unit_test_setup (
            test_a_second_build_gets_id_2_and_a_patch_from_the_kept_build,
            wk_testmkraw_reset),
        cmocka_unit_test_setup (
            test_only_the_newest_max_builds_minus_one_get_patches,
            wk_testmkraw_reset),
        cmocka_unit_test_setup (
            test_a_second_attempt_reuses_the_id_and_replaces_leftovers,
            wk_testmkraw_reset),
        cmocka_unit_test_setup (test_a_gzip_tar_fails_with_file_read_failed,
                                wk_testmkraw_reset),
        cmocka_unit_test_setup (
            test_a_truncated_tar_fails_with_file_read_failed,
            wk_testmkraw_reset),
        cmocka_unit_test_setup (test_a_missing_tar_or_app_fails_clearly,
                                wk_testmkraw_reset),
        cmocka_unit_test_setup (test_bad_params_and_traces_mode_fail_clearly,
                                wk_testmkraw_reset),
        cmocka_unit_test_setup (
            test_cancellation_stops_quickly_and_a_rerun_gives_the_same_image,
            wk_testmkraw_reset),
        cmocka_unit_test_setup (test_without_setup_the_job_fails_clearly,
                                wk_testmkraw_reset),
    };
    if (rc == 0)
        rc = cmocka_run_group_tests (tests, NULL, NULL);
    wk_testmkraw_stop ();
    return rc;
}
