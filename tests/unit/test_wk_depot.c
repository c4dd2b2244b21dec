/*  test_wk_depot - the worker on an S3 depot (s3rver): fetching objects
    into a task's local copy root, pushing a directory with its marker
    last, forgetting one marker first; then an mkraw build from a tar that
    exists only in the bucket (image and patch pushed to the bucket, the
    local copies removed) and its deploy to an fs origin, which rebuilds
    the image byte for byte from the bucket.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "edge_log.h"
#include "edge_util.h"
#include "wk_deploy.h"
#include "wk_depot.h"
#include "wk_image.h"
#include "wk_mkraw.h"
#include "wk_stage.h"
#include "wk_tests3.h"
#include "wk_testtar.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static wk_tests3_t s_fx;
static char s_url[96], s_data_dir[128];
static atomic_int s_no_cancel;
static wk_env_t s_env; //  the jobs' environment: the S3 depot

#define S_REDIS(...) WK_TESTS3_REDIS (s_fx.check, __VA_ARGS__)


static void
s_setup_depot (void)
{
    snprintf (s_url, sizeof s_url, "s3://%s/depot", WK_TESTS3_BUCKET);
    snprintf (s_data_dir, sizeof s_data_dir, "%s/data", s_fx.dir);
    edge_depot_cfg_t cfg = {s_url, s_fx.endpoint, "us-east-1", "S3RVER",
                            "S3RVER"};
    assert_int_equal (wk_env_init (&s_env, &cfg, s_data_dir, ""), 0);
}


static bool
s_exists (edge_store_t *store, const char *key)
{
    bool exists = false;
    assert_int_equal (edge_store_head (store, key, &exists, NULL), 0);
    return exists;
}


static bool
s_is_file (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0 && S_ISREG (st.st_mode);
}


static void
test_fetch_push_and_forget (void **state)
{
    (void) state;
    assert_true (wk_depot_is_s3 (&s_env));
    edge_store_t *store = wk_depot_store (&s_env);
    assert_non_null (store);
    char *root = wk_depot_local_root (&s_env, "task1");
    assert_non_null (strstr (root, "/data/depot/task1"));
    char why[300];
    assert_int_equal (wk_depot_fetch (store, root, "a/missing", why, sizeof why),
                      1);
    assert_int_equal (edge_store_put_mem (store, "a/b/one", "1", 1), 0);
    assert_int_equal (edge_store_put_mem (store, "a/b/two", "22", 2), 0);
    assert_int_equal (
        wk_depot_fetch_prefix (store, root, "a/b/", why, sizeof why), 0);
    char *one = edge_sprintf ("%s/a/b/one", root);
    char *two = edge_sprintf ("%s/a/b/two", root);
    assert_true (s_is_file (one) && s_is_file (two));

    //  a new directory, pushed with its marker last
    char *dir = edge_sprintf ("%s/x/y", root);
    assert_int_equal (wk_stage_mkdirs (dir), 0);
    const char *names[] = {"seg_00000.bin", "seg_00001.bin", "manifest.json"};
    for (size_t i = 0; i < 3; i++) {
        char *path = edge_sprintf ("%s/%s", dir, names[i]);
        FILE *f = fopen (path, "w");
        fputs (names[i], f);
        fclose (f);
        free (path);
    }
    assert_int_equal (
        wk_depot_push (store, root, "x/y", "nope.json", why, sizeof why), -1);
    assert_non_null (strstr (why, "no nope.json"));
    assert_int_equal (
        wk_depot_push (store, root, "x/y", "manifest.json", why, sizeof why),
        0);
    assert_true (s_exists (store, "x/y/manifest.json"));
    assert_true (s_exists (store, "x/y/seg_00001.bin"));
    wk_depot_forget (store, "x/y", "manifest.json");
    assert_false (s_exists (store, "x/y/manifest.json"));
    assert_false (s_exists (store, "x/y/seg_00000.bin"));

    wk_depot_release (&s_env, &root);
    assert_null (root);
    assert_false (s_is_file (one));
    free (one);
    free (two);
    free (dir);
    edge_store_destroy (&store);
}


//  Write a tar of size random bytes (seed) and put it into the bucket at
//  key.
static void
s_put_tar (edge_store_t *store, const char *key, uint64_t seed, uint64_t size)
{
    char *path = edge_sprintf ("%s/upload.tar", s_fx.dir);
    wk_testtar_t *tar = wk_testtar_new (path, NULL);
    wk_testtar_dir (tar, "game");
    wk_testtar_file (tar, "game/readme.txt", "hello depot\n", 12, 0644);
    wk_testtar_random (tar, "game/data.bin", size, seed);
    wk_testtar_destroy (&tar);
    assert_int_equal (edge_store_put_file (store, key, path), 0);
    unlink (path);
    free (path);
}


static json_t *
s_run_mkraw (const char *task, const char *group)
{
    S_REDIS ("HSET e:task:%s name %s type mkraw state running owner w1 "
             "attempts 1",
             task, task);
    char *params = edge_sprintf ("{\"appName\":\"app1\",\"buildName\":\"%s\","
                                 "\"tarKey\":\"builds/acme/app1/%s.tar\","
                                 "\"mode\":\"build\"}",
                                 group, group);
    wk_job_t job;
    wk_job_rc_t rc = wk_tests3_run (&s_fx, &s_env, "mkraw", task, 1, params,
                                    &s_no_cancel, &job);
    if (rc != WK_JOB_DONE)
        fail_msg ("mkraw: %s", job.error ? job.error : "?");
    json_t *result = json_loads (job.result, 0, NULL);
    wk_job_fini (&job);
    free (params);
    return result;
}


static void
test_mkraw_and_deploy_on_an_s3_depot (void **state)
{
    (void) state;
    edge_store_t *store = wk_depot_store (&s_env);
    s_env.segment_max = 1u << 20;
    S_REDIS ("HSET e:{acme}:app:app1 name app1 maxBuilds 5 processing 0");
    s_put_tar (store, "builds/acme/app1/g1.tar", 1, 3u << 20);
    json_t *r1 = s_run_mkraw ("t1", "g1");
    const char *dxf1 = json_string_value (json_object_get (r1, "dxfName"));
    char *manifest1 = edge_sprintf ("dxf/acme/app1/0001/%s/manifest.json", dxf1);
    assert_true (s_exists (store, manifest1));
    char *seg = edge_sprintf ("dxf/acme/app1/0001/%s/seg_00000.bin", dxf1);
    assert_true (s_exists (store, seg));
    //  the task's local copies are gone
    char *local = edge_sprintf ("%s/depot/t1", s_data_dir);
    struct stat st;
    assert_int_not_equal (stat (local, &st), 0);

    //  a second build patches from the first one, read from the bucket
    char *builds = edge_sprintf ("[{\"buildId\":1,\"dxfName\":\"%s\"}]", dxf1);
    S_REDIS ("HSET e:{acme}:app:app1 builds %s", builds);
    s_put_tar (store, "builds/acme/app1/g2.tar", 2, 3u << 20);
    json_t *r2 = s_run_mkraw ("t2", "g2");
    assert_int_equal (json_array_size (json_object_get (r2, "patches")), 1);
    assert_true (s_exists (store, "pat/acme/app1/0002/0001/manifest.json"));
    assert_true (s_exists (store, "pat/acme/app1/0002/0001/patch.json"));

    //  deploy build 2 to an fs origin: every object comes from the bucket
    char *origin = edge_sprintf ("%s/origin", s_fx.dir);
    S_REDIS ("HSET e:{acme}:deployment:cdn name cdn kind fs path %s", origin);
    S_REDIS ("ZADD e:{acme}:deployments 1 cdn");
    S_REDIS ("HSET e:{acme}:app:app1 deployments [\"cdn\"] locked 0");
    S_REDIS ("HSET e:task:t3 name t3 type deploy state running owner w1 "
             "attempts 1");
    const char *dxf2 = json_string_value (json_object_get (r2, "dxfName"));
    char *params = edge_sprintf (
        "{\"appName\":\"app1\",\"buildId\":2,\"buildName\":\"g2\","
        "\"dxfName\":\"%s\",\"sizeBytes\":1,\"patches\":[{\"fromBuildId\":1,"
        "\"sizeBytes\":1}],\"mode\":\"build\"}",
        dxf2);
    wk_job_t job;
    wk_job_rc_t rc = wk_tests3_run (&s_fx, &s_env, "deploy", "t3", 1, params,
                                    &s_no_cancel, &job);
    if (rc != WK_JOB_DONE)
        fail_msg ("deploy: %s", job.error ? job.error : "?");
    wk_job_fini (&job);
    char *published = edge_sprintf ("%s/dxf/acme/app1/0002/%s/manifest.json",
                                    origin, dxf2);
    assert_true (s_is_file (published));
    char *pat = edge_sprintf ("%s/pat/acme/app1/0002/0001/patch.json", origin);
    assert_true (s_is_file (pat));
    local = (free (local), edge_sprintf ("%s/depot/t3", s_data_dir));
    assert_int_not_equal (stat (local, &st), 0);

    s_env.segment_max = 0;
    free (pat);
    free (published);
    free (params);
    free (origin);
    free (builds);
    free (local);
    free (seg);
    free (manifest1);
    json_decref (r2);
    json_decref (r1);
    edge_store_destroy (&store);
}


static int
s_group_setup (void **state)
{
    (void) state;
    int rc = wk_tests3_start (&s_fx, "test_wk_depot", "test_wk_depot");
    if (rc == 0 && !s_fx.has_s3)
        rc = 77;
    if (rc == 0)
        s_setup_depot ();
    return rc;
}


static int
s_group_teardown (void **state)
{
    (void) state;
    wk_env_fini (&s_env);
    wk_tests3_stop (&s_fx);
    return 0;
}


int
main (void)
{
    edge_log_init ("test");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_fetch_push_and_forget),
        cmocka_unit_test (test_mkraw_and_deploy_on_an_s3_depot),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
