/*  test_gw_builds - build imports (POST /be/v1/builds) and commits (POST
    /be/v1/commit) through a real gateway (civetweb, HTTP over loopback)
    against a real redis-server; the broker is a ROUTER bound by the test,
    the depot a scratch directory (the gw_testhttp fixture). The upload
    PUTs are in test_gw_upload.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "edge_redis.h"
#include "edge_util.h"
#include "gw_ident.h"
#include "gw_testhttp.h"
#include "gw_upload.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  ---------------------------------------------------------------------
//  Imports


static void
test_download_import_creates_a_queued_dltar_and_sends_its_job (void **state)
{
    (void) state;
    long status;
    char location[256];
    json_t *answer = gw_testhttp_call (
        gw_testhttp_port (), gw_testhttp_boss (), "POST", "/be/v1/builds",
        "{\"appName\":\"game\",\"buildName\":\"v1.0-rc_2\",\"url\":"
        "\"http://127.0.0.1:9/native-build.tar\",\"size\":1234}",
        &status, location);
    assert_int_equal (status, 202);
    const char *task = gw_testhttp_str (answer, "taskName");
    const char *group = gw_testhttp_str (answer, "group");
    assert_null (json_object_get (answer, "uploadUrl"));
    assert_int_equal (strncmp (group, "import_", 7), 0);
    assert_int_equal (strncmp (task, "dltar_", 6), 0);
    char expected[128];
    snprintf (expected, sizeof expected, "/be/v1/tasks/%s", task);
    assert_string_equal (location, expected);
    gw_testhttp_task_state (task, "queued");
    char key[128];
    snprintf (key, sizeof key, "e:task:%s", task);
    gw_testhttp_assert_hash (key, "group", group);
    gw_testhttp_assert_hash (key, "buildName", "v1.0-rc_2");
    char *params = gw_testhttp_hget (key, "params");
    json_t *p = json_loads (params, 0, NULL);
    free (params);
    char tar_key[128];
    snprintf (tar_key, sizeof tar_key, "builds/acme/game/%s.tar", group);
    assert_string_equal (gw_testhttp_str (p, "tarKey"), tar_key);
    assert_string_equal (gw_testhttp_str (p, "url"),
                         "http://127.0.0.1:9/native-build.tar");
    assert_int_equal (json_integer_value (json_object_get (p, "size")), 1234);
    assert_string_equal (gw_testhttp_str (p, "appName"), "game");
    assert_null (json_object_get (p, "upload"));
    json_decref (p);
    gw_testhttp_assert_hash ("e:{acme}:app:game:imports", "v1.0-rc_2", task);
    char job[64] = "";
    assert_true (gw_testhttp_recv_job (job, sizeof job));
    assert_string_equal (job, task);
    json_decref (answer);
}


static void
test_import_body_is_validated (void **state)
{
    (void) state;
    const char *cases[][3] = {
        {"{\"appName\":\"game\",\"buildName\":\"v1\",\"x\":1}", "400",
         "unknown_field"},
        {"{\"appName\":\"game\",\"buildName\":\"v 1\"}", "400",
         "invalid_field"},
        {"{\"appName\":\"game\",\"buildName\":\"a/b\"}", "400",
         "invalid_field"},
        {"{\"appName\":\"game\"}", "400", "missing_field"},
        {"{\"appName\":\"game\",\"buildName\":\"v1\",\"size\":-1}", "400",
         "invalid_field"},
        {"{\"appName\":\"game\",\"buildName\":\"v1\",\"size\":\"1\"}", "400",
         "invalid_field"},
        {"{\"appName\":\"game\",\"buildName\":\"v1\",\"url\":\"ftp://x/a\"}",
         "400", "invalid_field"},
        {"{\"appName\":\"game\",\"buildName\":\"v1\",\"url\":"
         "\"http://10.1.2.3/a.tar\"}",
         "422", "url_refused"},
        {"{\"appName\":\"game\",\"buildName\":\"v1\",\"size\":99999999999}",
         "422", "upload_too_large"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long status;
        json_t *body = gw_testhttp_main (gw_testhttp_boss (), "POST",
                                         "/be/v1/builds", cases[i][0], &status);
        assert_int_equal (status, atol (cases[i][1]));
        gw_testhttp_assert_error (body, status, cases[i][2]);
    }
    //  Nothing was reserved or created
    assert_false (gw_testhttp_exists ("e:{acme}:app:game:imports"));
    assert_false (gw_testhttp_exists ("e:{acme}:tasks"));
}


static void
test_missing_app_and_another_orgs_app_are_404 (void **state)
{
    (void) state;
    long status;
    json_t *body = gw_testhttp_main (
        gw_testhttp_boss (), "POST", "/be/v1/builds",
        "{\"appName\":\"nope\",\"buildName\":\"v1\"}", &status);
    assert_int_equal (status, 404);
    gw_testhttp_assert_error (body, 404, "not_found");
    char other[GW_IDENT_TOKEN_MAX];
    gw_testhttp_auth ("other", "boss2", other);
    body = gw_testhttp_main (other, "POST", "/be/v1/builds",
                             "{\"appName\":\"game\",\"buildName\":\"v1\"}",
                             &status);
    assert_int_equal (status, 404);
    gw_testhttp_assert_error (body, 404, "not_found");
    body = gw_testhttp_main (other, "POST", "/be/v1/commit",
                             "{\"appName\":\"game\",\"buildName\":\"v1\"}",
                             &status);
    assert_int_equal (status, 404);
    gw_testhttp_assert_error (body, 404, "not_found");
    assert_false (gw_testhttp_exists ("e:{other}:app:game:imports"));
}


static void
test_locked_app_is_409_app_locked_with_its_error (void **state)
{
    (void) state;
    freeReplyObject (edge_redis_command (
        gw_testhttp_redis (), "HSET e:{acme}:app:game locked 1 error %s",
        "{\"deployment\":{\"failed\":[\"cdn1\"],\"succeeded\":[]}}"));
    long status;
    json_t *body = gw_testhttp_main (
        gw_testhttp_boss (), "POST", "/be/v1/builds",
        "{\"appName\":\"game\",\"buildName\":\"v1\"}", &status);
    assert_int_equal (status, 409);
    const char *message = json_string_value (
        json_object_get (json_object_get (body, "error"), "message"));
    assert_non_null (strstr (message, "cdn1"));
    gw_testhttp_assert_error (body, 409, "app_locked");
    assert_false (gw_testhttp_exists ("e:{acme}:app:game:imports"));
}


static void
test_existing_build_is_409_build_exists (void **state)
{
    (void) state;
    freeReplyObject (edge_redis_command (
        gw_testhttp_redis (), "HSET e:{acme}:app:game builds %s",
        "[{\"buildId\":1,\"buildName\":\"v1\",\"dxfName\":\"d\","
        "\"sizeBytes\":5}]"));
    long status;
    json_t *body = gw_testhttp_main (
        gw_testhttp_boss (), "POST", "/be/v1/builds",
        "{\"appName\":\"game\",\"buildName\":\"v1\"}", &status);
    assert_int_equal (status, 409);
    gw_testhttp_assert_error (body, 409, "build_exists");
    json_decref (gw_testhttp_upload_import ("v2")); //  another name is fine
}


static void
test_import_in_progress_is_409_until_its_task_failed (void **state)
{
    (void) state;
    json_t *first = gw_testhttp_upload_import ("v1");
    const char *task = gw_testhttp_str (first, "taskName");
    long status;
    json_t *body =
        gw_testhttp_main (gw_testhttp_boss (), "POST", "/be/v1/builds",
                          "{\"appName\":\"game\",\"buildName\":\"v1\",\"url\":"
                          "\"http://127.0.0.1:9/a.tar\"}",
                          &status);
    assert_int_equal (status, 409);
    gw_testhttp_assert_error (body, 409, "build_importing");
    char key[128];
    snprintf (key, sizeof key, "e:task:%s", task);
    freeReplyObject (
        edge_redis_command (gw_testhttp_redis (), "HSET %s state failed", key));
    json_t *second = gw_testhttp_upload_import ("v1");
    assert_string_not_equal (gw_testhttp_str (second, "taskName"), task);
    gw_testhttp_assert_hash ("e:{acme}:app:game:imports", "v1",
                             gw_testhttp_str (second, "taskName"));
    json_decref (second);
    json_decref (first);
}


static void
test_stale_reservation_is_replaced_and_a_fresh_one_is_not (void **state)
{
    (void) state;
    long long old = (long long) edge_now_ms () - 3600000;
    freeReplyObject (edge_redis_command (
        gw_testhttp_redis (),
        "HSET e:{acme}:app:game:imports v1 import_x@%lld v2 "
        "import_y@%lld",
        old, (long long) edge_now_ms ()));
    json_decref (gw_testhttp_upload_import ("v1"));
    long status;
    json_t *body = gw_testhttp_main (
        gw_testhttp_boss (), "POST", "/be/v1/builds",
        "{\"appName\":\"game\",\"buildName\":\"v2\"}", &status);
    assert_int_equal (status, 409);
    gw_testhttp_assert_error (body, 409, "build_importing");
}

//  ---------------------------------------------------------------------
//  Commit


static void
test_commit_before_put_is_409_upload_incomplete (void **state)
{
    (void) state;
    json_t *answer = gw_testhttp_upload_import ("v1");
    long status;
    json_t *result = gw_testhttp_main (
        gw_testhttp_boss (), "POST", "/be/v1/commit",
        "{\"appName\":\"game\",\"buildName\":\"v1\"}", &status);
    assert_int_equal (status, 409);
    gw_testhttp_assert_error (result, 409, "upload_incomplete");
    gw_testhttp_task_state (gw_testhttp_str (answer, "taskName"), "waiting");
    json_decref (answer);
}


static void
test_commit_after_put_queues_the_task_and_sends_its_job (void **state)
{
    (void) state;
    json_t *answer = gw_testhttp_upload_import ("v1");
    const char *task = gw_testhttp_str (answer, "taskName");
    const char *url = gw_testhttp_str (answer, "uploadUrl");
    long status;
    json_decref (gw_testhttp_put (url, 4096, 2, false, &status));
    assert_int_equal (status, 200);
    char location[256];
    json_t *result = gw_testhttp_call (
        gw_testhttp_port (), gw_testhttp_boss (), "POST", "/be/v1/commit",
        "{\"appName\":\"game\",\"buildName\":\"v1\"}", &status, location);
    assert_int_equal (status, 202);
    assert_string_equal (gw_testhttp_str (result, "taskName"), task);
    assert_string_equal (gw_testhttp_str (result, "group"),
                         gw_testhttp_str (answer, "group"));
    char expected[128];
    snprintf (expected, sizeof expected, "/be/v1/tasks/%s", task);
    assert_string_equal (location, expected);
    json_decref (result);
    gw_testhttp_task_state (task, "queued");
    char key[GW_UPLOAD_KEY_MAX];
    gw_testhttp_record_key (url, key);
    gw_testhttp_assert_hash (key, "state", "committed");
    char job[64] = "";
    assert_true (gw_testhttp_recv_job (job, sizeof job));
    assert_string_equal (job, task);
    redisReply *reply = edge_redis_command (gw_testhttp_redis (),
                                            "ZSCORE e:uploads:due %s", task);
    assert_int_equal (reply->type, REDIS_REPLY_NIL);
    freeReplyObject (reply);
    //  the submit event says so
    reply = edge_redis_command (gw_testhttp_redis (), "XRANGE e:events - +");
    assert_true (
        gw_testhttp_reply_contains (reply, "upload committed (4096 bytes)"));
    freeReplyObject (reply);
    //  again: refused; the URL is used
    result = gw_testhttp_main (gw_testhttp_boss (), "POST", "/be/v1/commit",
                               "{\"appName\":\"game\",\"buildName\":\"v1\"}",
                               &status);
    assert_int_equal (status, 409);
    gw_testhttp_assert_error (result, 409, "already_committed");
    result = gw_testhttp_put (url, 10, 1, false, &status);
    assert_int_equal (status, 409);
    gw_testhttp_assert_error (result, 409, "upload_used");
    json_decref (answer);
}


static void
test_commit_without_such_upload_is_404_or_409 (void **state)
{
    (void) state;
    long status;
    json_t *result = gw_testhttp_main (
        gw_testhttp_boss (), "POST", "/be/v1/commit",
        "{\"appName\":\"game\",\"buildName\":\"v1\"}", &status);
    assert_int_equal (status, 404);
    gw_testhttp_assert_error (result, 404, "not_found");
    json_decref (gw_testhttp_import (
        "{\"appName\":\"game\",\"buildName\":\"v2\",\"url\":"
        "\"http://127.0.0.1:9/a.tar\"}"));
    result = gw_testhttp_main (gw_testhttp_boss (), "POST", "/be/v1/commit",
                               "{\"appName\":\"game\",\"buildName\":\"v2\"}",
                               &status);
    assert_int_equal (status, 409);
    gw_testhttp_assert_error (result, 409, "not_an_upload");
    result = gw_testhttp_main (
        gw_testhttp_boss (), "POST", "/be/v1/commit",
        "{\"appName\":\"game\",\"buildName\":\"v2\",\"x\":1}", &status);
    assert_int_equal (status, 400);
    gw_testhttp_assert_error (result, 400, "unknown_field");
}


static void
test_user_without_apps_update_gets_403 (void **state)
{
    (void) state;
    long status;
    json_decref (gw_testhttp_main (
        gw_testhttp_boss (), "POST", "/be/v1/roles",
        "{\"name\":\"viewers\",\"permissions\":{\"apps\":11}}", &status));
    assert_int_equal (status, 201);
    json_decref (gw_testhttp_main (
        gw_testhttp_boss (), "POST", "/be/v1/users",
        "{\"username\":\"carol\",\"email\":\"carol@acme.example\","
        "\"firstname\":\"Carol\",\"surname\":\"C\",\"roles\":[\"viewers\"],"
        "\"password\":\"carol-password-0123\"}",
        &status));
    assert_int_equal (status, 201);
    char carol[GW_IDENT_TOKEN_MAX];
    gw_testhttp_auth ("acme", "carol", carol);
    const char *paths[] = {"/be/v1/builds", "/be/v1/commit"};
    for (size_t i = 0; i < 2; i++) {
        json_t *body = gw_testhttp_main (
            carol, "POST", paths[i],
            "{\"appName\":\"game\",\"buildName\":\"v1\"}", &status);
        assert_int_equal (status, 403);
        json_t *error = json_object_get (body, "error");
        assert_string_equal (gw_testhttp_str (error, "resource"), "apps");
        assert_int_equal (json_integer_value (json_object_get (error, "bit")),
                          4);
        gw_testhttp_assert_error (body, 403, "forbidden");
    }
    assert_false (gw_testhttp_exists ("e:{acme}:app:game:imports"));
}

int
main (void)
{
    int rc = gw_testhttp_start ("test_gw_builds");
    if (rc) {
        gw_testhttp_stop ();
        return rc == 77 ? 77 : 1;
    }
    const struct CMUnitTest tests[] = {
#define S_TEST(name) cmocka_unit_test_setup (name, gw_testhttp_reset)
        S_TEST (test_download_import_creates_a_queued_dltar_and_sends_its_job),
        S_TEST (test_import_body_is_validated),
        S_TEST (test_missing_app_and_another_orgs_app_are_404),
        S_TEST (test_locked_app_is_409_app_locked_with_its_error),
        S_TEST (test_existing_build_is_409_build_exists),
        S_TEST (test_import_in_progress_is_409_until_its_task_failed),
        S_TEST (test_stale_reservation_is_replaced_and_a_fresh_one_is_not),
        S_TEST (test_commit_before_put_is_409_upload_incomplete),
        S_TEST (test_commit_after_put_queues_the_task_and_sends_its_job),
        S_TEST (test_commit_without_such_upload_is_404_or_409),
        S_TEST (test_user_without_apps_update_gets_403),
#undef S_TEST
    };
    rc = cmocka_run_group_tests (tests, NULL, NULL);
    gw_testhttp_stop ();
    return rc;
}
