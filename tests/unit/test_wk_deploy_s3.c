/*  test_wk_deploy_s3 - the deploy task publishing to every origin against
    a real redis-server, a depot in a temporary directory, two fs origins
    and one S3 origin on a real s3rver (scripts/s3rver.sh; wk_testdeploy).
    Without npm the S3 origin is left out (said on stderr) and everything
    else still runs. s3rver checks only the access key id, so the broken
    S3 deployment has a wrong key id.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "edge_log.h"
#include "edge_redis.h"
#include "edge_store.h"
#include "edge_util.h"
#include "wk_deploy.h"
#include "wk_job.h"
#include "wk_testdeploy.h"
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static wk_tests3_t *s_t3; //  the fixture (wk_testdeploy)

//  Run a command on the test's connection; it must not fail.
#define S_REDIS(...) WK_TESTS3_REDIS (s_t3->check, __VA_ARGS__)


static void
test_deploy_publishes_every_key_to_every_origin_manifests_last (void **state)
{
    (void) state;
    wk_job_t job;
    assert_int_equal (wk_testdeploy_run (wk_testdeploy_params, false, &job),
                      WK_JOB_DONE);
    assert_null (job.error);
    assert_null (job.message);
    json_t *result = json_loads (job.result, 0, NULL);
    assert_non_null (result);
    assert_string_equal (
        json_string_value (json_object_get (result, "dxfName")), "img-a");
    const char *names[3];
    size_t count = wk_testdeploy_origins (names);
    json_t *deployments = json_object_get (result, "deployments");
    assert_int_equal (json_array_size (deployments), count);
    for (size_t i = 0; i < count; i++) {
        assert_string_equal (
            json_string_value (json_array_get (deployments, i)), names[i]);
        wk_testdeploy_assert_origin (names[i]);
        const char *prefix;
        edge_store_t *store = wk_tests3_origin (s_t3, names[i], &prefix);
        edge_store_destroy (&store);
        assert_int_equal (
            wk_testdeploy_assert_manifests_last (names[i], prefix),
            WK_TESTDEPLOY_KEYS);
        char *key = edge_sprintf ("e:{acme}:deployment:%s", names[i]);
        wk_tests3_assert_field (s_t3->check, key, "status", "ok");
        char *message = wk_tests3_hget (s_t3->check, key, "message");
        assert_non_null (strstr (message, "5 files written"));
        free (message);
        free (key);
    }
    assert_int_equal (wk_testdeploy_logged (), WK_TESTDEPLOY_KEYS * count);
    wk_tests3_assert_field (s_t3->check, "e:{acme}:app:app1", "locked", "0");
    wk_tests3_assert_field (s_t3->check, "e:{acme}:app:app1", "error", NULL);
    json_decref (result);
    wk_job_fini (&job);
}


static void
test_deploy_again_skips_what_is_there_and_overwrites_what_differs (void **state)
{
    (void) state;
    wk_testdeploy_run_done (wk_testdeploy_params);
    wk_testdeploy_log_clear ();
    //  A truncated segment on fsB is rewritten; nothing else is
    char *path = edge_sprintf ("%s/fsB/%s", s_t3->dir, wk_testdeploy_keys[1]);
    assert_int_equal (truncate (path, 10), 0);
    free (path);
    wk_testdeploy_run_done (wk_testdeploy_params);
    assert_int_equal (wk_testdeploy_logged (), 1);
    char *want = edge_sprintf ("fsB %s", wk_testdeploy_keys[1]);
    assert_string_equal (wk_testdeploy_log (0), want);
    free (want);
    const char *names[3];
    size_t count = wk_testdeploy_origins (names);
    for (size_t i = 0; i < count; i++)
        wk_testdeploy_assert_origin (names[i]);
    wk_tests3_assert_field (s_t3->check, "e:{acme}:deployment:fsA", "message",
                            "published img-a of build 0002: 0 files written, 5 "
                            "were already there");
}


static void
test_failed_deployments_fail_the_task_and_lock_the_app_until_fixed (
    void **state)
{
    (void) state;
    //  fsB under a regular file: no directory can be made there
    char *file = edge_sprintf ("%s/plainfile", s_t3->dir);
    FILE *f = fopen (file, "w");
    assert_non_null (f);
    fclose (f);
    S_REDIS ("HSET e:{acme}:deployment:fsB path %s/sub", file);
    S_REDIS ("HSET e:{acme}:deployment:s3C accessKeyId WRONGKEY");
    wk_job_t job;
    int64_t start = edge_mono_ms ();
    assert_int_equal (wk_testdeploy_run (wk_testdeploy_params, false, &job),
                      WK_JOB_FAILED);
    int64_t took = edge_mono_ms () - start;
    assert_null (job.result);
    assert_non_null (job.message);
    if (s_t3->has_s3) {
        wk_testdeploy_assert_error (&job, "[\"fsB\",\"s3C\"]", "[\"fsA\"]");
        assert_true (took >= 20 + 40); //  the S3 object was tried 3 times
        wk_tests3_assert_field (s_t3->check, "e:{acme}:deployment:s3C",
                                "status", "error");
        char *message =
            wk_tests3_hget (s_t3->check, "e:{acme}:deployment:s3C", "message");
        assert_non_null (strstr (message, "HTTP 403"));
        assert_null (strstr (message, "S3RVER")); //  no secret
        free (message);
    }
    else
        wk_testdeploy_assert_error (&job, "[\"fsB\"]", "[\"fsA\"]");
    wk_tests3_assert_field (s_t3->check, "e:{acme}:deployment:fsA", "status",
                            "ok");
    wk_tests3_assert_field (s_t3->check, "e:{acme}:deployment:fsB", "status",
                            "error");
    wk_tests3_assert_field (s_t3->check, "e:{acme}:app:app1", "locked", "1");
    wk_tests3_assert_field (s_t3->check, "e:{acme}:app:app1", "error",
                            job.error);
    wk_job_fini (&job);
    wk_testdeploy_assert_origin ("fsA");
    //  Fix the deployments, retry: succeeds, unlocks, same objects
    S_REDIS ("HSET e:{acme}:deployment:fsB path %s/fsB", s_t3->dir);
    S_REDIS ("HSET e:{acme}:deployment:s3C accessKeyId S3RVER");
    wk_testdeploy_log_clear ();
    assert_int_equal (wk_testdeploy_run (wk_testdeploy_params, false, &job),
                      WK_JOB_DONE);
    assert_null (job.error);
    wk_job_fini (&job);
    assert_int_equal (wk_testdeploy_assert_manifests_last ("fsA", "cdn/a/"), 0);
    assert_int_equal (wk_testdeploy_assert_manifests_last ("fsB", ""),
                      WK_TESTDEPLOY_KEYS);
    if (s_t3->has_s3)
        assert_int_equal (wk_testdeploy_assert_manifests_last ("s3C", "pre/"),
                          WK_TESTDEPLOY_KEYS);
    const char *names[3];
    size_t count = wk_testdeploy_origins (names);
    for (size_t i = 0; i < count; i++) {
        wk_testdeploy_assert_origin (names[i]);
        char *key = edge_sprintf ("e:{acme}:deployment:%s", names[i]);
        wk_tests3_assert_field (s_t3->check, key, "status", "ok");
        free (key);
    }
    wk_tests3_assert_field (s_t3->check, "e:{acme}:app:app1", "locked", "0");
    wk_tests3_assert_field (s_t3->check, "e:{acme}:app:app1", "error", NULL);
    unlink (file);
    free (file);
}


//  Overwrite the patch segment on fsB with other bytes of the same size.
static void
s_spoil_patch_segment (void)
{
    size_t size;
    char *data = wk_testdeploy_content (4, &size);
    memset (data, 'x', size);
    char *path = edge_sprintf ("%s/fsB/%s", s_t3->dir, wk_testdeploy_keys[4]);
    FILE *file = fopen (path, "wb");
    assert_non_null (file);
    assert_int_equal (fwrite (data, 1, size, file), size);
    fclose (file);
    free (path);
    free (data);
}


static void
test_reorder_overwrites_patches_and_retires_the_old_image (void **state)
{
    (void) state;
    wk_testdeploy_run_done (wk_testdeploy_params);
    json_t *builds = wk_testdeploy_app_json ("builds");
    char *created = edge_strdup (json_string_value (
        json_object_get (json_array_get (builds, 1), "created")));
    json_decref (builds);
    //  build mode skips a same-size object; reorder mode rewrites pat/
    s_spoil_patch_segment ();
    wk_testdeploy_log_clear ();
    wk_testdeploy_run_done (wk_testdeploy_params);
    assert_int_equal (wk_testdeploy_logged (), 0);
    const char *reorder = WK_TESTDEPLOY_PARAMS (
        "\"buildId\":2,\"dxfName\":\"%s\",\"mode\":\"reorder\","
        "\"previousDxfName\":\"%s\","
        "\"patches\":[{\"fromBuildId\":1,\"sizeBytes\":80}]");
    char *params = edge_sprintf (reorder, "img-a", "img-a");
    wk_testdeploy_run_done (params);
    free (params);
    const char *names[3];
    size_t count = wk_testdeploy_origins (names);
    assert_int_equal (wk_testdeploy_logged (),
                      2 * count); //  the patch's two objects
    for (size_t i = 0; i < wk_testdeploy_logged (); i++)
        assert_non_null (
            strstr (wk_testdeploy_log (i), "pat/acme/app1/0002/0001/"));
    for (size_t i = 0; i < count; i++)
        wk_testdeploy_assert_origin (names[i]);
    assert_int_equal (wk_testdeploy_zcard (),
                      0); //  same image: nothing retired
    //  A new image of the current build: the old one is retired
    params = edge_sprintf (reorder, "img-b", "img-a");
    wk_testdeploy_run_done (params);
    free (params);
    char *want =
        edge_sprintf ("[" WK_TESTDEPLOY_BUILD1
                      ",{\"buildId\":2,\"buildName\":\"b2\",\"dxfName\":"
                      "\"img-b\",\"sizeBytes\":5000,\"created\":\"%s\","
                      "\"formerDxfNames\":[\"img-a\"]}]",
                      created);
    wk_testdeploy_assert_app_json ("builds", want);
    wk_tests3_assert_field (s_t3->check, "e:{acme}:app:app1", "dxfName",
                            "img-b");
    //  a reorder keeps the build's patches as the build deploy recorded them
    wk_testdeploy_assert_app_json ("patches",
                                   "[{\"fromBuildId\":1,\"toBuildId\":2,"
                                   "\"sizeBytes\":77}]");
    int64_t score;
    char *prefixes = wk_testdeploy_gc_entry (&score);
    assert_string_equal (prefixes, "dxf/acme/app1/0002/img-a/\n");
    free (prefixes);
    //  A reorder made from an image that is no longer current is not
    //  taken: the app stays as it is and the stale image is collected
    params = edge_sprintf (reorder, "img-a", "img-a");
    wk_testdeploy_run_done (params);
    free (params);
    wk_tests3_assert_field (s_t3->check, "e:{acme}:app:app1", "dxfName",
                            "img-b");
    wk_testdeploy_assert_app_json ("builds", want);
    free (want);
    free (created);
}

int
main (void)
{
    edge_log_init ("test");
    int rc = wk_testdeploy_start (
        "test_wk_deploy_s3",
        "npm is not installed: the s3 origin is left out (fs origins only)");
    if (rc == 77)
        return 77;
    s_t3 = wk_testdeploy_fixture ();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup (
            test_deploy_publishes_every_key_to_every_origin_manifests_last,
            wk_testdeploy_reset),
        cmocka_unit_test_setup (
            test_deploy_again_skips_what_is_there_and_overwrites_what_differs,
            wk_testdeploy_reset),
        cmocka_unit_test_setup (
            test_failed_deployments_fail_the_task_and_lock_the_app_until_fixed,
            wk_testdeploy_reset),
        cmocka_unit_test_setup (
            test_reorder_overwrites_patches_and_retires_the_old_image,
            wk_testdeploy_reset),
    };
    if (rc == 0)
        rc = cmocka_run_group_tests (tests, wk_testdeploy_setup,
                                     wk_testdeploy_teardown);
    wk_testdeploy_stop ();
    return rc;
}
