/*  test_nt_store - a round with Redis (nt_store_round): several attempts
    recorded in one call, in order, and the deliveries that became due taken
    in the same round trip; against a real redis-server.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "edge_keys.h"
#include "edge_log.h"
#include "edge_redis.h"
#include "edge_testutil.h"
#include "edge_util.h"
#include "nt_store.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_ORG "acme"

static edge_testutil_redis_t s_server;


static void
s_ok (redisReply *reply)
{
    assert_non_null (reply);
    assert_int_not_equal (reply->type, REDIS_REPLY_ERROR);
    freeReplyObject (reply);
}


//  A pending delivery "<event>-<sub>" of task at the end of its chain; due
//  now when it is the chain's head.
static void
s_delivery (edge_redis_t *redis,
            const char *sub,
            const char *task,
            const char *event_id,
            int64_t now)
{
    char id[128];
    snprintf (id, sizeof id, "%s-%s", event_id, sub);
    s_ok (edge_redis_command (
        redis,
        "HSET e:dlv:%s id %s status pending org %s sub %s taskName %s "
        "eventId %s type hello event end body {} attempt 0",
        id, id, S_ORG, sub, task, event_id));
    s_ok (edge_redis_command (redis, "SADD e:{%s}:sub:%s:pending %s", S_ORG,
                              sub, id));
    redisReply *reply = edge_redis_command (
        redis, "RPUSH e:{%s}:sub:%s:chain:%s %s", S_ORG, sub, task, id);
    assert_non_null (reply);
    if (reply->integer == 1)
        s_ok (edge_redis_command (redis, "ZADD %s %lld %s",
                                  EDGE_KEY_DELIVERIES_DUE, (long long) now,
                                  id));
    freeReplyObject (reply);
}


static char *
s_hget (edge_redis_t *redis, const char *key, const char *field)
{
    redisReply *reply = edge_redis_command (redis, "HGET %s %s", key, field);
    assert_non_null (reply);
    char *value =
        reply->type == REDIS_REPLY_STRING ? edge_strdup (reply->str) : NULL;
    freeReplyObject (reply);
    return value;
}


static void
s_status_is (edge_redis_t *redis, const char *id, const char *want)
{
    char key[160];
    snprintf (key, sizeof key, "e:dlv:%s", id);
    char *status = s_hget (redis, key, "status");
    assert_non_null (status);
    assert_string_equal (status, want);
    free (status);
}


//  The attempt record at index i of sub's attempts list: its deliveryId.
static char *
s_attempt_id (edge_redis_t *redis, const char *sub, int i)
{
    redisReply *reply = edge_redis_command (
        redis, "LINDEX e:{%s}:sub:%s:attempts %d", S_ORG, sub, i);
    assert_non_null (reply);
    assert_int_equal (reply->type, REDIS_REPLY_STRING);
    json_t *record = json_loads (reply->str, 0, NULL);
    freeReplyObject (reply);
    assert_non_null (record);
    char *id = edge_strdup (
        json_string_value (json_object_get (record, "deliveryId")));
    json_decref (record);
    return id;
}


static nt_store_dlv_t *
s_find (nt_store_dlv_t **dlvs, size_t count, const char *id)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp (dlvs[i]->id, id) == 0)
            return dlvs[i];
    return NULL;
}


static void
s_free_all (nt_store_dlv_t **dlvs, size_t count)
{
    for (size_t i = 0; i < count; i++)
        nt_store_dlv_destroy (&dlvs[i]);
    free (dlvs);
}


static void
test_a_round_records_attempts_in_order_and_takes_what_became_due (void **state)
{
    (void) state;
    edge_redis_t *redis = edge_redis_new (s_server.url, 3000);
    s_ok (edge_redis_command (redis, "FLUSHALL"));
    for (int i = 0; i < 2; i++)
        s_ok (edge_redis_command (
            redis, "HSET e:{%s}:sub:%s name %s url http://h state enabled",
            S_ORG, i ? "b" : "a", i ? "b" : "a"));
    int64_t now = edge_now_ms ();
    //  Per subscription: t1's 1-1 then 3-1 (a chain), and t2's 2-1
    const char *subs[] = {"a", "b"};
    for (int i = 0; i < 2; i++) {
        s_delivery (redis, subs[i], "t1", "1-1", now - 10);
        s_delivery (redis, subs[i], "t2", "2-1", now - 10);
        s_delivery (redis, subs[i], "t1", "3-1", now - 10);
    }
    nt_store_dlv_t **taken = NULL;
    size_t count = 0;
    assert_int_equal (
        nt_store_take (redis, now, now + 60000, 10, &taken, &count), 0);
    assert_int_equal (count, 4); //  the chains' heads only
    const nt_store_dlv_t *dlvs[] = {
        s_find (taken, count, "1-1-a"), s_find (taken, count, "1-1-b"),
        s_find (taken, count, "2-1-a"), s_find (taken, count, "2-1-b")};
    for (int i = 0; i < 4; i++)
        assert_non_null (dlvs[i]);
    //  b answers 410 first: its later attempt in the same call is no longer
    //  ours; a's retry is kept for later
    nt_store_result_t results[] = {
        {NT_STORE_SUCCEEDED, 200, NULL, now, 3, 0},
        {NT_STORE_DISABLED, 410, "HTTP 410 Gone", now, 3, 0},
        {NT_STORE_RETRY, 500, "HTTP 500", now, 3, now + 60000},
        {NT_STORE_SUCCEEDED, 200, NULL, now, 3, 0},
    };
    int rcs[4] = {-2, -2, -2, -2};
    //  Both scripts cached by Redis, as after a notifier's first round (a
    //  script sent again after NOSCRIPT runs after the rest of a pipeline)
    nt_store_dlv_t none = {.id = "0-0-a",
                           .event_id = "0-0",
                           .task_name = "t",
                           .type = "hello",
                           .event = "end"};
    assert_int_equal (nt_store_finish (redis, &none, &results[0]), 0);
    nt_store_round_t round = {dlvs,        results, 4,    10, now,
                              now + 60000, rcs,     NULL, 0};
    assert_int_equal (nt_store_round (redis, &round), 0);
    assert_int_equal (rcs[0], 1);
    assert_int_equal (rcs[1], 1);
    assert_int_equal (rcs[2], 1);
    assert_int_equal (rcs[3], 0);
    //  a's 3-1 became due when 1-1 succeeded, and was taken in the round
    assert_int_equal (round.ntaken, 1);
    assert_string_equal (round.taken[0]->id, "3-1-a");
    assert_int_equal (round.taken[0]->attempt, 1);
    s_status_is (redis, "1-1-a", "succeeded");
    s_status_is (redis, "2-1-a", "pending");
    s_status_is (redis, "1-1-b", "failed");
    s_status_is (redis, "2-1-b", "failed");
    s_status_is (redis, "3-1-b", "failed");
    char *state_now = s_hget (redis, "e:{acme}:sub:b", "state");
    assert_string_equal (state_now, "disabled");
    free (state_now);
    //  Attempt records newest first, one per attempt that was ours
    char *newest = s_attempt_id (redis, "a", 0);
    char *oldest = s_attempt_id (redis, "a", 1);
    assert_string_equal (newest, "2-1-a");
    assert_string_equal (oldest, "1-1-a");
    free (newest);
    free (oldest);
    redisReply *reply =
        edge_redis_command (redis, "LLEN e:{%s}:sub:b:attempts", S_ORG);
    assert_int_equal (reply->integer, 1);
    freeReplyObject (reply);
    reply =
        edge_redis_command (redis, "ZSCORE %s 2-1-a", EDGE_KEY_DELIVERIES_DUE);
    assert_int_equal (atoll (reply->str), now + 60000);
    freeReplyObject (reply);
    s_free_all (round.taken, round.ntaken);
    s_free_all (taken, count);
    edge_redis_destroy (&redis);
}


static void
test_a_round_with_redis_unreachable_fails_every_attempt (void **state)
{
    (void) state;
    char url[64];
    snprintf (url, sizeof url, "redis://127.0.0.1:%d/0",
              edge_testutil_free_port ());
    edge_redis_t *redis = edge_redis_new (url, 200);
    char id[] = "1-1-a", event_id[] = "1-1", task[] = "t1", text[] = "x";
    nt_store_dlv_t dlv = {.id = id,
                          .event_id = event_id,
                          .task_name = task,
                          .type = text,
                          .event = text,
                          .attempt = 1};
    const nt_store_dlv_t *dlvs[] = {&dlv, &dlv};
    nt_store_result_t results[2] = {{.outcome = NT_STORE_SUCCEEDED},
                                    {.outcome = NT_STORE_SUCCEEDED}};
    int rcs[2] = {1, 1};
    int64_t now = edge_now_ms ();
    nt_store_round_t round = {dlvs,       results, 2,    5, now,
                              now + 1000, rcs,     NULL, 0};
    assert_int_equal (nt_store_round (redis, &round), -1);
    assert_int_equal (rcs[0], -1);
    assert_int_equal (rcs[1], -1);
    assert_int_equal (round.ntaken, 0);
    assert_null (round.taken);
    edge_redis_destroy (&redis);
}


int
main (void)
{
    edge_log_init ("test");
    int rc = edge_testutil_redis_open (&s_server, NULL, 0);
    if (rc)
        return rc;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (
            test_a_round_records_attempts_in_order_and_takes_what_became_due),
        cmocka_unit_test (
            test_a_round_with_redis_unreachable_fails_every_attempt),
    };
    rc = cmocka_run_group_tests (tests, NULL, NULL);
    edge_testutil_redis_close (&s_server, NULL);
    return rc;
}
