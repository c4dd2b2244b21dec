/*  test_wk_worker - the worker's main loop against a real redis-server and
    two ROUTER sockets standing in for the broker's backend and frontend.
    The test thread drives the worker (wk_worker_poll) and plays broker.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "edge_log.h"
#include "edge_task.h"
#include "edge_testutil.h"
#include "edge_util.h"
#include "proto_done.h"
#include "proto_job.h"
#include "proto_ready.h"
#include "wk_worker.h"
#include <czmq.h>
#include <string.h>

#define S_WORKER_ID "wtest"

static edge_testutil_redis_t s_server;
static edge_redis_t *s_redis;
static zsock_t *s_backend;  //  fake broker backend (ROUTER)
static zsock_t *s_frontend; //  fake broker frontend (ROUTER)
static char s_backend_ep[64], s_frontend_ep[64];
static wk_config_t s_config;
static wk_worker_t *s_worker;
static uint64_t s_seq;


//  Everything one worker message told the fake broker.
typedef struct {
    int type;          //  PROTO_READY, PROTO_HEARTBEAT or PROTO_DONE
    uint32_t capacity; //  READY / HEARTBEAT
    uint32_t free;
    uint64_t last_seq;
    char task[80];  //  DONE
    char state[16]; //  DONE
} s_msg_t;


static void
s_drain (zsock_t *sock)
{
    zmsg_t *stale;
    while ((stale = zmsg_recv (sock)))
        zmsg_destroy (&stale);
}


//  Fresh Redis, fresh worker with capacity and lease_ms.
static void
s_start (int64_t capacity, int64_t lease_ms)
{
    redisReply *reply = edge_redis_command (s_redis, "FLUSHALL");
    freeReplyObject (reply);
    s_drain (s_backend);
    s_drain (s_frontend);
    s_config = (wk_config_t){.redis_url = s_server.url,
                             .redis_timeout_ms = 2000,
                             .frontend = s_frontend_ep,
                             .backend = s_backend_ep,
                             .heartbeat_ms = 50,
                             .capacity = capacity,
                             .worker_id = S_WORKER_ID,
                             .lease_ms = lease_ms,
                             .reaper_interval_ms = 100,
                             .reaper_resend_ms = 1000,
                             .max_attempts = 3};
    s_worker = wk_worker_new (&s_config, NULL);
    assert_non_null (s_worker);
}


//  Start a worker and wait until the fake broker knows it (its READY),
//  so that jobs sent to it are not dropped by the ROUTER.
static void s_start_ready (int64_t capacity, int64_t lease_ms);


static int
s_teardown (void **state)
{
    (void) state;
    wk_worker_destroy (&s_worker);
    return 0;
}


//  Decode one message from the worker on the fake backend into msg.
//  False for a message of another routing id: the previous test's worker
//  (same id) is handed over to this one, and what its closing connection
//  still had in flight arrives under a generated id, as at a real broker.
static bool
s_decode (zmsg_t *zmsg, s_msg_t *msg)
{
    memset (msg, 0, sizeof *msg);
    zframe_t *id = zmsg_first (zmsg);
    if (!zframe_streq (id, S_WORKER_ID))
        return false;
    zframe_t *frame = zmsg_last (zmsg);
    msg->type = proto_peek_type (zframe_data (frame), zframe_size (frame));
    if (msg->type == PROTO_DONE) {
        proto_done_t *done =
            proto_done_decode (zframe_data (frame), zframe_size (frame));
        assert_non_null (done);
        snprintf (msg->task, sizeof msg->task, "%s", done->task);
        snprintf (msg->state, sizeof msg->state, "%s", done->state);
        msg->free = done->free;
        msg->last_seq = done->last_seq;
        proto_done_destroy (&done);
        return true;
    }
    proto_ready_t *ready =
        proto_ready_decode (zframe_data (frame), zframe_size (frame));
    assert_non_null (ready);
    assert_string_equal (ready->worker, S_WORKER_ID);
    assert_string_equal (ready->version, EDGE_VERSION);
    msg->capacity = ready->capacity;
    msg->free = ready->free;
    msg->last_seq = ready->last_seq;
    proto_ready_destroy (&ready);
    return true;
}


//  Drive the worker until it sends a message of type (others are
//  skipped), or timeout_ms passes. Returns true with msg filled.
static bool
s_pump_for (int type, s_msg_t *msg, int64_t timeout_ms)
{
    int64_t deadline = edge_mono_ms () + timeout_ms;
    while (edge_mono_ms () < deadline) {
        zmsg_t *zmsg = zmsg_recv (s_backend);
        if (zmsg) {
            bool is_ours = s_decode (zmsg, msg);
            zmsg_destroy (&zmsg);
            if (is_ours && msg->type == type)
                return true;
            continue;
        }
        assert_int_equal (wk_worker_poll (s_worker, 10), 0);
    }
    return false;
}


static void
s_start_ready (int64_t capacity, int64_t lease_ms)
{
    s_start (capacity, lease_ms);
    s_msg_t msg;
    assert_true (s_pump_for (PROTO_READY, &msg, 5000));
}


//  Drive the worker for ms milliseconds.
static void
s_pump (int64_t ms)
{
    int64_t deadline = edge_mono_ms () + ms;
    while (edge_mono_ms () < deadline)
        wk_worker_poll (s_worker, 10);
}


//  Play broker: send the worker a JOB for task, stamped with the next seq.
static void
s_send_job (const char *task, const char *type)
{
    proto_job_t *job = proto_job_new (task, type);
    job->seq = ++s_seq;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    proto_job_encode (job, &buf);
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, S_WORKER_ID);
    zmsg_addmem (msg, buf.data, buf.size);
    assert_int_equal (zmsg_send (&msg, s_backend), 0);
    msgpack_sbuffer_destroy (&buf);
    proto_job_destroy (&job);
}


static void
s_create (const char *params, char *name)
{
    edge_task_spec_t spec = {.type = "hello", .params = params};
    assert_int_equal (edge_task_create (s_redis, &spec, name), 0);
}


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


static void
test_worker_announces_itself_then_heartbeats (void **state)
{
    (void) state;
    s_start (2, 3000);
    s_msg_t msg;
    assert_true (s_pump_for (PROTO_READY, &msg, 5000));
    assert_int_equal (msg.capacity, 2);
    assert_int_equal (msg.free, 2);
    assert_true (s_pump_for (PROTO_HEARTBEAT, &msg, 2000));
    assert_int_equal (msg.free, 2);
    assert_int_equal (wk_worker_free (s_worker), 2);
}


static void
test_job_is_claimed_run_and_reported_done (void **state)
{
    (void) state;
    s_start_ready (1, 3000);
    s_msg_t msg;
    char name[EDGE_TASK_NAME_MAX];
    s_create ("{\"message\":\"loop\",\"maintenance\":false}", name);
    s_send_job (name, "hello");
    assert_true (s_pump_for (PROTO_DONE, &msg, 5000));
    assert_string_equal (msg.task, name);
    assert_string_equal (msg.state, "succeeded");
    assert_int_equal (msg.free, 1);
    assert_int_equal (msg.last_seq, s_seq);
    //  DONE carries the credit: no READY follows the completion
    assert_false (s_pump_for (PROTO_READY, &msg, 300));
    assert_string_equal (s_field (name, "state"), "succeeded");
    assert_non_null (strstr (s_field (name, "result"), "Hello, loop"));
    //  A second JOB for the same task (a re-send) is skipped
    s_send_job (name, "hello");
    assert_true (s_pump_for (PROTO_DONE, &msg, 5000));
    assert_string_equal (msg.state, "skipped");
}


static void
test_jobs_beyond_capacity_wait_in_the_backlog_unclaimed (void **state)
{
    (void) state;
    s_start_ready (1, 3000);
    s_msg_t msg;
    char first[EDGE_TASK_NAME_MAX], second[EDGE_TASK_NAME_MAX];
    s_create ("{\"message\":\"1\",\"sleepMs\":300}", first);
    s_create ("{\"message\":\"2\"}", second);
    s_send_job (first, "hello");
    s_send_job (second, "hello");
    s_pump (150);
    assert_string_equal (s_field (first, "state"), "running");
    assert_string_equal (s_field (second, "state"), "queued");
    assert_int_equal (wk_worker_free (s_worker), 0);
    assert_true (s_pump_for (PROTO_DONE, &msg, 5000));
    assert_string_equal (msg.task, first);
    assert_true (s_pump_for (PROTO_DONE, &msg, 5000));
    assert_string_equal (msg.task, second);
    assert_string_equal (msg.state, "succeeded");
    assert_true (
        strcmp (s_field (second, "started"), s_field (first, "finished")) >= 0);
    assert_int_equal (wk_worker_free (s_worker), 1);
}


static void
test_leases_are_renewed_while_a_long_task_runs (void **state)
{
    (void) state;
    s_start_ready (1, 600);
    s_msg_t msg;
    char name[EDGE_TASK_NAME_MAX];
    s_create ("{\"message\":\"long\",\"sleepMs\":1500}", name);
    s_send_job (name, "hello");
    //  The worker's own reaper runs every 100 ms: without renewals it
    //  would take the task back after 600 ms
    assert_true (s_pump_for (PROTO_DONE, &msg, 5000));
    assert_string_equal (msg.state, "succeeded");
    assert_string_equal (s_field (name, "attempts"), "1");
}


static void
test_reaper_resends_unclaimed_tasks_through_the_frontend (void **state)
{
    (void) state;
    s_start (1, 3000);
    char name[EDGE_TASK_NAME_MAX];
    s_create ("{\"message\":\"lost\"}", name);
    redisReply *reply =
        edge_redis_command (s_redis, "ZADD e:tasks:queued XX %lld %s",
                            (long long) (edge_now_ms () - 60000), name);
    freeReplyObject (reply);
    int64_t deadline = edge_mono_ms () + 5000;
    zmsg_t *zmsg = NULL;
    while (!zmsg && edge_mono_ms () < deadline) {
        wk_worker_poll (s_worker, 10);
        zmsg = zmsg_recv (s_frontend);
    }
    assert_non_null (zmsg);
    zframe_t *frame = zmsg_last (zmsg);
    proto_job_t *job =
        proto_job_decode (zframe_data (frame), zframe_size (frame));
    assert_non_null (job);
    assert_string_equal (job->task, name);
    assert_string_equal (job->type, "hello");
    proto_job_destroy (&job);
    zmsg_destroy (&zmsg);
}


static void
test_shutdown_gives_running_tasks_back_quickly (void **state)
{
    (void) state;
    s_start_ready (2, 3000);
    char name[EDGE_TASK_NAME_MAX];
    s_create ("{\"message\":\"slow\",\"sleepMs\":60000}", name);
    s_send_job (name, "hello");
    int64_t deadline = edge_mono_ms () + 5000;
    while (strcmp (s_field (name, "state"), "running") != 0) {
        assert_true (edge_mono_ms () < deadline);
        wk_worker_poll (s_worker, 10);
    }
    int64_t start = edge_mono_ms ();
    wk_worker_destroy (&s_worker);
    assert_null (s_worker);
    assert_true (edge_mono_ms () - start < 2000);
    assert_string_equal (s_field (name, "state"), "queued");
    assert_string_equal (s_field (name, "attempts"), "0");
    //  Its last word to the broker: take nothing more
    s_msg_t msg;
    bool has_goodbye = false;
    deadline = edge_mono_ms () + 2000;
    while (!has_goodbye && edge_mono_ms () < deadline) {
        zmsg_t *zmsg = zmsg_recv (s_backend);
        if (!zmsg) {
            edge_sleep_ms (10, NULL);
            continue;
        }
        has_goodbye = s_decode (zmsg, &msg) && msg.type == PROTO_HEARTBEAT
                      && msg.free == 0;
        zmsg_destroy (&zmsg);
    }
    assert_true (has_goodbye);
}


static void
test_garbage_from_the_broker_is_dropped (void **state)
{
    (void) state;
    s_start_ready (1, 3000);
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, S_WORKER_ID);
    zmsg_addstr (msg, "not msgpack at all");
    assert_int_equal (zmsg_send (&msg, s_backend), 0);
    s_pump (100);
    char name[EDGE_TASK_NAME_MAX];
    s_create ("{\"message\":\"after\"}", name);
    s_send_job (name, "hello");
    s_msg_t done;
    assert_true (s_pump_for (PROTO_DONE, &done, 5000));
    assert_string_equal (done.state, "succeeded");
}


static void
test_bad_endpoint_fails_construction (void **state)
{
    (void) state;
    wk_config_t config = s_config;
    config.redis_url = s_server.url;
    config.capacity = 1;
    config.worker_id = S_WORKER_ID;
    config.backend = "bogus://nowhere";
    assert_null (wk_worker_new (&config, NULL));
}


int
main (void)
{
    edge_log_init ("test");
    int rc = edge_testutil_redis_open (&s_server, &s_redis, 2000);
    if (rc)
        return rc;
    s_backend = zsock_new (ZMQ_ROUTER);
    s_frontend = zsock_new (ZMQ_ROUTER);
    zsock_set_rcvtimeo (s_backend, 0);
    zsock_set_router_handover (s_backend, 1); //  each test's worker reuses
                                              //  the id
    zsock_set_rcvtimeo (s_frontend, 0);
    int bport = zsock_bind (s_backend, "tcp://127.0.0.1:*[30000-60000]");
    int fport = zsock_bind (s_frontend, "tcp://127.0.0.1:*[30000-60000]");
    if (bport < 0 || fport < 0) {
        fprintf (stderr, "cannot bind the fake broker\n");
        return 1;
    }
    snprintf (s_backend_ep, sizeof s_backend_ep, "tcp://127.0.0.1:%d", bport);
    snprintf (s_frontend_ep, sizeof s_frontend_ep, "tcp://127.0.0.1:%d", fport);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_worker_announces_itself_then_heartbeats,
                                   s_teardown),
        cmocka_unit_test_teardown (test_job_is_claimed_run_and_reported_done,
                                   s_teardown),
        cmocka_unit_test_teardown (
            test_jobs_beyond_capacity_wait_in_the_backlog_unclaimed,
            s_teardown),
        cmocka_unit_test_teardown (
            test_leases_are_renewed_while_a_long_task_runs, s_teardown),
        cmocka_unit_test_teardown (
            test_reaper_resends_unclaimed_tasks_through_the_frontend,
            s_teardown),
        cmocka_unit_test_teardown (
            test_shutdown_gives_running_tasks_back_quickly, s_teardown),
        cmocka_unit_test_teardown (test_garbage_from_the_broker_is_dropped,
                                   s_teardown),
        cmocka_unit_test (test_bad_endpoint_fails_construction),
    };
    rc = cmocka_run_group_tests (tests, NULL, NULL);
    zsock_destroy (&s_frontend);
    zsock_destroy (&s_backend);
    edge_testutil_redis_close (&s_server, &s_redis);
    return rc;
}
