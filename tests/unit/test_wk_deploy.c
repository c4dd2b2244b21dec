/*  test_wk_deploy - the deploy task's records against a real
    redis-server, a depot in a temporary directory and two fs origins: the
    app's builds, patches and rotation, the gc schedule, failures that
    publish nothing, cancellation and settings (wk_testdeploy). Publishing
    to an S3 origin is in test_wk_deploy_s3.  */
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


#define S_RESULT                                                               \
    "{\"dxfName\":\"img-a\",\"buildId\":2,\"buildName\":\"b2\","               \
    "\"buildChanged\":true,\"deployments\":[\"fsB\",\"fsA\"]}"

static void
test_an_app_without_deployments_publishes_to_all_of_the_org (void **state)
{
    (void) state;
    S_REDIS ("HSET e:{acme}:app:app1 deployments []");
    S_REDIS ("ZREM e:{acme}:deployments s3C");
    S_REDIS ("ZADD e:{acme}:deployments 0 fsB");
    wk_job_t job;
    assert_int_equal (wk_testdeploy_run (wk_testdeploy_params, false, &job),
                      WK_JOB_DONE);
    assert_string_equal (job.result, S_RESULT);
    wk_job_fini (&job);
    S_REDIS ("HDEL e:{acme}:app:app1 deployments");
    assert_int_equal (wk_testdeploy_run (wk_testdeploy_params, false, &job),
                      WK_JOB_DONE);
    assert_string_equal (job.result, S_RESULT);
    wk_job_fini (&job);
}


static void
test_a_missing_deployment_is_a_failed_deployment (void **state)
{
    (void) state;
    S_REDIS ("HSET e:{acme}:app:app1 deployments [\"fsA\",\"gone\"]");
    wk_job_t job;
    assert_int_equal (wk_testdeploy_run (wk_testdeploy_params, false, &job),
                      WK_JOB_FAILED);
    wk_testdeploy_assert_error (&job, "[\"gone\"]", "[\"fsA\"]");
    wk_job_fini (&job);
    //  Its status is not recorded into a hash that does not exist
    redisReply *reply =
        edge_redis_command (s_t3->check, "EXISTS e:{acme}:deployment:gone");
    assert_non_null (reply);
    assert_int_equal (reply->integer, 0);
    freeReplyObject (reply);
}


static void
test_missing_image_or_bad_params_fail_without_locking (void **state)
{
    (void) state;
    const char *bad[] = {
        WK_TESTDEPLOY_PARAMS ("\"buildId\":2,\"dxfName\":\"nope\""),
        WK_TESTDEPLOY_PARAMS (
            "\"buildId\":2,\"dxfName\":\"img-a\","
            "\"patches\":[{\"fromBuildId\":7,\"sizeBytes\":1}]"),
        WK_TESTDEPLOY_PARAMS (
            "\"buildId\":2,\"dxfName\":\"img-a\","
            "\"patches\":[{\"fromBuildId\":2,\"sizeBytes\":1}]"),
        WK_TESTDEPLOY_PARAMS ("\"buildId\":2,\"dxfName\":\"img-a\","
                              "\"patches\":[{\"fromBuildId\":1}]"),
        WK_TESTDEPLOY_PARAMS ("\"dxfName\":\"img-a\""),
        WK_TESTDEPLOY_PARAMS ("\"buildId\":10000,\"dxfName\":\"img-a\""),
        WK_TESTDEPLOY_PARAMS ("\"buildId\":2,\"dxfName\":\"../x\""),
        WK_TESTDEPLOY_PARAMS (
            "\"buildId\":2,\"dxfName\":\"img-a\",\"patches\":{}"),
        WK_TESTDEPLOY_PARAMS (
            "\"buildId\":2,\"dxfName\":\"img-a\",\"mode\":\"fast\""),
        "{\"buildId\":2,\"dxfName\":\"img-a\",\"buildName\":\"b2\","
        "\"sizeBytes\":1}",
        "{\"appName\":\"app1\",\"buildId\":2,\"dxfName\":\"img-a\","
        "\"sizeBytes\":1}",
        "{\"appName\":\"app1\",\"buildId\":2,\"dxfName\":\"img-a\","
        "\"buildName\":\"b2\",\"sizeBytes\":-1}",
        "{\"appName\":\"app1\",\"buildId\":2,\"dxfName\":\"img-a\","
        "\"buildName\":\"b 2\",\"sizeBytes\":1}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wk_job_t job;
        assert_int_equal (wk_testdeploy_run (bad[i], false, &job),
                          WK_JOB_FAILED);
        assert_non_null (job.message);
        assert_null (job.error);
        assert_null (job.result);
        wk_job_fini (&job);
    }
    assert_int_equal (wk_testdeploy_logged (), 0);
    wk_tests3_assert_field (s_t3->check, "e:{acme}:app:app1", "locked", "0");
    wk_tests3_assert_field (s_t3->check, "e:{acme}:deployment:fsA", "status",
                            "new");
    //  A deleted app publishes nothing
    S_REDIS ("DEL e:{acme}:app:app1");
    wk_job_t job;
    assert_int_equal (wk_testdeploy_run (wk_testdeploy_params, false, &job),
                      WK_JOB_FAILED);
    assert_non_null (strstr (job.message, "no such app"));
    assert_null (job.error);
    wk_job_fini (&job);
    assert_int_equal (wk_testdeploy_logged (), 0);
}


