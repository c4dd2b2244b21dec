/*  test_wk_hello - the hello handler and the job helpers it uses.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "edge_log.h"
#include "edge_util.h"
#include "wk_hello.h"
#include "wk_task.h"
#include <pthread.h>
#include <string.h>


//  Run hello through the job runner with params (JSON text) and cancel;
//  fills job.
static wk_job_rc_t
s_run (const char *params_text, atomic_int *cancel, wk_job_t *job)
{
    json_t *params = json_loads (params_text, 0, NULL);
    assert_non_null (params);
    memset (job, 0, sizeof *job);
    job->worker = "w-1";
    job->name = "hello_x";
    job->type = "hello";
    job->org = "";
    job->params = params;
    job->attempt = 1;
    job->cancel = cancel;
    wk_job_rc_t rc = wk_task_run (job);
    json_decref (params);
    return rc;
}


static void
test_hello_replies_with_message_maintenance_worker_and_version (void **state)
{
    (void) state;
    atomic_int cancel = 0;
    wk_job_t job;
    assert_int_equal (
        s_run ("{\"message\":\"world\",\"maintenance\":true}", &cancel, &job),
        WK_JOB_DONE);
    assert_null (job.message);
    json_t *result = json_loads (job.result, 0, NULL);
    assert_non_null (result);
    assert_int_equal (json_object_size (result), 4);
    assert_string_equal (json_string_value (json_object_get (result, "reply")),
                         "Hello, world");
    assert_true (json_is_true (json_object_get (result, "maintenance")));
    assert_string_equal (json_string_value (json_object_get (result, "worker")),
                         "w-1");
    assert_string_equal (
        json_string_value (json_object_get (result, "version")), EDGE_VERSION);
    json_decref (result);
    wk_job_fini (&job);
    assert_null (job.result);
    wk_job_fini (&job);
}


static void
test_hello_without_maintenance_reports_false (void **state)
{
    (void) state;
    atomic_int cancel = 0;
    wk_job_t job;
    assert_int_equal (s_run ("{\"message\":\"a%sb\"}", &cancel, &job),
                      WK_JOB_DONE);
    assert_non_null (strstr (job.result, "\"maintenance\":false"));
    assert_non_null (strstr (job.result, "\"reply\":\"Hello, a%sb\""));
    wk_job_fini (&job);
}


static void
test_hello_asked_to_fail_fails_with_the_documented_message (void **state)
{
    (void) state;
    atomic_int cancel = 0;
    wk_job_t job;
    assert_int_equal (s_run ("{\"message\":\"x\",\"maintenance\":false,"
                             "\"fail\":true,\"sleepMs\":10}",
                             &cancel, &job),
                      WK_JOB_FAILED);
    assert_string_equal (job.message, "hello task asked to fail");
    assert_null (job.result);
    wk_job_fini (&job);
}


static void
test_hello_sleeps_the_requested_time (void **state)
{
    (void) state;
    atomic_int cancel = 0;
    wk_job_t job;
    int64_t start = edge_mono_ms ();
    assert_int_equal (
        s_run ("{\"message\":\"x\",\"sleepMs\":120}", &cancel, &job),
        WK_JOB_DONE);
    assert_true (edge_mono_ms () - start >= 120);
    wk_job_fini (&job);
}


static void *
s_cancel_later (void *arg)
{
    edge_sleep_ms (50, NULL);
    atomic_store ((atomic_int *) arg, 1);
    return NULL;
}

static void
test_cancel_interrupts_the_sleep_quickly (void **state)
{
    (void) state;
    atomic_int cancel = 0;
    pthread_t thread;
    assert_int_equal (pthread_create (&thread, NULL, s_cancel_later, &cancel),
                      0);
    wk_job_t job;
    int64_t start = edge_mono_ms ();
    assert_int_equal (
        s_run ("{\"message\":\"x\",\"sleepMs\":60000}", &cancel, &job),
        WK_JOB_CANCELLED);
    assert_true (edge_mono_ms () - start < 1000);
    assert_null (job.result);
    assert_null (job.message);
    pthread_join (thread, NULL);
    //  Cancelled before it starts: no result either
    assert_int_equal (s_run ("{\"message\":\"x\"}", &cancel, &job),
                      WK_JOB_CANCELLED);
    wk_job_fini (&job);
}


static void
test_malformed_params_fail_naming_the_field (void **state)
{
    (void) state;
    static const struct {
        const char *params;
        const char *field;
    } cases[] = {
        {"{}", "message"},
        {"{\"message\":5}", "message"},
        {"{\"message\":\"x\",\"maintenance\":\"no\"}", "maintenance"},
        {"{\"message\":\"x\",\"sleepMs\":-1}", "sleepMs"},
        {"{\"message\":\"x\",\"sleepMs\":1.5}", "sleepMs"},
        {"{\"message\":\"x\",\"sleepMs\":99999999}", "sleepMs"},
        {"{\"message\":\"x\",\"fail\":1}", "fail"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        atomic_int cancel = 0;
        wk_job_t job;
        assert_int_equal (s_run (cases[i].params, &cancel, &job),
                          WK_JOB_FAILED);
        if (!strstr (job.message, cases[i].field))
            fail_msg ("%s: '%s'", cases[i].params, job.message);
        wk_job_fini (&job);
    }
}


static void
test_handler_table_knows_hello_and_nothing_unknown (void **state)
{
    (void) state;
    assert_true (wk_task_find ("hello") == &wk_hello_task);
    assert_null (wk_task_find ("nosuch"));
    assert_null (wk_task_find (""));
    assert_null (wk_task_find (NULL));
}


int
main (void)
{
    edge_log_init ("test");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (
            test_hello_replies_with_message_maintenance_worker_and_version),
        cmocka_unit_test (test_hello_without_maintenance_reports_false),
        cmocka_unit_test (
            test_hello_asked_to_fail_fails_with_the_documented_message),
        cmocka_unit_test (test_hello_sleeps_the_requested_time),
        cmocka_unit_test (test_cancel_interrupts_the_sleep_quickly),
        cmocka_unit_test (test_malformed_params_fail_naming_the_field),
        cmocka_unit_test (test_handler_table_knows_hello_and_nothing_unknown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
