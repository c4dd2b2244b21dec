/*  test_bk_broker - the broker core over real ZeroMQ sockets on loopback
    TCP: fake workers (DEALER, routing id = worker id) and a fake gateway
    (DEALER). The test drives the broker with bk_broker_run_once in this
    thread and waits on conditions with deadlines, never with sleeps.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "bk_broker.h"
#include "edge_log.h"
#include "edge_testutil.h"
#include "edge_util.h"
#include "proto_done.h"
#include "proto_job.h"
#include "proto_query.h"
#include "proto_ready.h"

#define S_DEADLINE_MS 5000 //  generous: every wait ends as soon as it can

typedef struct {
    bk_broker_t *broker;
    bk_broker_config_t config;
    char frontend[64];
    char backend[64];
    zsock_t *gateway; //  DEALER on the frontend
} s_fixture_t;

typedef struct {
    zsock_t *sock;  //  DEALER on the backend
    const char *id; //  worker id and routing id
    uint32_t capacity;
    uint64_t last_seq; //  seq of the last JOB received
} s_worker_t;


//  ---------------------------------------------------------------------
//  Helpers: broker, fake gateway, fake workers

static zsock_t *
s_dealer_new (const char *endpoint, const char *routing_id)
{
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    assert_non_null (sock);
    zsock_set_linger (sock, 0);
    zsock_set_reconnect_ivl (sock, 20);
    if (routing_id)
        zsock_set_identity (sock, routing_id);
    assert_int_equal (zsock_connect (sock, "%s", endpoint), 0);
    return sock;
}


//  (Re)create the broker on the fixture's endpoints; a rebind may need a
//  moment while ZeroMQ closes the previous listener.
static void
s_broker_start (s_fixture_t *fx)
{
    int64_t deadline = edge_mono_ms () + S_DEADLINE_MS;
    while (!(fx->broker = bk_broker_new (&fx->config))
           && edge_mono_ms () < deadline)
        zclock_sleep (10); //  retry a failed bind, not synchronisation
    assert_non_null (fx->broker);
}


static s_fixture_t *
s_fixture_new (int64_t heartbeat_ms, size_t queue_max)
{
    s_fixture_t *fx = edge_calloc (1, sizeof *fx);
    snprintf (fx->frontend, sizeof fx->frontend, "tcp://127.0.0.1:%d",
              edge_testutil_free_port ());
    snprintf (fx->backend, sizeof fx->backend, "tcp://127.0.0.1:%d",
              edge_testutil_free_port ());
    fx->config = (bk_broker_config_t){fx->frontend, fx->backend, heartbeat_ms,
                                      queue_max, NULL};
    s_broker_start (fx);
    fx->gateway = s_dealer_new (fx->frontend, NULL);
    return fx;
}


static void
s_fixture_destroy (s_fixture_t **fx_p)
{
    s_fixture_t *fx = *fx_p;
    zsock_destroy (&fx->gateway);
    bk_broker_destroy (&fx->broker);
    free (fx);
    *fx_p = NULL;
}


static void
s_send_buf (zsock_t *sock, msgpack_sbuffer *buf)
{
    zframe_t *frame = zframe_new (buf->data, buf->size);
    assert_int_equal (zframe_send (&frame, sock, 0), 0);
    msgpack_sbuffer_destroy (buf);
}


static void
s_submit (s_fixture_t *fx, const char *task)
{
    proto_job_t *job = proto_job_new (task, "hello");
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    proto_job_encode (job, &buf);
    s_send_buf (fx->gateway, &buf);
    proto_job_destroy (&job);
}


static bool
s_has_input (void *sock)
{
    return (zsock_events (sock) & ZMQ_POLLIN) != 0;
}


//  Run the broker until cond (arg) holds; false at the deadline.
static bool
s_pump_until (s_fixture_t *fx, bool (*cond) (void *), void *arg)
{
    int64_t deadline = edge_mono_ms () + S_DEADLINE_MS;
    while (!cond (arg)) {
        if (edge_mono_ms () > deadline)
            return false;
        assert_int_equal (bk_broker_run_once (fx->broker, 5), 0);
    }
    return true;
}


//  Send a QUERY and return its ANSWER (caller owns). As DEALER -> ROUTER
//  keeps order, everything the gateway sent before was handled by then.
static proto_answer_t *
s_query (s_fixture_t *fx, proto_query_kind_t kind, uint64_t req_id)
{
    proto_query_t query = {kind, req_id};
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    proto_query_encode (&query, &buf);
    s_send_buf (fx->gateway, &buf);
    assert_true (s_pump_until (fx, s_has_input, fx->gateway));
    zframe_t *frame = zframe_recv (fx->gateway);
    assert_non_null (frame);
    proto_answer_t *answer =
        proto_answer_decode (zframe_data (frame), zframe_size (frame));
    zframe_destroy (&frame);
    assert_non_null (answer);
    assert_int_equal (answer->req_id, req_id);
    return answer;
}


//  Jobs waiting in the broker, once everything sent before was handled.
static uint64_t
s_queued (s_fixture_t *fx)
{
    proto_answer_t *answer = s_query (fx, PROTO_QUERY_PING, 1);
    uint64_t queued = answer->queued;
    assert_int_equal (answer->nworkers, 0);
    proto_answer_destroy (&answer);
    return queued;
}


static void
s_worker_send (s_worker_t *worker, int type, uint32_t free, const char *task)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    if (type == PROTO_DONE) {
        proto_done_t *done = proto_done_new (worker->id, task, "succeeded");
        done->free = free;
        done->last_seq = worker->last_seq;
        proto_done_encode (done, &buf);
        proto_done_destroy (&done);
    }
    else {
        proto_ready_t *ready = proto_ready_new (worker->id, "0.1.0");
        ready->is_heartbeat = type == PROTO_HEARTBEAT;
        ready->capacity = worker->capacity;
        ready->free = free;
        ready->last_seq = worker->last_seq;
        proto_ready_encode (ready, &buf);
        proto_ready_destroy (&ready);
    }
    s_send_buf (worker->sock, &buf);
}


typedef struct {
    s_fixture_t *fx;
    size_t count;
} s_count_t;


static bool
s_has_workers (void *arg)
{
    s_count_t *want = arg;
    return bk_broker_workers (want->fx->broker) == want->count;
}


//  Connect a worker with capacity slots, send READY and wait until the
//  broker knows it (total workers then = expected).
static s_worker_t
s_worker_join (s_fixture_t *fx,
               const char *id,
               uint32_t capacity,
               size_t expected)
{
    s_worker_t worker = {s_dealer_new (fx->backend, id), id, capacity, 0};
    s_worker_send (&worker, PROTO_READY, capacity, NULL);
    s_count_t want = {fx, expected};
    assert_true (s_pump_until (fx, s_has_workers, &want));
    return worker;
}


//  Wait for the next JOB to the worker; returns it (caller owns).
static proto_job_t *
s_worker_recv (s_fixture_t *fx, s_worker_t *worker)
{
    assert_true (s_pump_until (fx, s_has_input, worker->sock));
    zframe_t *frame = zframe_recv (worker->sock);
    assert_non_null (frame);
    proto_job_t *job =
        proto_job_decode (zframe_data (frame), zframe_size (frame));
    zframe_destroy (&frame);
    assert_non_null (job);
    worker->last_seq = job->seq;
    return job;
}


static void
s_worker_expect (s_fixture_t *fx,
                 s_worker_t *worker,
                 const char *task,
                 uint64_t seq)
{
    proto_job_t *job = s_worker_recv (fx, worker);
    assert_string_equal (job->task, task);
    assert_string_equal (job->type, "hello");
    assert_int_equal (job->seq, seq);
    proto_job_destroy (&job);
}


//  ---------------------------------------------------------------------
//  Tests

static void
test_broker_binds_and_destroy_nulls_the_pointer (void **state)
{
    (void) state;
    s_fixture_t *fx = s_fixture_new (1000, 10);
    assert_int_equal (bk_broker_queued (fx->broker), 0);
    assert_int_equal (bk_broker_workers (fx->broker), 0);
    assert_non_null (bk_broker_backend (fx->broker));
    //  a second broker cannot bind the same endpoints
    bk_broker_t *other = bk_broker_new (&fx->config);
    assert_null (other);
    bk_broker_destroy (&fx->broker);
    assert_null (fx->broker);
    bk_broker_destroy (&fx->broker);
    assert_null (fx->broker);
    s_fixture_destroy (&fx);
}


static void
test_one_slot_worker_gets_the_next_job_only_after_done (void **state)
{
    (void) state;
    s_fixture_t *fx = s_fixture_new (1000, 10);
    s_worker_t worker = s_worker_join (fx, "w1", 1, 1);
    s_submit (fx, "t1");
    s_submit (fx, "t2");
    s_worker_expect (fx, &worker, "t1", 1);
    assert_int_equal (s_queued (fx), 1); //  t2 handled and held back
    assert_false (s_has_input (worker.sock));
    s_worker_send (&worker, PROTO_DONE, 1, "t1");
    s_worker_expect (fx, &worker, "t2", 2);
    assert_int_equal (s_queued (fx), 0);
    zsock_destroy (&worker.sock);
    s_fixture_destroy (&fx);
}


static void
test_two_workers_share_the_jobs (void **state)
{
    (void) state;
    s_fixture_t *fx = s_fixture_new (1000, 10);
    s_worker_t w1 = s_worker_join (fx, "w1", 1, 1);
    s_worker_t w2 = s_worker_join (fx, "w2", 1, 2);
    s_submit (fx, "t1");
    s_submit (fx, "t2");
    proto_job_t *j1 = s_worker_recv (fx, &w1);
    proto_job_t *j2 = s_worker_recv (fx, &w2);
    assert_int_equal (j1->seq, 1);
    assert_int_equal (j2->seq, 1);
    assert_string_not_equal (j1->task, j2->task);
    assert_int_equal (s_queued (fx), 0);
    proto_job_destroy (&j1);
    proto_job_destroy (&j2);
    zsock_destroy (&w1.sock);
    zsock_destroy (&w2.sock);
    s_fixture_destroy (&fx);
}


static void
test_two_slot_worker_gets_two_jobs (void **state)
{
    (void) state;
    s_fixture_t *fx = s_fixture_new (1000, 10);
    s_worker_t worker = s_worker_join (fx, "w1", 2, 1);
    s_submit (fx, "t1");
    s_submit (fx, "t2");
    s_submit (fx, "t3");
    s_worker_expect (fx, &worker, "t1", 1);
    s_worker_expect (fx, &worker, "t2", 2);
    assert_int_equal (s_queued (fx), 1);
    s_worker_send (&worker, PROTO_DONE, 1, "t1");
    s_worker_expect (fx, &worker, "t3", 3);
    zsock_destroy (&worker.sock);
    s_fixture_destroy (&fx);
}


static void
test_a_waiting_task_is_queued_once (void **state)
{
    (void) state;
    s_fixture_t *fx = s_fixture_new (1000, 10);
    s_submit (fx, "t1");
    s_submit (fx, "t1");
    s_submit (fx, "t2");
    s_submit (fx, "t1");
    assert_int_equal (s_queued (fx), 2);
    s_worker_t worker = s_worker_join (fx, "w1", 5, 1);
    s_worker_expect (fx, &worker, "t1", 1);
    s_worker_expect (fx, &worker, "t2", 2);
    assert_int_equal (s_queued (fx), 0);
    assert_false (s_has_input (worker.sock));
    //  once handed out, a re-sent task is queued again
    s_submit (fx, "t1");
    s_worker_expect (fx, &worker, "t1", 3);
    zsock_destroy (&worker.sock);
    s_fixture_destroy (&fx);
}


static void
test_a_full_queue_drops_the_newest_job (void **state)
{
    (void) state;
    s_fixture_t *fx = s_fixture_new (1000, 2);
    s_submit (fx, "t1");
    s_submit (fx, "t2");
    s_submit (fx, "t3");
    assert_int_equal (s_queued (fx), 2);
    s_worker_t worker = s_worker_join (fx, "w1", 3, 1);
    s_worker_expect (fx, &worker, "t1", 1);
    s_worker_expect (fx, &worker, "t2", 2);
    assert_int_equal (s_queued (fx), 0);
    assert_false (s_has_input (worker.sock));
    zsock_destroy (&worker.sock);
    s_fixture_destroy (&fx);
}


static void
test_silent_worker_is_forgotten (void **state)
{
    (void) state;
    const int64_t heartbeat_ms = 30;
    s_fixture_t *fx = s_fixture_new (heartbeat_ms, 10);
    s_worker_t quiet = s_worker_join (fx, "quiet", 1, 1);
    int64_t quiet_since = edge_mono_ms ();
    s_worker_t alive = s_worker_join (fx, "alive", 1, 2);
    //  alive heartbeats; quiet says nothing more
    int64_t deadline = edge_mono_ms () + S_DEADLINE_MS;
    while (bk_broker_workers (fx->broker) == 2 && edge_mono_ms () < deadline) {
        s_worker_send (&alive, PROTO_HEARTBEAT, 1, NULL);
        int64_t next = edge_mono_ms () + heartbeat_ms;
        while (edge_mono_ms () < next)
            assert_int_equal (bk_broker_run_once (fx->broker, 5), 0);
    }
    assert_int_equal (bk_broker_workers (fx->broker), 1);
    assert_true (edge_mono_ms () - quiet_since >= 3 * heartbeat_ms);
    //  the one left is alive: it gets the job
    s_submit (fx, "t1");
    s_worker_expect (fx, &alive, "t1", 1);
    zsock_destroy (&quiet.sock);
    zsock_destroy (&alive.sock);
    s_fixture_destroy (&fx);
}


static void
test_metrics_follow_jobs_and_workers (void **state)
{
    (void) state;
    const int64_t heartbeat_ms = 30;
    edge_metrics_t *metrics = edge_metrics_new ();
    s_fixture_t *fx = edge_calloc (1, sizeof *fx);
    snprintf (fx->frontend, sizeof fx->frontend, "tcp://127.0.0.1:%d",
              edge_testutil_free_port ());
    snprintf (fx->backend, sizeof fx->backend, "tcp://127.0.0.1:%d",
              edge_testutil_free_port ());
    fx->config = (bk_broker_config_t){fx->frontend, fx->backend, heartbeat_ms,
                                      10, metrics};
    s_broker_start (fx);
    fx->gateway = s_dealer_new (fx->frontend, NULL);
    s_submit (fx, "t1");
    s_submit (fx, "t2");
    assert_int_equal (s_queued (fx), 2);
    char *text = edge_metrics_render (metrics);
    assert_true (edge_testutil_has_line (text, "edge_broker_jobs_queued 2"));
    assert_true (edge_testutil_has_line (text, "edge_broker_workers 0"));
    free (text);
    s_worker_t worker = s_worker_join (fx, "w", 1, 1);
    s_worker_expect (fx, &worker, "t1", 1);
    //  The worker goes silent: 3 heartbeats missed, then it is forgotten
    int64_t deadline = edge_mono_ms () + S_DEADLINE_MS;
    while (bk_broker_workers (fx->broker) == 1 && edge_mono_ms () < deadline)
        assert_int_equal (bk_broker_run_once (fx->broker, 5), 0);
    text = edge_metrics_render (metrics);
    assert_true (edge_testutil_has_line (text, "edge_broker_jobs_dispatched_total 1"));
    assert_true (edge_testutil_has_line (text, "edge_broker_jobs_queued 1"));
    assert_true (edge_testutil_has_line (text, "edge_broker_workers 0"));
    assert_true (edge_testutil_has_line (text, "edge_broker_heartbeats_missed_total 3"));
    assert_true (edge_testutil_has_line (text, "edge_broker_workers_lost_total 1"));
    free (text);
    zsock_destroy (&worker.sock);
    s_fixture_destroy (&fx);
    edge_metrics_destroy (&metrics);
}


typedef struct {
    s_fixture_t *fx;
    s_worker_t *worker;
    int64_t next_ms;
} s_rejoin_t;


//  Heartbeat every 20 ms until the (restarted) broker knows the worker.
static bool
s_heartbeat_until_known (void *arg)
{
    s_rejoin_t *rejoin = arg;
    if (bk_broker_workers (rejoin->fx->broker) == 1)
        return true;
    if (edge_mono_ms () >= rejoin->next_ms) {
        s_worker_send (rejoin->worker, PROTO_HEARTBEAT, 1, NULL);
        rejoin->next_ms = edge_mono_ms () + 20;
    }
    return false;
}


static void
test_restarted_broker_relearns_workers_from_heartbeats (void **state)
{
    (void) state;
    s_fixture_t *fx = s_fixture_new (1000, 10);
    s_worker_t worker = s_worker_join (fx, "w1", 1, 1);
    s_submit (fx, "t1");
    s_worker_expect (fx, &worker, "t1", 1);
    s_worker_send (&worker, PROTO_DONE, 1, "t1");

    bk_broker_destroy (&fx->broker); //  restart: all broker state is gone
    s_broker_start (fx);
    assert_int_equal (bk_broker_workers (fx->broker), 0);
    s_rejoin_t rejoin = {fx, &worker, 0};
    assert_true (s_pump_until (fx, s_heartbeat_until_known, &rejoin));
    //  a new gateway connection (the old one may lag in reconnecting)
    zsock_destroy (&fx->gateway);
    fx->gateway = s_dealer_new (fx->frontend, NULL);
    s_submit (fx, "t2");
    s_worker_expect (fx, &worker, "t2", 2); //  seq continues from last_seq
    zsock_destroy (&worker.sock);
    s_fixture_destroy (&fx);
}


static void
test_versions_query_lists_live_workers (void **state)
{
    (void) state;
    s_fixture_t *fx = s_fixture_new (1000, 10);
    s_worker_t w1 = s_worker_join (fx, "w1", 2, 1);
    s_worker_t w2 = s_worker_join (fx, "w2", 1, 2);
    s_submit (fx, "t1"); //  to w1 (most credit), leaving it 1 free
    s_worker_expect (fx, &w1, "t1", 1);
    s_submit (fx, "t2"); //  a tie: to w2, used less recently
    s_worker_expect (fx, &w2, "t2", 1);
    s_submit (fx, "t3"); //  to w1
    s_worker_expect (fx, &w1, "t3", 2);
    s_submit (fx, "t4"); //  nobody has credit
    proto_answer_t *answer = s_query (fx, PROTO_QUERY_VERSIONS, 42);
    assert_string_equal (answer->broker_version, EDGE_VERSION);
    assert_int_equal (answer->queued, 1);
    assert_int_equal (answer->nworkers, 2);
    for (size_t i = 0; i < answer->nworkers; i++) {
        proto_worker_info_t *info = &answer->workers[i];
        bool is_w1 = strcmp (info->id, "w1") == 0;
        assert_true (is_w1 || strcmp (info->id, "w2") == 0);
        assert_string_equal (info->version, "0.1.0");
        assert_int_equal (info->capacity, is_w1 ? 2 : 1);
        assert_int_equal (info->free, 0);
        assert_true (info->idle_ms < S_DEADLINE_MS);
    }
    proto_answer_destroy (&answer);
    answer = s_query (fx, PROTO_QUERY_PING, 43); //  ping: no workers
    assert_int_equal (answer->nworkers, 0);
    assert_int_equal (answer->queued, 1);
    proto_answer_destroy (&answer);
    zsock_destroy (&w1.sock);
    zsock_destroy (&w2.sock);
    s_fixture_destroy (&fx);
}


static void
s_send_raw (zsock_t *sock, const char *data, size_t size, bool is_more)
{
    assert_int_equal (
        zmq_send (zsock_resolve (sock), data, size, is_more ? ZMQ_SNDMORE : 0),
        (int) size);
}


static void
test_malformed_messages_are_dropped_and_the_broker_goes_on (void **state)
{
    (void) state;
    edge_log_threshold = EDGE_LOG_ERROR; //  the drops warn, as they should
    s_fixture_t *fx = s_fixture_new (1000, 10);
    //  frontend: garbage, empty, two frames, a READY, a JOB with an empty
    //  task, a QUERY without fields, an array32 header claiming 4G items
    s_send_raw (fx->gateway, "garbage", 7, false);
    s_send_raw (fx->gateway, "", 0, false);
    s_send_raw (fx->gateway, "", 0, true);
    s_send_raw (fx->gateway, "x", 1, false);
    s_send_raw (fx->gateway, "\x93\x01\x02\xa1w", 5, false);
    s_send_raw (fx->gateway, "\x95\x01\x01\xa0\xa5hello\x00", 11, false);
    s_send_raw (fx->gateway, "\x92\x01\x05", 3, false);
    s_send_raw (fx->gateway, "\xdd\xff\xff\xff\xff", 5, false);
    assert_int_equal (s_queued (fx), 0);
    //  backend, from the worker to be: garbage, a JOB, a READY with free >
    //  capacity, three frames; then a good READY
    s_worker_t worker = {s_dealer_new (fx->backend, "w1"), "w1", 1, 0};
    s_send_raw (worker.sock, "\xc1", 1, false);
    s_send_raw (worker.sock, "\x95\x01\x01\xa1t\xa5hello\x00", 12, false);
    s_send_raw (worker.sock,
                "\x97\x01\x02\xa2w1\xa5"
                "0.1.0\x01\x02\x00",
                15, false);
    s_send_raw (worker.sock, "a", 1, true);
    s_send_raw (worker.sock, "b", 1, false);
    s_worker_send (&worker, PROTO_READY, 1, NULL);
    s_count_t want = {fx, 1};
    assert_true (s_pump_until (fx, s_has_workers, &want));
    //  and it still works
    s_submit (fx, "t1");
    s_worker_expect (fx, &worker, "t1", 1);
    zsock_destroy (&worker.sock);
    s_fixture_destroy (&fx);
    edge_log_threshold = EDGE_LOG_INFO;
}


static void
test_job_for_a_vanished_worker_goes_to_the_next_one (void **state)
{
    (void) state;
    s_fixture_t *fx = s_fixture_new (1000, 10);
    s_worker_t gone = s_worker_join (fx, "gone", 1, 1);
    s_worker_t next = s_worker_join (fx, "next", 1, 2);
    zactor_t *monitor = zactor_new (zmonitor, bk_broker_backend (fx->broker));
    assert_non_null (monitor);
    zstr_sendx (monitor, "LISTEN", "DISCONNECTED", NULL);
    zstr_sendx (monitor, "START", NULL);
    zsock_wait (monitor);
    zsock_destroy (&gone.sock);
    assert_true (s_pump_until (fx, s_has_input, monitor));
    zmsg_t *event = zmsg_recv (monitor);
    char *name = zmsg_popstr (event);
    assert_string_equal (name, "DISCONNECTED");
    zstr_free (&name);
    zmsg_destroy (&event);
    zactor_destroy (&monitor);
    //  "gone" joined first, so it is chosen first; the send fails
    //  (ROUTER_MANDATORY), the job goes back to the front, then to "next"
    s_submit (fx, "t1");
    s_worker_expect (fx, &next, "t1", 1);
    assert_int_equal (bk_broker_workers (fx->broker), 1);
    assert_int_equal (s_queued (fx), 0);
    zsock_destroy (&next.sock);
    s_fixture_destroy (&fx);
}


int
main (void)
{
    zsys_init ();
    zsys_set_logstream (NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_broker_binds_and_destroy_nulls_the_pointer),
        cmocka_unit_test (
            test_one_slot_worker_gets_the_next_job_only_after_done),
        cmocka_unit_test (test_two_workers_share_the_jobs),
        cmocka_unit_test (test_two_slot_worker_gets_two_jobs),
        cmocka_unit_test (test_a_waiting_task_is_queued_once),
        cmocka_unit_test (test_a_full_queue_drops_the_newest_job),
        cmocka_unit_test (test_silent_worker_is_forgotten),
        cmocka_unit_test (
            test_restarted_broker_relearns_workers_from_heartbeats),
        cmocka_unit_test (test_versions_query_lists_live_workers),
        cmocka_unit_test (
            test_malformed_messages_are_dropped_and_the_broker_goes_on),
        cmocka_unit_test (test_job_for_a_vanished_worker_goes_to_the_next_one),
        cmocka_unit_test (test_metrics_follow_jobs_and_workers),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