static void
test_success_records_the_build_in_the_app_exactly (void **state)
{
    (void) state;
    wk_job_t job;
    assert_int_equal (wk_testdeploy_run (wk_testdeploy_params, false, &job),
                      WK_JOB_DONE);
    json_t *result = json_loads (job.result, 0, NULL);
    assert_true (json_is_true (json_object_get (result, "buildChanged")));
    assert_int_equal (json_integer_value (json_object_get (result, "buildId")),
                      2);
    json_decref (result);
    wk_job_fini (&job);
    json_t *builds = wk_testdeploy_app_json ("builds");
    const char *created = json_string_value (
        json_object_get (json_array_get (builds, 1), "created"));
    assert_non_null (created);
    assert_int_equal (strlen (created), 24); //  2026-11-27T10:00:00.000Z
    char *want =
        edge_sprintf ("[" WK_TESTDEPLOY_BUILD1
                      ",{\"buildId\":2,\"buildName\":\"b2\",\"dxfName\":"
                      "\"img-a\",\"sizeBytes\":5000,\"created\":\"%s\"}]",
                      created);
    json_decref (builds);
    for (int round = 0; round < 2; round++) {
        //  The same deploy again (a retried task) changes nothing
        if (round == 1) {
            wk_testdeploy_run_done (wk_testdeploy_params);
        }
        wk_testdeploy_assert_app_json ("builds", want);
        wk_tests3_assert_field (s_t3->check, "e:{acme}:app:app1", "iCurBuild",
                                "2");
        wk_tests3_assert_field (s_t3->check, "e:{acme}:app:app1", "dxfName",
                                "img-a");
        wk_testdeploy_assert_app_json ("patches",
                                       "[{\"fromBuildId\":1,\"toBuildId\":2,"
                                       "\"sizeBytes\":77}]");
        wk_tests3_assert_field (s_t3->check, "e:{acme}:app:app1", "sizeBytes",
                                "5100");
        wk_tests3_assert_field (s_t3->check, "e:{acme}:app:app1", "locked",
                                "0");
        wk_tests3_assert_field (s_t3->check, "e:{acme}:app:app1:imports", "b2",
                                NULL);
        wk_tests3_assert_field (s_t3->check, "e:{acme}:app:app1:imports", "b9",
                                "task-dltar-9");
        assert_int_equal (wk_testdeploy_zcard (),
                          0); //  nothing stopped being current
    }
    free (want);
}


