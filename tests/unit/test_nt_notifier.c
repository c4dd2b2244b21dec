/*  test_nt_notifier - the event consumer against a real redis-server.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "edge_redis.h"
#include "edge_testutil.h"
#include "edge_util.h"
#include "nt_notifier.h"
#include <stdlib.h>
#include <string.h>

static edge_testutil_redis_t s_server;

typedef struct {
    edge_redis_t *redis;
    nt_notifier_t *notifier;
} fixture_t;


static long long
s_int (edge_redis_t *redis, const char *fmt, const char *arg)
{
    redisReply *reply = edge_redis_command (redis, fmt, arg);
    assert_non_null (reply);
    long long value = 0;
    if (reply->type == REDIS_REPLY_INTEGER)
        value = reply->integer;
    else if (reply->type == REDIS_REPLY_STRING)
        value = atoll (reply->str);
    freeReplyObject (reply);
    return value;
}


static long long
s_pending (edge_redis_t *redis)
{
    redisReply *reply =
        edge_redis_command (redis, "XPENDING e:events notifiers");
    assert_non_null (reply);
    assert_int_equal (reply->type, REDIS_REPLY_ARRAY);
    long long count = reply->element[0]->integer;
    freeReplyObject (reply);
    return count;
}


static void
s_add_event (edge_redis_t *redis, const char *task, const char *event)
{
    redisReply *reply = edge_redis_command (
        redis, "XADD e:events * taskName %s type hello event %s createdMs 1",
        task, event);
    assert_non_null (reply);
    assert_int_equal (reply->type, REDIS_REPLY_STRING);
    freeReplyObject (reply);
}


static int
s_setup (void **state)
{
    fixture_t *fx = edge_calloc (1, sizeof *fx);
    fx->redis = edge_redis_new (s_server.url, 3000);
    redisReply *reply = edge_redis_command (fx->redis, "FLUSHALL");
    assert_non_null (reply);
    freeReplyObject (reply);
    nt_notifier_opts_t opts = {"notifiers", "n1", 200, 50, 10};
    fx->notifier = nt_notifier_new (fx->redis, &opts);
    *state = fx;
    return 0;
}


static int
s_teardown (void **state)
{
    fixture_t *fx = *state;
    nt_notifier_destroy (&fx->notifier);
    assert_null (fx->notifier);
    nt_notifier_destroy (&fx->notifier); //  NULL-safe
    edge_redis_destroy (&fx->redis);
    free (fx);
    return 0;
}


static void
test_events_written_before_the_group_exists_are_counted_once (void **state)
{
    fixture_t *fx = *state;
    for (int i = 0; i < 25; i++) //  more than one batch of 10
        s_add_event (fx->redis, "hello_a", i % 2 ? "begin" : "submit");
    int total = 0;
    for (int round = 0; round < 10 && total < 25; round++) {
        int count = nt_notifier_poll (fx->notifier);
        assert_true (count >= 0);
        total += count;
    }
    assert_int_equal (total, 25);
    assert_int_equal (nt_notifier_poll (fx->notifier), 0);
    assert_int_equal (
        s_int (fx->redis, "HGET e:notifier:counts %s", "hello.submit"), 13);
    assert_int_equal (
        s_int (fx->redis, "HGET e:notifier:counts %s", "hello.begin"), 12);
    assert_int_equal (s_pending (fx->redis), 0);
    assert_int_equal (nt_notifier_handled (fx->notifier), 25);
}


static void
test_entries_pending_on_a_dead_consumer_are_claimed_after_idle (void **state)
{
    fixture_t *fx = *state;
    assert_int_equal (nt_notifier_poll (fx->notifier), 0); //  creates group
    for (int i = 0; i < 3; i++)
        s_add_event (fx->redis, "hello_b", "end");
    //  A consumer that read the entries and died before acknowledging them.
    redisReply *reply = edge_redis_command (
        fx->redis,
        "XREADGROUP GROUP notifiers ghost COUNT 10 STREAMS e:events >");
    assert_non_null (reply);
    freeReplyObject (reply);
    assert_int_equal (s_pending (fx->redis), 3);
    int64_t deadline = edge_mono_ms () + 5000;
    while (s_pending (fx->redis) > 0 && edge_mono_ms () < deadline)
        assert_true (nt_notifier_poll (fx->notifier) >= 0);
    assert_int_equal (s_pending (fx->redis), 0);
    assert_int_equal (
        s_int (fx->redis, "HGET e:notifier:counts %s", "hello.end"), 3);
}


static void
test_own_pending_entries_are_handled_after_a_restart (void **state)
{
    fixture_t *fx = *state;
    assert_int_equal (nt_notifier_poll (fx->notifier), 0);
    s_add_event (fx->redis, "hello_c", "submit");
    //  The same consumer name read it in a previous life and crashed.
    redisReply *reply = edge_redis_command (
        fx->redis, "XREADGROUP GROUP notifiers n2 COUNT 10 STREAMS e:events >");
    assert_non_null (reply);
    freeReplyObject (reply);
    nt_notifier_opts_t opts = {"notifiers", "n2", 60000, 50, 10};
    nt_notifier_t *restarted = nt_notifier_new (fx->redis, &opts);
    assert_int_equal (nt_notifier_poll (restarted), 1);
    assert_int_equal (s_pending (fx->redis), 0);
    nt_notifier_destroy (&restarted);
}


static void
test_unreachable_redis_is_reported_as_an_error (void **state)
{
    fixture_t *fx = *state;
    edge_redis_t *dead = edge_redis_new ("redis://127.0.0.1:1/0", 200);
    nt_notifier_opts_t opts = {"notifiers", "n3", 1000, 50, 10};
    nt_notifier_t *notifier = nt_notifier_new (dead, &opts);
    assert_int_equal (nt_notifier_poll (notifier), -1);
    nt_notifier_destroy (&notifier);
    edge_redis_destroy (&dead);
    (void) fx;
}


int
main (void)
{
    int rc = edge_testutil_redis_start (&s_server);
    if (rc == 77)
        return 77;
    if (rc != 0) {
        fprintf (stderr, "could not start redis-server\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_events_written_before_the_group_exists_are_counted_once,
            s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_entries_pending_on_a_dead_consumer_are_claimed_after_idle,
            s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_own_pending_entries_are_handled_after_a_restart, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_unreachable_redis_is_reported_as_an_error, s_setup,
            s_teardown),
    };
    rc = cmocka_run_group_tests (tests, NULL, NULL);
    edge_testutil_redis_stop (&s_server);
    return rc;
}
