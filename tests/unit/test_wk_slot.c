/*  test_wk_slot - a slot thread against a real redis-server: claim, run,
    record; skip what is not ours; cancel on a refused renewal; give the
    task back at shutdown.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "edge_log.h"
#include "edge_task.h"
#include "edge_testutil.h"
#include "edge_util.h"
#include "wk_slot.h"
#include <czmq.h>
#include <string.h>

#define S_DONE_ENDPOINT "inproc://test-wk-slot-done"

static edge_testutil_redis_t s_server;
static edge_redis_t *s_redis;
static edge_redis_t *s_tasks; //  the slots' shared handle, as a worker's
static zsock_t *s_pull;


static int
s_setup (void **state)
{
    (void) state;
    redisReply *reply = edge_redis_command (s_redis, "FLUSHALL");
    freeReplyObject (reply);
    return 0;
}


static wk_slot_t *
s_slot_new (int64_t lease_ms)
{
    wk_slot_opts_t opts = {.worker_id = "w1",
                           .redis_url = s_server.url,
                           .redis_timeout_ms = 2000,
                           .tasks = s_tasks,
                           .lease_ms = lease_ms,
                           .done_endpoint = S_DONE_ENDPOINT};
    return wk_slot_new (&opts, 3);
}


//  Create a task of type with params into name.
static void
s_create (const char *type, const char *params, char *name)
{
    edge_task_spec_t spec = {.type = type, .params = params};
    assert_int_equal (edge_task_create (s_redis, &spec, name), 0);
}


//  Wait for the slot's end message; returns its state (static copy).
static const char *
s_wait_end (int timeout_ms)
{
    static char state[32];
    zpoller_t *poller = zpoller_new (s_pull, NULL);
    void *which = zpoller_wait (poller, timeout_ms);
    zpoller_destroy (&poller);
    if (which != s_pull)
        fail_msg ("no end message within %d ms", timeout_ms);
    char *index = NULL, *text = NULL, *next = NULL, *next_type = NULL;
    assert_int_equal (
        zstr_recvx (s_pull, &index, &text, &next, &next_type, NULL), 4);
    assert_string_equal (index, "3");
    assert_string_equal (next, ""); //  hello starts no next step
    snprintf (state, sizeof state, "%s", text);
    zstr_free (&index);
    zstr_free (&text);
    zstr_free (&next);
    zstr_free (&next_type);
    return state;
}


//  A field of the task's hash (static copy, "" when absent).
static const char *
s_field (const char *name, const char *field)
{
    static char value[512];
    redisReply *reply =
        edge_redis_command (s_redis, "HGET e:task:%s %s", name, field);
    snprintf (value, sizeof value, "%s",
              reply && reply->type == REDIS_REPLY_STRING ? reply->str : "");
    freeReplyObject (reply);
    return value;
}


static bool
s_is_running (void *arg)
{
    return strcmp (s_field (arg, "state"), "running") == 0;
}


//  The slot's own record of its claim is set just after the claim script:
//  a task can be "running" in Redis a moment before the slot knows it. A
//  renewal acts only on a claim the slot knows, so a far lease proves it.
typedef struct {
    wk_slot_t *slot;
    const char *name;
} s_claim_probe_t;

static bool
s_slot_knows_its_claim (void *arg)
{
    s_claim_probe_t *probe = arg;
    if (wk_slot_renew (probe->slot, s_redis, 600000) != EDGE_ERR_OK)
        return false;
    redisReply *reply = edge_redis_command (s_redis, "ZSCORE e:tasks:leases %s",
                                            probe->name);
    bool is_far = reply && reply->type == REDIS_REPLY_STRING
                  && atoll (reply->str) > edge_now_ms () + 300000;
    freeReplyObject (reply);
    return is_far;
}


static void
test_slot_runs_a_hello_task_and_records_its_result (void **state)
{
    (void) state;
    wk_slot_t *slot = s_slot_new (5000);
    assert_false (wk_slot_is_busy (slot));
    char name[EDGE_TASK_NAME_MAX];
    s_create ("hello", "{\"message\":\"slot\",\"maintenance\":false}", name);
    wk_slot_start (slot, name, "hello");
    assert_true (wk_slot_is_busy (slot));
    assert_string_equal (wk_slot_task (slot), name);
    assert_string_equal (s_wait_end (5000), "succeeded");
    //  Busy until the owner has read the end message
    assert_true (wk_slot_is_busy (slot));
    wk_slot_done (slot);
    assert_false (wk_slot_is_busy (slot));
    assert_null (wk_slot_task (slot));
    assert_string_equal (s_field (name, "state"), "succeeded");
    assert_string_equal (s_field (name, "attempts"), "1");
    assert_string_equal (s_field (name, "owner"), "w1");
    assert_non_null (strstr (s_field (name, "result"), "\"worker\":\"w1\""));
    wk_slot_destroy (&slot);
    assert_null (slot);
    wk_slot_destroy (&slot);
}


static void
test_task_that_is_not_queued_is_skipped_untouched (void **state)
{
    (void) state;
    wk_slot_t *slot = s_slot_new (5000);
    char name[EDGE_TASK_NAME_MAX];
    s_create ("hello", "{\"message\":\"x\"}", name);
    edge_task_claim_t claim;
    assert_int_equal (edge_task_claim (s_redis, name, "other", 5000, &claim),
                      EDGE_ERR_OK);
    edge_task_claim_fini (&claim);
    wk_slot_start (slot, name, "hello");
    assert_string_equal (s_wait_end (5000), "skipped");
    wk_slot_done (slot);
    assert_string_equal (s_field (name, "owner"), "other");
    assert_string_equal (s_field (name, "attempts"), "1");
    wk_slot_start (slot, "hello_nosuchtask", "hello");
    assert_string_equal (s_wait_end (5000), "skipped");
    wk_slot_done (slot);
    wk_slot_destroy (&slot);
}


static void
test_unknown_type_and_failing_handler_end_failed_with_a_message (void **state)
{
    (void) state;
    wk_slot_t *slot = s_slot_new (5000);
    char name[EDGE_TASK_NAME_MAX];
    s_create ("nosuch", "{}", name);
    wk_slot_start (slot, name, "nosuch");
    assert_string_equal (s_wait_end (5000), "failed");
    wk_slot_done (slot);
    assert_string_equal (s_field (name, "state"), "failed");
    assert_string_equal (s_field (name, "message"),
                         "unknown task type 'nosuch'");

    s_create ("hello", "{\"message\":\"x\",\"fail\":true}", name);
    wk_slot_start (slot, name, "hello");
    assert_string_equal (s_wait_end (5000), "failed");
    wk_slot_done (slot);
    assert_string_equal (s_field (name, "message"), "hello task asked to fail");

    s_create ("hello", "[1,2]", name);
    wk_slot_start (slot, name, "hello");
    assert_string_equal (s_wait_end (5000), "failed");
    wk_slot_done (slot);
    assert_string_equal (s_field (name, "message"),
                         "task parameters are not a JSON object");
    wk_slot_destroy (&slot);
}


static void
test_renewals_keep_a_long_task_ours (void **state)
{
    (void) state;
    wk_slot_t *slot = s_slot_new (600);
    char name[EDGE_TASK_NAME_MAX];
    s_create ("hello", "{\"message\":\"x\",\"sleepMs\":1500}", name);
    wk_slot_start (slot, name, "hello");
    assert_true (edge_testutil_poll (s_is_running, name, 5000));
    //  Renew more often than the main thread would, reaping meanwhile
    zpoller_t *poller = zpoller_new (s_pull, NULL);
    int64_t deadline = edge_mono_ms () + 5000;
    while (!zpoller_wait (poller, 100)) {
        assert_true (edge_mono_ms () < deadline);
        assert_int_equal (wk_slot_renew (slot, s_redis, 600), EDGE_ERR_OK);
        edge_task_list_t resend;
        assert_int_equal (
            edge_task_reap (s_redis, edge_now_ms (), 3, 60000, 100, &resend),
            0);
        edge_task_list_fini (&resend);
    }
    zpoller_destroy (&poller);
    assert_string_equal (s_wait_end (100), "succeeded");
    wk_slot_done (slot);
    assert_string_equal (s_field (name, "attempts"), "1");
    //  Nothing to renew on an idle slot
    assert_int_equal (wk_slot_renew (slot, s_redis, 300), EDGE_ERR_OK);
    wk_slot_destroy (&slot);
}


static bool
s_renew_is_gone (void *slot)
{
    return wk_slot_renew (slot, s_redis, 5000) == EDGE_ERR_GONE;
}


static void
test_refused_renewal_cancels_the_job_and_records_nothing (void **state)
{
    (void) state;
    wk_slot_t *slot = s_slot_new (5000);
    char name[EDGE_TASK_NAME_MAX];
    s_create ("hello", "{\"message\":\"x\",\"sleepMs\":60000}", name);
    wk_slot_start (slot, name, "hello");
    assert_true (edge_testutil_poll (s_is_running, name, 5000));
    //  Another worker took the task over
    redisReply *reply =
        edge_redis_command (s_redis, "HSET e:task:%s owner thief", name);
    freeReplyObject (reply);
    //  The slot notes its claim just after the claim's answer: until then
    //  a renewal has nothing to renew
    int64_t start = edge_mono_ms ();
    assert_true (edge_testutil_poll (s_renew_is_gone, slot, 2000));
    assert_string_equal (s_wait_end (2000), "released");
    assert_true (edge_mono_ms () - start < 1000);
    wk_slot_done (slot);
    assert_string_equal (s_field (name, "state"), "running");
    assert_string_equal (s_field (name, "owner"), "thief");
    assert_string_equal (s_field (name, "result"), "");
    wk_slot_destroy (&slot);
}


static void
test_release_at_shutdown_requeues_the_running_task (void **state)
{
    (void) state;
    wk_slot_t *slot = s_slot_new (5000);
    char name[EDGE_TASK_NAME_MAX];
    s_create ("hello", "{\"message\":\"x\",\"sleepMs\":60000}", name);
    wk_slot_start (slot, name, "hello");
    s_claim_probe_t probe = {slot, name};
    assert_true (edge_testutil_poll (s_slot_knows_its_claim, &probe, 5000));
    int64_t start = edge_mono_ms ();
    assert_true (wk_slot_release (slot, s_redis));
    assert_string_equal (s_wait_end (2000), "released");
    wk_slot_destroy (&slot);
    assert_true (edge_mono_ms () - start < 1000);
    assert_string_equal (s_field (name, "state"), "queued");
    assert_string_equal (s_field (name, "attempts"), "0");
    assert_string_equal (s_field (name, "owner"), "");
}


static void
test_destroy_while_running_gives_the_task_back (void **state)
{
    (void) state;
    wk_slot_t *slot = s_slot_new (5000);
    char name[EDGE_TASK_NAME_MAX];
    s_create ("hello", "{\"message\":\"x\",\"sleepMs\":60000}", name);
    wk_slot_start (slot, name, "hello");
    assert_true (edge_testutil_poll (s_is_running, name, 5000));
    wk_slot_destroy (&slot);
    assert_string_equal (s_wait_end (100), "released");
    assert_string_equal (s_field (name, "state"), "queued");
}


int
main (void)
{
    edge_log_init ("test");
    int rc = edge_testutil_redis_open (&s_server, &s_redis, 2000);
    if (rc)
        return rc;
    s_tasks = edge_redis_new_shared (s_server.url, 2000);
    s_pull = zsock_new (ZMQ_PULL);
    if (zsock_bind (s_pull, S_DONE_ENDPOINT)) {
        fprintf (stderr, "cannot bind %s\n", S_DONE_ENDPOINT);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup (
            test_slot_runs_a_hello_task_and_records_its_result, s_setup),
        cmocka_unit_test_setup (
            test_task_that_is_not_queued_is_skipped_untouched, s_setup),
        cmocka_unit_test_setup (
            test_unknown_type_and_failing_handler_end_failed_with_a_message,
            s_setup),
        cmocka_unit_test_setup (test_renewals_keep_a_long_task_ours, s_setup),
        cmocka_unit_test_setup (
            test_refused_renewal_cancels_the_job_and_records_nothing, s_setup),
        cmocka_unit_test_setup (
            test_release_at_shutdown_requeues_the_running_task, s_setup),
        cmocka_unit_test_setup (test_destroy_while_running_gives_the_task_back,
                                s_setup),
    };
    rc = cmocka_run_group_tests (tests, NULL, NULL);
    zsock_destroy (&s_pull);
    edge_redis_destroy (&s_tasks);
    edge_testutil_redis_close (&s_server, &s_redis);
    return rc;
}
