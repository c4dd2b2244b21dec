/*  test_wk_reaper - the reaper duty against a real redis-server and a
    ROUTER standing in for the broker frontend.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "edge_keys.h"
#include "edge_log.h"
#include "edge_task.h"
#include "edge_testutil.h"
#include "edge_util.h"
#include "proto_job.h"
#include "wk_reaper.h"
#include <czmq.h>
#include <string.h>

static edge_testutil_redis_t s_server;
static edge_redis_t *s_redis;
static zsock_t *s_router; //  the fake broker frontend
static zsock_t *s_dealer; //  the worker's socket to it


static int
s_setup (void **state)
{
    (void) state;
    redisReply *reply = edge_redis_command (s_redis, "FLUSHALL");
    freeReplyObject (reply);
    zmsg_t *stale;
    while ((stale = zmsg_recv (s_router)))
        zmsg_destroy (&stale);
    return 0;
}


//  A queued hello task whose last send was long ago; name filled.
static void
s_create_old (char *name)
{
    edge_task_spec_t spec = {.type = "hello", .params = "{}"};
    assert_int_equal (edge_task_create (s_redis, &spec, name), 0);
    redisReply *reply =
        edge_redis_command (s_redis, "ZADD e:tasks:queued XX %lld %s",
                            (long long) (edge_now_ms () - 60000), name);
    freeReplyObject (reply);
}


//  Receive one JOB on the fake frontend within timeout_ms. Caller owns.
static proto_job_t *
s_recv_job (int timeout_ms)
{
    zpoller_t *poller = zpoller_new (s_router, NULL);
    void *which = zpoller_wait (poller, timeout_ms);
    zpoller_destroy (&poller);
    if (which != s_router)
        return NULL;
    zmsg_t *msg = zmsg_recv (s_router);
    assert_non_null (msg);
    assert_int_equal (zmsg_size (msg), 2); //  [routing id, JOB]
    zframe_t *frame = zmsg_last (msg);
    proto_job_t *job =
        proto_job_decode (zframe_data (frame), zframe_size (frame));
    zmsg_destroy (&msg);
    assert_non_null (job);
    return job;
}


static void
test_pass_resends_old_queued_tasks_as_jobs (void **state)
{
    (void) state;
    char name[EDGE_TASK_NAME_MAX];
    s_create_old (name);
    wk_reaper_t *reaper = wk_reaper_new ("w1", 1000, 3, 5000, NULL);
    assert_int_equal (
        wk_reaper_tick (reaper, s_redis, s_dealer, edge_mono_ms ()), 1);
    proto_job_t *job = s_recv_job (2000);
    assert_non_null (job);
    assert_string_equal (job->task, name);
    assert_string_equal (job->type, "hello");
    proto_job_destroy (&job);
    //  The lock names us and expires on its own
    redisReply *reply = edge_redis_command (s_redis, "GET " EDGE_KEY_REAPER_LOCK);
    assert_string_equal (reply->str, "w1");
    freeReplyObject (reply);
    reply = edge_redis_command (s_redis, "PTTL " EDGE_KEY_REAPER_LOCK);
    assert_true (reply->integer > 0 && reply->integer <= 1000);
    freeReplyObject (reply);
    wk_reaper_destroy (&reaper);
    assert_null (reaper);
    wk_reaper_destroy (&reaper);
}


static void
test_pass_runs_only_when_due (void **state)
{
    (void) state;
    char name[EDGE_TASK_NAME_MAX];
    wk_reaper_t *reaper = wk_reaper_new ("w1", 1000, 3, 5000, NULL);
    int64_t now = edge_mono_ms ();
    assert_true (wk_reaper_due_ms (reaper) <= now);
    assert_int_equal (wk_reaper_tick (reaper, s_redis, s_dealer, now), 0);
    assert_int_equal (wk_reaper_due_ms (reaper), now + 1000);
    s_create_old (name);
    assert_int_equal (wk_reaper_tick (reaper, s_redis, s_dealer, now + 999), 0);
    assert_null (s_recv_job (50));
    //  Our own lock does not stop our next pass
    assert_int_equal (wk_reaper_tick (reaper, s_redis, s_dealer, now + 1000),
                      1);
    proto_job_t *job = s_recv_job (2000);
    assert_non_null (job);
    proto_job_destroy (&job);
    wk_reaper_destroy (&reaper);
}


static void
test_lock_held_by_another_worker_skips_the_pass (void **state)
{
    (void) state;
    char name[EDGE_TASK_NAME_MAX];
    s_create_old (name);
    redisReply *reply = edge_redis_command (s_redis, "SET " EDGE_KEY_REAPER_LOCK
                                                     " other PX 10000");
    freeReplyObject (reply);
    wk_reaper_t *reaper = wk_reaper_new ("w1", 1000, 3, 5000, NULL);
    assert_int_equal (
        wk_reaper_tick (reaper, s_redis, s_dealer, edge_mono_ms ()), 0);
    assert_null (s_recv_job (50));
    reply = edge_redis_command (s_redis, "GET " EDGE_KEY_REAPER_LOCK);
    assert_string_equal (reply->str, "other");
    freeReplyObject (reply);
    wk_reaper_destroy (&reaper);
}


static void
test_expired_lease_is_requeued_and_sent_at_once (void **state)
{
    (void) state;
    char name[EDGE_TASK_NAME_MAX];
    edge_task_spec_t spec = {.type = "hello", .params = "{}"};
    assert_int_equal (edge_task_create (s_redis, &spec, name), 0);
    edge_task_claim_t claim;
    assert_int_equal (edge_task_claim (s_redis, name, "dead", -1, &claim),
                      EDGE_ERR_OK);
    edge_task_claim_fini (&claim);
    wk_reaper_t *reaper = wk_reaper_new ("w1", 1000, 3, 5000, NULL);
    assert_int_equal (
        wk_reaper_tick (reaper, s_redis, s_dealer, edge_mono_ms ()), 1);
    proto_job_t *job = s_recv_job (2000);
    assert_non_null (job);
    assert_string_equal (job->task, name);
    proto_job_destroy (&job);
    wk_reaper_destroy (&reaper);
}


static void
test_unreachable_broker_and_redis_never_block (void **state)
{
    (void) state;
    char name[EDGE_TASK_NAME_MAX];
    s_create_old (name);
    //  Nothing listens there: the send fails at once
    zsock_t *nowhere = zsock_new (ZMQ_DEALER);
    zsock_set_immediate (nowhere, 1);
    zsock_set_linger (nowhere, 0);
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d",
              edge_testutil_free_port ());
    assert_int_equal (zsock_connect (nowhere, "%s", endpoint), 0);
    wk_reaper_t *reaper = wk_reaper_new ("w1", 1000, 3, 5000, NULL);
    int64_t start = edge_mono_ms ();
    assert_int_equal (
        wk_reaper_tick (reaper, s_redis, nowhere, edge_mono_ms ()), 0);
    assert_true (edge_mono_ms () - start < 1000);
    wk_reaper_destroy (&reaper);
    zsock_destroy (&nowhere);

    char url[64];
    snprintf (url, sizeof url, "redis://127.0.0.1:%d/0",
              edge_testutil_free_port ());
    edge_redis_t *down = edge_redis_new (url, 200);
    reaper = wk_reaper_new ("w1", 1000, 3, 5000, NULL);
    assert_int_equal (wk_reaper_tick (reaper, down, s_dealer, edge_mono_ms ()),
                      -1);
    wk_reaper_destroy (&reaper);
    edge_redis_destroy (&down);
}


int
main (void)
{
    edge_log_init ("test");
    int rc = edge_testutil_redis_open (&s_server, &s_redis, 2000);
    if (rc)
        return rc;
    s_router = zsock_new (ZMQ_ROUTER);
    zsock_set_rcvtimeo (s_router, 0);
    int port = zsock_bind (s_router, "tcp://127.0.0.1:*[30000-60000]");
    s_dealer = zsock_new (ZMQ_DEALER);
    zsock_set_linger (s_dealer, 0);
    if (port < 0 || zsock_connect (s_dealer, "tcp://127.0.0.1:%d", port) != 0) {
        fprintf (stderr, "cannot set up the fake frontend\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup (test_pass_resends_old_queued_tasks_as_jobs,
                                s_setup),
        cmocka_unit_test_setup (test_pass_runs_only_when_due, s_setup),
        cmocka_unit_test_setup (test_lock_held_by_another_worker_skips_the_pass,
                                s_setup),
        cmocka_unit_test_setup (test_expired_lease_is_requeued_and_sent_at_once,
                                s_setup),
        cmocka_unit_test_setup (test_unreachable_broker_and_redis_never_block,
                                s_setup),
    };
    rc = cmocka_run_group_tests (tests, NULL, NULL);
    zsock_destroy (&s_dealer);
    zsock_destroy (&s_router);
    edge_testutil_redis_close (&s_server, &s_redis);
    return rc;
}