static void
test_rotation_keeps_max_builds_and_schedules_what_stops_being_current (
    void **state)
{
    (void) state;
    S_REDIS ("HSET e:{acme}:app:app1 maxBuilds 2");
    wk_job_t job;
    wk_testdeploy_run_done (wk_testdeploy_params);
    assert_int_equal (wk_testdeploy_zcard (), 0);
    int64_t before = edge_now_ms ();
    assert_int_equal (
        wk_testdeploy_run (
            "{\"appName\":\"app1\",\"buildName\":\"b3\",\"sizeBytes\":"
            "7000,\"buildId\":3,\"dxfName\":\"img-3\",\"patches\":"
            "[{\"fromBuildId\":2,\"sizeBytes\":55}]}",
            false, &job),
        WK_JOB_DONE);
    wk_job_fini (&job);
    int64_t after = edge_now_ms ();
    json_t *builds = wk_testdeploy_app_json ("builds");
    assert_int_equal (json_array_size (builds), 2);
    assert_int_equal (json_integer_value (json_object_get (
                          json_array_get (builds, 0), "buildId")),
                      2);
    assert_int_equal (json_integer_value (json_object_get (
                          json_array_get (builds, 1), "buildId")),
                      3);
    json_decref (builds);
    wk_tests3_assert_field (s_t3->check, "e:{acme}:app:app1", "iCurBuild", "3");
    wk_tests3_assert_field (s_t3->check, "e:{acme}:app:app1", "dxfName",
                            "img-3");
    wk_testdeploy_assert_app_json ("patches",
                                   "[{\"fromBuildId\":2,\"toBuildId\":3,"
                                   "\"sizeBytes\":55}]");
    wk_tests3_assert_field (s_t3->check, "e:{acme}:app:app1", "sizeBytes",
                            "12000");
    int64_t score;
    char *prefixes = wk_testdeploy_gc_entry (&score);
    assert_string_equal (prefixes, "dxf/acme/app1/0001/\n"
                                   "pat/acme/app1/0001/\n"
                                   "pat/acme/app1/0002/0001/\n");
    assert_true (score >= before + WK_TESTDEPLOY_GC_DELAY_MS);
    assert_true (score <= after + WK_TESTDEPLOY_GC_DELAY_MS);
    free (prefixes);
    //  Build 3 was published key for key
    const char *prefix;
    edge_store_t *store = wk_tests3_origin (s_t3, "fsA", &prefix);
    for (size_t i = 0; i < 4; i++) {
        char *key = edge_sprintf ("%s%s", prefix, wk_testdeploy_more[i]);
        bool exists = false;
        assert_int_equal (edge_store_head (store, key, &exists, NULL), 0);
        assert_true (exists);
        free (key);
    }
    edge_store_destroy (&store);
}


//  Hook that deletes the app at the first write.
static void
s_delete_app_hook (const char *deployment, const char *key, void *arg)
{
    (void) deployment;
    (void) key;
    int *calls = arg;
    if ((*calls)++ == 0)
        S_REDIS ("DEL e:{acme}:app:app1");
}


