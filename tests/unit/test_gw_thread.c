/*  test_gw_thread - a request thread's broker round trips against a fake
    broker (a ROUTER in its own thread), its Redis PING against a real
    redis-server and its depot store.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "edge_assert.h"
#include "edge_testutil.h"
#include "edge_util.h"
#include "gw_thread.h"
#include "proto_job.h"
#include "proto_query.h"
#include <czmq.h>
#include <pthread.h>
#include <stdlib.h>

#define S_NO_REDIS "redis://127.0.0.1:1/0"

//  The fake broker: answers each QUERY with a stale ANSWER first (another
//  request id), then the right one; records the JOBs it gets.
typedef struct {
    char endpoint[64];
    pthread_t thread;
    volatile int is_ready;
    volatile int stop;
    volatile int jobs; //  JOBs received (2 frames: routing, payload)
    char last_task[64];
    volatile int queries; //  QUERYs answered
} s_broker_t;


static void
s_answer (zsock_t *router,
          zframe_t *routing,
          uint64_t req_id,
          const char *version)
{
    proto_answer_t *answer = proto_answer_new (req_id, version);
    answer->queued = 3;
    proto_answer_add (answer, "w1", "9.9.9", 2, 1, 42);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    proto_answer_encode (answer, &buf);
    zmsg_t *msg = zmsg_new ();
    zmsg_addmem (msg, zframe_data (routing), zframe_size (routing));
    zmsg_addmem (msg, buf.data, buf.size);
    zmsg_send (&msg, router);
    msgpack_sbuffer_destroy (&buf);
    proto_answer_destroy (&answer);
}


static void
s_handle (s_broker_t *self, zsock_t *router, zmsg_t *msg)
{
    zframe_t *routing = zmsg_first (msg);
    zframe_t *payload = zmsg_next (msg);
    if (zmsg_size (msg) != 2)
        return;
    const void *data = zframe_data (payload);
    size_t size = zframe_size (payload);
    if (proto_peek_type (data, size) == PROTO_QUERY) {
        proto_query_t query;
        if (proto_query_decode (data, size, &query) == 0) {
            self->queries++;
            s_answer (router, routing, query.req_id + 100, "stale");
            s_answer (router, routing, query.req_id, "1.2.3");
        }
    }
    else if (proto_peek_type (data, size) == PROTO_JOB) {
        proto_job_t *job = proto_job_decode (data, size);
        if (job) {
            snprintf (self->last_task, sizeof self->last_task, "%s", job->task);
            self->jobs++;
        }
        proto_job_destroy (&job);
    }
}


static void *
s_broker_run (void *arg)
{
    s_broker_t *self = arg;
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    int port = zsock_bind (router, "tcp://127.0.0.1:*");
    edge_assert (port > 0); //  test setup, not under test
    snprintf (self->endpoint, sizeof self->endpoint, "tcp://127.0.0.1:%d",
              port);
    self->is_ready = 1;
    zpoller_t *poller = zpoller_new (router, NULL);
    while (!self->stop) {
        if (!zpoller_wait (poller, 20))
            continue;
        zmsg_t *msg = zmsg_recv (router);
        if (msg)
            s_handle (self, router, msg);
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&router);
    return NULL;
}


static bool
s_is_ready (void *arg)
{
    return ((s_broker_t *) arg)->is_ready;
}


static void
s_broker_start (s_broker_t *self)
{
    memset (self, 0, sizeof *self);
    assert_int_equal (pthread_create (&self->thread, NULL, s_broker_run, self),
                      0);
    assert_true (edge_testutil_poll (s_is_ready, self, 5000));
}


static void
s_broker_stop (s_broker_t *self)
{
    self->stop = 1;
    pthread_join (self->thread, NULL);
}


static void
test_constructor_and_destroy_nulls (void **state)
{
    (void) state;
    gw_thread_t *thread = gw_thread_new (S_NO_REDIS, 100, "tcp://127.0.0.1:1");
    assert_non_null (thread);
    assert_non_null (gw_thread_redis (thread));
    gw_thread_destroy (&thread);
    assert_null (thread);
    gw_thread_destroy (&thread);
    gw_thread_destroy (NULL);
}


static void
test_query_without_broker_gives_up_at_the_timeout (void **state)
{
    (void) state;
    int port = edge_testutil_free_port ();
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    gw_thread_t *thread = gw_thread_new (S_NO_REDIS, 100, endpoint);
    int64_t start = edge_mono_ms ();
    assert_null (gw_thread_query (thread, PROTO_QUERY_VERSIONS, 200));
    int64_t took = edge_mono_ms () - start;
    assert_true (took >= 190);
    assert_true (took < 2000);
    assert_int_equal (gw_thread_send_job (thread, "hello_x", "hello"), -1);
    gw_thread_destroy (&thread);
}


static void
test_query_returns_the_matching_answer_and_drops_stale_ones (void **state)
{
    (void) state;
    s_broker_t broker;
    s_broker_start (&broker);
    gw_thread_t *thread = gw_thread_new (S_NO_REDIS, 100, broker.endpoint);
    for (int i = 0; i < 5; i++) {
        proto_answer_t *answer =
            gw_thread_query (thread, PROTO_QUERY_VERSIONS, 2000);
        assert_non_null (answer);
        assert_string_equal (answer->broker_version, "1.2.3");
        assert_int_equal (answer->queued, 3);
        assert_int_equal (answer->nworkers, 1);
        assert_string_equal (answer->workers[0].id, "w1");
        proto_answer_destroy (&answer);
    }
    assert_int_equal (broker.queries, 5);
    gw_thread_destroy (&thread);
    s_broker_stop (&broker);
}


static bool
s_has_job (void *arg)
{
    return ((s_broker_t *) arg)->jobs == 1;
}


static void
test_job_reaches_the_broker_as_one_frame (void **state)
{
    (void) state;
    s_broker_t broker;
    s_broker_start (&broker);
    gw_thread_t *thread = gw_thread_new (S_NO_REDIS, 100, broker.endpoint);
    //  The first query waits for the connection; then jobs go at once
    proto_answer_t *answer = gw_thread_query (thread, PROTO_QUERY_PING, 2000);
    assert_non_null (answer);
    proto_answer_destroy (&answer);
    assert_int_equal (gw_thread_send_job (thread, "hello_abc", "hello"), 0);
    assert_true (edge_testutil_poll (s_has_job, &broker, 5000));
    assert_string_equal (broker.last_task, "hello_abc");
    gw_thread_destroy (&thread);
    s_broker_stop (&broker);
}


static void
test_redis_ping_fails_without_redis_and_works_with_it (void **state)
{
    (void) state;
    gw_thread_t *thread = gw_thread_new (S_NO_REDIS, 100, "tcp://127.0.0.1:1");
    assert_int_equal (gw_thread_redis_ping (thread), -1);
    gw_thread_destroy (&thread);
    edge_testutil_redis_t redis;
    int rc = edge_testutil_redis_start (&redis);
    if (rc == 77)
        skip ();
    assert_int_equal (rc, 0);
    thread = gw_thread_new (redis.url, 1000, "tcp://127.0.0.1:1");
    assert_int_equal (gw_thread_redis_ping (thread), 0);
    assert_int_equal (gw_thread_redis_ping (thread), 0);
    gw_thread_destroy (&thread);
    edge_testutil_redis_stop (&redis);
}


static void
test_depot_store_is_opened_once_on_first_use (void **state)
{
    (void) state;
    gw_thread_t *thread = gw_thread_new (S_NO_REDIS, 100, "tcp://127.0.0.1:1");
    assert_null (gw_thread_depot (thread)); //  no depot set
    char dir[] = "/tmp/test_gw_thread_XXXXXX";
    assert_non_null (mkdtemp (dir));
    char *url = edge_sprintf ("file://%s/depot", dir);
    edge_depot_cfg_t cfg = {.url = url};
    gw_thread_set_depot (thread, &cfg, 0);
    edge_store_t *store = gw_thread_depot (thread);
    assert_non_null (store);
    assert_string_equal (edge_store_kind (store), "fs");
    assert_ptr_equal (gw_thread_depot (thread), store);
    gw_thread_destroy (&thread);
    char *cmd = edge_sprintf ("rm -rf '%s'", dir);
    assert_int_equal (system (cmd), 0);
    free (cmd);
    free (url);
}


int
main (void)
{
    zsys_init ();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_constructor_and_destroy_nulls),
        cmocka_unit_test (test_query_without_broker_gives_up_at_the_timeout),
        cmocka_unit_test (
            test_query_returns_the_matching_answer_and_drops_stale_ones),
        cmocka_unit_test (test_job_reaches_the_broker_as_one_frame),
        cmocka_unit_test (
            test_redis_ping_fails_without_redis_and_works_with_it),
        cmocka_unit_test (test_depot_store_is_opened_once_on_first_use),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
