/*  test_nt_notifier - the event consumer against a real redis-server:
    counting, claiming, and creating deliveries for matching subscriptions.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "edge_redis.h"
#include "edge_testutil.h"
#include "edge_util.h"
#include "nt_notifier.h"
#include <stdio.h>
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
    nt_notifier_opts_t opts = {"notifiers", "n1", 200, 10, 60000};
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
        int count = nt_notifier_poll (fx->notifier, 50);
        assert_true (count >= 0);
        total += count;
    }
    assert_int_equal (total, 25);
    assert_int_equal (nt_notifier_poll (fx->notifier, 50), 0);
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
    assert_int_equal (nt_notifier_poll (fx->notifier, 50), 0); //  creates group
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
        assert_true (nt_notifier_poll (fx->notifier, 50) >= 0);
    assert_int_equal (s_pending (fx->redis), 0);
    assert_int_equal (
        s_int (fx->redis, "HGET e:notifier:counts %s", "hello.end"), 3);
}


static void
test_own_pending_entries_are_handled_after_a_restart (void **state)
{
    fixture_t *fx = *state;
    assert_int_equal (nt_notifier_poll (fx->notifier, 50), 0);
    s_add_event (fx->redis, "hello_c", "submit");
    //  The same consumer name read it in a previous life and crashed.
    redisReply *reply = edge_redis_command (
        fx->redis, "XREADGROUP GROUP notifiers n2 COUNT 10 STREAMS e:events >");
    assert_non_null (reply);
    freeReplyObject (reply);
    nt_notifier_opts_t opts = {"notifiers", "n2", 60000, 10, 60000};
    nt_notifier_t *restarted = nt_notifier_new (fx->redis, &opts);
    assert_int_equal (nt_notifier_poll (restarted, 50), 1);
    assert_int_equal (s_pending (fx->redis), 0);
    nt_notifier_destroy (&restarted);
}


static void
s_ok (redisReply *reply)
{
    assert_non_null (reply);
    assert_int_not_equal (reply->type, REDIS_REPLY_ERROR);
    freeReplyObject (reply);
}


//  A subscription of org acme as the gateway writes it.
static void
s_subscribe (edge_redis_t *redis,
             const char *name,
             const char *state,
             const char *types,
             const char *events)
{
    s_ok (edge_redis_command (redis, "ZADD e:{acme}:subs 1 %s", name));
    s_ok (edge_redis_command (
        redis,
        "HSET e:{acme}:sub:%s name %s url http://hooks.test/x types %s "
        "events %s secret whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= "
        "state %s",
        name, name, types, events, state));
}


static void
s_add_org_event (edge_redis_t *redis,
                 const char *org,
                 const char *type,
                 const char *task,
                 const char *event,
                 char *id,
                 size_t size)
{
    redisReply *reply = edge_redis_command (
        redis,
        "XADD e:events * taskName %s type %s event %s orgName %s "
        "timestamp 2026-01-01T00:00:00.000Z",
        task, type, event, org);
    assert_non_null (reply);
    assert_int_equal (reply->type, REDIS_REPLY_STRING);
    snprintf (id, size, "%s", reply->str);
    freeReplyObject (reply);
}


static bool
s_exists (edge_redis_t *redis, const char *event_id, const char *sub)
{
    char id[160];
    snprintf (id, sizeof id, "%s-%s", event_id, sub);
    return s_int (redis, "EXISTS e:dlv:%s", id) == 1;
}


static void
test_deliveries_are_created_for_matching_enabled_subscriptions (void **state)
{
    fixture_t *fx = *state;
    s_subscribe (fx->redis, "ends", "enabled", "[\"dltar\"]", "[\"end\"]");
    s_subscribe (fx->redis, "off", "disabled", "[\"dltar\"]", "[\"end\"]");
    s_subscribe (fx->redis, "broken", "enabled", "not json", "[\"end\"]");
    char match[64], wrong_event[64], wrong_type[64], other_org[64];
    s_add_org_event (fx->redis, "acme", "dltar", "dltar_t1", "end", match,
                     sizeof match);
    s_add_org_event (fx->redis, "acme", "dltar", "dltar_t1", "begin",
                     wrong_event, sizeof wrong_event);
    s_add_org_event (fx->redis, "acme", "mkraw", "mkraw_t1", "end", wrong_type,
                     sizeof wrong_type);
    s_add_org_event (fx->redis, "other", "dltar", "dltar_t2", "end", other_org,
                     sizeof other_org);
    s_add_event (fx->redis, "hello_noorg", "end"); //  no org: no deliveries
    assert_int_equal (nt_notifier_poll (fx->notifier, 50), 5);
    assert_true (s_exists (fx->redis, match, "ends"));
    assert_false (s_exists (fx->redis, match, "off"));
    assert_false (s_exists (fx->redis, match, "broken"));
    assert_false (s_exists (fx->redis, wrong_event, "ends"));
    assert_false (s_exists (fx->redis, wrong_type, "ends"));
    redisReply *reply = edge_redis_command (fx->redis, "KEYS e:dlv:*");
    assert_non_null (reply);
    assert_int_equal (reply->elements, 1);
    freeReplyObject (reply);
    //  The delivery record as the contract lays it out
    char key[128];
    snprintf (key, sizeof key, "e:dlv:%s-ends", match);
    reply = edge_redis_command (fx->redis, "HGETALL %s", key);
    assert_non_null (reply);
    assert_int_equal (reply->elements, 2 * 14);
    freeReplyObject (reply);
    assert_int_equal (s_int (fx->redis, "ZCARD %s", "e:deliveries:due"), 1);
    assert_int_equal (
        s_int (fx->redis, "LLEN %s", "e:{acme}:sub:ends:chain:dltar_t1"), 1);
    assert_int_equal (
        s_int (fx->redis, "SCARD %s", "e:{acme}:sub:ends:pending"), 1);
    assert_int_equal (s_pending (fx->redis), 0);
}


static void
test_later_events_of_a_task_wait_behind_the_chain_head (void **state)
{
    fixture_t *fx = *state;
    s_subscribe (fx->redis, "all", "enabled", "[\"dltar\"]",
                 "[\"submit\",\"begin\",\"end\"]");
    char first[64], second[64], other[64];
    s_add_org_event (fx->redis, "acme", "dltar", "dltar_a", "submit", first,
                     sizeof first);
    s_add_org_event (fx->redis, "acme", "dltar", "dltar_a", "begin", second,
                     sizeof second);
    s_add_org_event (fx->redis, "acme", "dltar", "dltar_b", "submit", other,
                     sizeof other);
    assert_int_equal (nt_notifier_poll (fx->notifier, 50), 3);
    char id[128];
    snprintf (id, sizeof id, "%s-all", first);
    assert_true (s_int (fx->redis, "ZSCORE e:deliveries:due %s", id) > 0);
    snprintf (id, sizeof id, "%s-all", other);
    assert_true (s_int (fx->redis, "ZSCORE e:deliveries:due %s", id) > 0);
    snprintf (id, sizeof id, "%s-all", second);
    assert_int_equal (s_int (fx->redis, "ZSCORE e:deliveries:due %s", id), 0);
    char key[160];
    snprintf (key, sizeof key, "e:dlv:%s", id);
    assert_int_equal (s_int (fx->redis, "HGET %s nextAt", key), 0);
    assert_int_equal (
        s_int (fx->redis, "LLEN %s", "e:{acme}:sub:all:chain:dltar_a"), 2);
}


//  An event of org acme with its task sequence number.
static void
s_add_seq_event (edge_redis_t *redis,
                 const char *task,
                 const char *event,
                 const char *seq,
                 char *id,
                 size_t size)
{
    redisReply *reply = edge_redis_command (
        redis,
        "XADD e:events * taskName %s type dltar event %s orgName acme "
        "seq %s timestamp 2026-01-01T00:00:00.000Z",
        task, event, seq);
    assert_non_null (reply);
    assert_int_equal (reply->type, REDIS_REPLY_STRING);
    snprintf (id, size, "%s", reply->str);
    freeReplyObject (reply);
}


static void
test_a_tasks_events_are_taken_in_order_when_a_dead_consumer_holds_one (
    void **state)
{
    fixture_t *fx = *state; //  n1 claims after 200 ms idle
    s_subscribe (fx->redis, "all", "enabled", "[\"dltar\"]",
                 "[\"submit\",\"begin\",\"end\"]");
    assert_true (nt_notifier_poll (fx->notifier, 0) >= 0); //  the group
    char submit[64], begin[64], end[64];
    s_add_seq_event (fx->redis, "dltar_o", "submit", "1", submit,
                     sizeof submit);
    //  A notifier that read the first event and died
    s_ok (edge_redis_command (
        fx->redis, "XREADGROUP GROUP notifiers ghost COUNT 1 STREAMS "
                   "e:events >"));
    s_add_seq_event (fx->redis, "dltar_o", "begin", "2", begin, sizeof begin);
    s_add_seq_event (fx->redis, "dltar_o", "end", "3", end, sizeof end);
    //  The later events wait: neither acknowledged nor delivered
    assert_true (nt_notifier_poll (fx->notifier, 0) >= 0);
    assert_int_equal (s_pending (fx->redis), 3);
    assert_false (s_exists (fx->redis, begin, "all"));
    assert_int_equal (
        s_int (fx->redis, "HGET e:notifier:counts %s", "dltar.begin"), 0);
    //  Once the first is claimed from the dead consumer, all go in order
    int64_t deadline = edge_mono_ms () + 5000;
    while (s_pending (fx->redis) > 0 && edge_mono_ms () < deadline)
        assert_true (nt_notifier_poll (fx->notifier, 20) >= 0);
    assert_int_equal (s_pending (fx->redis), 0);
    redisReply *chain = edge_redis_command (
        fx->redis, "LRANGE e:{acme}:sub:all:chain:dltar_o 0 -1");
    assert_non_null (chain);
    assert_int_equal (chain->elements, 3);
    char want[3][128];
    snprintf (want[0], sizeof want[0], "%s-all", submit);
    snprintf (want[1], sizeof want[1], "%s-all", begin);
    snprintf (want[2], sizeof want[2], "%s-all", end);
    for (int i = 0; i < 3; i++)
        assert_string_equal (chain->element[i]->str, want[i]);
    freeReplyObject (chain);
    assert_int_equal (s_int (fx->redis, "GET %s", "e:evseq:dltar_o"), 3);
}


//  One read, one script call: a task's events in the same batch see each
//  other. seq 2 is in the stream before seq 1 (two writers raced): seq 2
//  waits, seq 1 and another task's event go, and the next read takes seq 2.
static void
test_a_batch_takes_a_tasks_events_in_seq_order (void **state)
{
    fixture_t *fx = *state;
    s_subscribe (fx->redis, "all", "enabled", "[\"dltar\"]",
                 "[\"submit\",\"begin\",\"end\"]");
    assert_true (nt_notifier_poll (fx->notifier, 0) >= 0); //  the group
    char begin[64], submit[64], other[64], end[64];
    s_add_seq_event (fx->redis, "dltar_b", "begin", "2", begin, sizeof begin);
    s_add_seq_event (fx->redis, "dltar_b", "submit", "1", submit,
                     sizeof submit);
    s_add_seq_event (fx->redis, "dltar_c", "submit", "1", other, sizeof other);
    assert_int_equal (nt_notifier_poll (fx->notifier, 0), 3);
    assert_int_equal (s_pending (fx->redis), 1); //  begin waits
    assert_true (s_exists (fx->redis, submit, "all"));
    assert_true (s_exists (fx->redis, other, "all"));
    assert_false (s_exists (fx->redis, begin, "all"));
    assert_int_equal (s_int (fx->redis, "GET %s", "e:evseq:dltar_b"), 1);
    assert_int_equal (
        s_int (fx->redis, "HGET e:notifier:counts %s", "dltar.submit"), 2);
    //  begin and end (written now) go in one later read, in order
    s_add_seq_event (fx->redis, "dltar_b", "end", "3", end, sizeof end);
    int64_t deadline = edge_mono_ms () + 5000;
    while (s_pending (fx->redis) > 0 && edge_mono_ms () < deadline)
        assert_true (nt_notifier_poll (fx->notifier, 20) >= 0);
    assert_int_equal (s_pending (fx->redis), 0);
    assert_int_equal (s_int (fx->redis, "GET %s", "e:evseq:dltar_b"), 3);
    redisReply *chain = edge_redis_command (
        fx->redis, "LRANGE e:{acme}:sub:all:chain:dltar_b 0 -1");
    assert_non_null (chain);
    assert_int_equal (chain->elements, 3);
    char want[128];
    snprintf (want, sizeof want, "%s-all", submit);
    assert_string_equal (chain->element[0]->str, want);
    snprintf (want, sizeof want, "%s-all", begin);
    assert_string_equal (chain->element[1]->str, want);
    snprintf (want, sizeof want, "%s-all", end);
    assert_string_equal (chain->element[2]->str, want);
    freeReplyObject (chain);
}


static void
test_an_event_whose_predecessor_never_comes_goes_after_the_wait (void **state)
{
    fixture_t *fx = *state;
    nt_notifier_opts_t opts = {"notifiers", "impatient", 60000, 10, 1000};
    nt_notifier_t *notifier = nt_notifier_new (fx->redis, &opts);
    assert_true (nt_notifier_poll (notifier, 0) >= 0);
    char lone[64];
    //  seq 5: events 1..4 were trimmed from the stream long ago
    s_add_seq_event (fx->redis, "dltar_lost", "end", "5", lone, sizeof lone);
    assert_true (nt_notifier_poll (notifier, 0) >= 0);
    assert_int_equal (s_pending (fx->redis), 1); //  waits
    int64_t deadline = edge_mono_ms () + 5000;
    while (s_pending (fx->redis) > 0 && edge_mono_ms () < deadline)
        assert_true (nt_notifier_poll (notifier, 20) >= 0);
    assert_int_equal (s_pending (fx->redis), 0); //  then goes
    assert_int_equal (s_int (fx->redis, "GET %s", "e:evseq:dltar_lost"), 5);
    nt_notifier_destroy (&notifier);
}


static void
test_unreachable_redis_is_reported_as_an_error (void **state)
{
    fixture_t *fx = *state;
    edge_redis_t *dead = edge_redis_new ("redis://127.0.0.1:1/0", 200);
    nt_notifier_opts_t opts = {"notifiers", "n3", 1000, 10, 60000};
    nt_notifier_t *notifier = nt_notifier_new (dead, &opts);
    assert_int_equal (nt_notifier_poll (notifier, 50), -1);
    nt_notifier_destroy (&notifier);
    edge_redis_destroy (&dead);
    (void) fx;
}


int
main (void)
{
    int rc = edge_testutil_redis_open (&s_server, NULL, 0);
    if (rc)
        return rc;
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
            test_deliveries_are_created_for_matching_enabled_subscriptions,
            s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_later_events_of_a_task_wait_behind_the_chain_head, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_tasks_events_are_taken_in_order_when_a_dead_consumer_holds_one,
            s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_batch_takes_a_tasks_events_in_seq_order,
            s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_an_event_whose_predecessor_never_comes_goes_after_the_wait,
            s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_unreachable_redis_is_reported_as_an_error, s_setup,
            s_teardown),
    };
    rc = cmocka_run_group_tests (tests, NULL, NULL);
    edge_testutil_redis_close (&s_server, NULL);
    return rc;
}