static void
test_a_deploy_ending_after_a_newer_builds_does_not_make_it_current (
    void **state)
{
    (void) state;
    //  Build 3 finishes first (imports of one app may run side by side)
    wk_testdeploy_run_done (
        "{\"appName\":\"app1\",\"buildName\":\"b3\",\"sizeBytes\":"
        "7000,\"buildId\":3,\"dxfName\":\"img-3\",\"patches\":[]}");
    assert_int_equal (wk_testdeploy_zcard (), 0);
    //  then build 2, with its patch from build 1
    wk_testdeploy_run_done (wk_testdeploy_params);
    wk_tests3_assert_field (s_t3->check, "e:{acme}:app:app1", "iCurBuild", "3");
    wk_tests3_assert_field (s_t3->check, "e:{acme}:app:app1", "dxfName",
                            "img-3");
    json_t *builds = wk_testdeploy_app_json ("builds");
    assert_int_equal (json_array_size (builds), 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal (json_integer_value (json_object_get (
                              json_array_get (builds, i), "buildId")),
                          (json_int_t) i + 1);
    json_decref (builds);
    //  build 3's (empty) patch list stays; the patch to build 2 is not
    //  current and is scheduled for deletion
    wk_testdeploy_assert_app_json ("patches", "[]");
    int64_t score;
    char *prefixes = wk_testdeploy_gc_entry (&score);
    assert_string_equal (prefixes, "pat/acme/app1/0002/0001/\n");
    free (prefixes);
}


static void
test_an_app_deleted_while_publishing_fails_and_retires_the_files (void **state)
{
    (void) state;
    int calls = 0;
    wk_env_t *env = wk_testdeploy_env ();
    env->deploy_hook = s_delete_app_hook;
    env->deploy_hook_arg = &calls;
    wk_job_t job;
    int64_t before = edge_now_ms ();
    assert_int_equal (wk_testdeploy_run (wk_testdeploy_params, false, &job),
                      WK_JOB_FAILED);
    int64_t after = edge_now_ms ();
    env->deploy_hook = wk_testdeploy_hook;
    env->deploy_hook_arg = NULL;
    assert_non_null (strstr (job.message, "was deleted"));
    assert_null (job.error);
    wk_job_fini (&job);
    assert_true (calls > 0);
    redisReply *reply =
        edge_redis_command (s_t3->check, "EXISTS e:{acme}:app:app1");
    assert_int_equal (reply->integer, 0); //  not brought back
    freeReplyObject (reply);
    int64_t score;
    char *prefixes = wk_testdeploy_gc_entry (&score);
    assert_string_equal (prefixes, "dxf/acme/app1/0002/img-a/\n"
                                   "pat/acme/app1/0002/0001/\n");
    assert_true (score >= before && score <= after); //  at once
    free (prefixes);
}


static void
test_a_cancelled_job_stops_and_records_nothing (void **state)
{
    (void) state;
    wk_job_t job;
    assert_int_equal (wk_testdeploy_run (wk_testdeploy_params, true, &job),
                      WK_JOB_CANCELLED);
    assert_null (job.result);
    assert_null (job.error);
    wk_job_fini (&job);
    assert_int_equal (wk_testdeploy_logged (), 0);
    wk_tests3_assert_field (s_t3->check, "e:{acme}:deployment:fsA", "status",
                            "new");
    wk_tests3_assert_field (s_t3->check, "e:{acme}:app:app1", "locked", "0");
}


static void
test_without_setup_the_job_fails_clearly (void **state)
{
    (void) state;
    wk_testdeploy_set_depot (NULL);
    wk_job_t job;
    assert_int_equal (wk_testdeploy_run (wk_testdeploy_params, false, &job),
                      WK_JOB_FAILED);
    assert_non_null (strstr (job.message, "no depot settings"));
    wk_job_fini (&job);
    wk_testdeploy_set_depot ("ftp://bucket"); //  neither file:// nor S3
    assert_int_equal (wk_testdeploy_run (wk_testdeploy_params, false, &job),
                      WK_JOB_FAILED);
    assert_non_null (strstr (job.message, "file://"));
    wk_job_fini (&job);
    assert_int_equal (wk_testdeploy_setup (NULL), 0); //  back for later tests
    assert_true (wk_task_find ("deploy") == &wk_deploy_task);
}

int
main (void)
{
    edge_log_init ("test");
    int rc = wk_testdeploy_start ("test_wk_deploy", NULL);
    if (rc == 77)
        return 77;
    s_t3 = wk_testdeploy_fixture ();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup (
            test_an_app_without_deployments_publishes_to_all_of_the_org,
            wk_testdeploy_reset),
        cmocka_unit_test_setup (
            test_a_missing_deployment_is_a_failed_deployment,
            wk_testdeploy_reset),
        cmocka_unit_test_setup (
            test_missing_image_or_bad_params_fail_without_locking,
            wk_testdeploy_reset),
        cmocka_unit_test_setup (
            test_success_records_the_build_in_the_app_exactly,
            wk_testdeploy_reset),
        cmocka_unit_test_setup (
            test_rotation_keeps_max_builds_and_schedules_what_stops_being_current,
            wk_testdeploy_reset),
        cmocka_unit_test_setup (
            test_a_deploy_ending_after_a_newer_builds_does_not_make_it_current,
            wk_testdeploy_reset),
        cmocka_unit_test_setup (
            test_an_app_deleted_while_publishing_fails_and_retires_the_files,
            wk_testdeploy_reset),
        cmocka_unit_test_setup (test_a_cancelled_job_stops_and_records_nothing,
                                wk_testdeploy_reset),
        cmocka_unit_test_setup (test_without_setup_the_job_fails_clearly,
                                wk_testdeploy_reset),
    };
    if (rc == 0)
        rc = cmocka_run_group_tests (tests, wk_testdeploy_setup,
                                     wk_testdeploy_teardown);
    wk_testdeploy_stop ();
    return rc;
}
