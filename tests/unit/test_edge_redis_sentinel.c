/*  test_edge_redis_sentinel - edge_redis with Redis Sentinel, against real
    servers on loopback: a master, a replica and three sentinels. Sentinel
    URLs parse (and bad ones are refused with a reason); a handle finds the
    master through the sentinels, follows a failover after the master is
    killed (SIGKILL) and after a manual failover that leaves the old master
    running as a replica (-READONLY), keeps what edge_redis_replicated
    confirmed, and survives sentinels that are all unreachable.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "edge_log.h"
#include "edge_redis.h"
#include "edge_testutil.h"
#include "edge_util.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define S_MASTER  "edgemaster"
#define S_DOWN_MS 1000
//  A failover: down after S_DOWN_MS, then agreement and promotion.
#define S_FAILOVER_DEADLINE_MS 30000

static edge_testutil_redis_t s_master, s_replica, s_sentinels[3];
static char s_url[256];


static void
test_sentinel_urls_parse_into_their_parts (void **state)
{
    (void) state;
    char why[200];
    edge_redis_url_t url;
    assert_int_equal (
        edge_redis_url_parse ("redis-sentinel://:pw@h1:26380,h2,[::1]:7/mm/3",
                              &url, why, sizeof why),
        0);
    assert_int_equal (url.nsentinels, 3);
    assert_string_equal (url.sentinels[0].host, "h1");
    assert_int_equal (url.sentinels[0].port, 26380);
    assert_string_equal (url.sentinels[1].host, "h2");
    assert_int_equal (url.sentinels[1].port, 26379);
    assert_string_equal (url.sentinels[2].host, "::1");
    assert_int_equal (url.sentinels[2].port, 7);
    assert_string_equal (url.master_name, "mm");
    assert_int_equal (url.db, 3);
    assert_string_equal (url.password, "pw");
    assert_null (url.host);
    edge_redis_url_fini (&url);
    assert_int_equal (edge_redis_url_parse ("redis-sentinel://h1/mymaster",
                                            &url, why, sizeof why),
                      0);
    assert_int_equal (url.db, 0);
    edge_redis_url_fini (&url);

    const char *bad[] = {
        "redis-sentinel://h1",          "redis-sentinel://h1/",
        "redis-sentinel:///mm",         "redis-sentinel://h1,,h2/mm",
        "redis-sentinel://h1:0/mm",     "redis-sentinel://h1/m m",
        "redis-sentinel://h1/mm/x",     "redis-sentinel://h1:99999/mm"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = 0;
        assert_int_equal (edge_redis_url_parse (bad[i], &url, why, sizeof why),
                          -1);
        assert_true (why[0]);
    }
}


static int
s_port_of (edge_redis_t *redis)
{
    redisReply *reply = edge_redis_command (redis, "CONFIG GET port");
    int port = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2
                   ? atoi (reply->element[1]->str)
                   : -1;
    freeReplyObject (reply);
    return port;
}


//  A write through redis succeeds (after a failover: once it is followed).
static bool
s_write_succeeds (void *arg)
{
    redisReply *reply = edge_redis_command (arg, "INCR edge:test:writes");
    bool ok = reply && reply->type == REDIS_REPLY_INTEGER;
    freeReplyObject (reply);
    return ok;
}


//  Every sentinel knows the replica and the other two sentinels.
static bool
s_sentinels_settled (void *arg)
{
    (void) arg;
    for (size_t i = 0; i < 3; i++) {
        redisContext *ctx = redisConnect ("127.0.0.1", s_sentinels[i].port);
        redisReply *reply =
            ctx && !ctx->err ? redisCommand (ctx, "SENTINEL master %s", S_MASTER)
                             : NULL;
        int replicas = -1, others = -1;
        for (size_t k = 0; reply && reply->type == REDIS_REPLY_ARRAY
                           && k + 1 < reply->elements;
             k += 2) {
            if (strcmp (reply->element[k]->str, "num-slaves") == 0)
                replicas = atoi (reply->element[k + 1]->str);
            if (strcmp (reply->element[k]->str, "num-other-sentinels") == 0)
                others = atoi (reply->element[k + 1]->str);
        }
        freeReplyObject (reply);
        redisFree (ctx);
        if (replicas < 1 || others < 2)
            return false;
    }
    return true;
}


//  The server on *port (an int) has a replica online (ROLE lists it).
static bool
s_has_replica (void *arg)
{
    redisContext *ctx = redisConnect ("127.0.0.1", *(int *) arg);
    redisReply *reply = ctx && !ctx->err ? redisCommand (ctx, "ROLE") : NULL;
    bool has = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 3
               && reply->element[2]->type == REDIS_REPLY_ARRAY
               && reply->element[2]->elements >= 1;
    freeReplyObject (reply);
    redisFree (ctx);
    return has;
}


static int
s_setup (void **state)
{
    (void) state;
    int rc = edge_testutil_redis_start (&s_master);
    if (rc == 0)
        rc = edge_testutil_redis_start_replica (&s_replica, s_master.port);
    for (size_t i = 0; rc == 0 && i < 3; i++)
        rc = edge_testutil_sentinel_start (&s_sentinels[i], S_MASTER,
                                           s_master.port, S_DOWN_MS);
    if (rc)
        return -1;
    snprintf (s_url, sizeof s_url,
              "redis-sentinel://127.0.0.1:%d,127.0.0.1:%d,127.0.0.1:%d/%s/0",
              s_sentinels[0].port, s_sentinels[1].port, s_sentinels[2].port,
              S_MASTER);
    return edge_testutil_poll (s_has_replica, &s_master.port, 20000)
                   && edge_testutil_poll (s_sentinels_settled, NULL, 20000)
               ? 0
               : -1;
}


static int
s_teardown (void **state)
{
    (void) state;
    for (size_t i = 0; i < 3; i++)
        edge_testutil_redis_stop (&s_sentinels[i]);
    edge_testutil_redis_stop (&s_replica);
    edge_testutil_redis_stop (&s_master);
    return 0;
}


static void
test_the_master_is_found_and_a_replicated_write_survives_its_death (
    void **state)
{
    (void) state;
    edge_redis_t *redis = edge_redis_new (s_url, 1000);
    assert_non_null (redis);
    assert_int_equal (s_port_of (redis), s_master.port);
    redisReply *reply = edge_redis_command (redis, "SET edge:test:kept yes");
    assert_non_null (reply);
    freeReplyObject (reply);
    assert_int_equal (edge_redis_replicated (redis, 2000), 0);
    unsigned long long reconnects = edge_redis_reconnects ();

    //  SIGKILL the master: the sentinels promote the replica
    kill (s_master.pid, SIGKILL);
    waitpid (s_master.pid, NULL, 0);
    s_master.pid = 0;
    assert_true (edge_testutil_poll (s_write_succeeds, redis,
                                     S_FAILOVER_DEADLINE_MS));
    assert_int_equal (s_port_of (redis), s_replica.port);
    assert_true (edge_redis_reconnects () > reconnects);
    reply = edge_redis_command (redis, "GET edge:test:kept");
    assert_non_null (reply);
    assert_int_equal (reply->type, REDIS_REPLY_STRING);
    assert_string_equal (reply->str, "yes");
    freeReplyObject (reply);
    //  The new master has no replica left: nothing to wait for
    assert_int_equal (edge_redis_replicated (redis, 200), 0);
    edge_redis_destroy (&redis);
}


//  A write through the handle succeeds on s_master's port (the node
//  promoted by the manual failover).
static bool
s_writes_reach_the_new_master (void *arg)
{
    return s_write_succeeds (arg) && s_port_of (arg) == s_master.port;
}


//  A sentinel accepts a manual failover.
static bool
s_failover_starts (void *arg)
{
    (void) arg;
    redisContext *ctx = redisConnect ("127.0.0.1", s_sentinels[0].port);
    redisReply *reply =
        ctx && !ctx->err ? redisCommand (ctx, "SENTINEL FAILOVER %s", S_MASTER)
                         : NULL;
    bool started = reply && reply->type != REDIS_REPLY_ERROR;
    freeReplyObject (reply);
    redisFree (ctx);
    return started;
}


//  The old master (now on s_replica) is demoted by a manual failover to a
//  new replica started for it; the handle meets -READONLY and follows.
static void
test_a_demoted_master_is_left_for_the_promoted_one (void **state)
{
    (void) state;
    edge_redis_t *redis = edge_redis_new (s_url, 1000);
    assert_non_null (redis);
    assert_true (s_write_succeeds (redis));
    int old_port = s_port_of (redis);
    assert_int_equal (old_port, s_replica.port);
    //  A replica of the current master, for the manual failover
    edge_testutil_redis_stop (&s_master);
    assert_int_equal (
        edge_testutil_redis_start_replica (&s_master, s_replica.port), 0);

    assert_true (edge_testutil_poll (s_has_replica, &s_replica.port, 20000));
    assert_true (edge_testutil_poll (s_sentinels_settled, NULL, 20000));
    assert_int_equal (edge_redis_replicated (redis, 2000), 0);
    //  (refused with NOGOODSLAVE until a sentinel has seen the replica)
    assert_true (edge_testutil_poll (s_failover_starts, NULL, 30000));
    //  The old master turns replica and answers writes with -READONLY:
    //  the handle drops it and finds the promoted one
    assert_true (edge_testutil_poll (s_writes_reach_the_new_master, redis,
                                     S_FAILOVER_DEADLINE_MS));
    redisReply *reply = edge_redis_command (redis, "ROLE");
    assert_string_equal (reply->element[0]->str, "master");
    freeReplyObject (reply);
    edge_redis_destroy (&redis);
}


//  After the manual failover s_replica is a replica: a write to it is
//  refused (-READONLY) and the handle drops the connection rather than
//  hand the caller an error reply it might take for the script's answer.
static void
test_readonly_drops_the_connection (void **state)
{
    (void) state;
    char url[64];
    snprintf (url, sizeof url, "redis://127.0.0.1:%d/0", s_replica.port);
    edge_redis_t *redis = edge_redis_new (url, 1000);
    redisReply *reply = edge_redis_command (redis, "ROLE");
    assert_non_null (reply);
    assert_string_equal (reply->element[0]->str, "slave");
    freeReplyObject (reply);
    assert_true (edge_redis_is_connected (redis));
    assert_null (edge_redis_command (redis, "SET edge:test:ro x"));
    assert_false (edge_redis_is_connected (redis));
    static edge_redis_script_t script = {
        .source = "return redis.call ('SET', KEYS[1], 'x')"};
    const char *keys[] = {"edge:test:ro"};
    assert_null (edge_redis_eval (redis, &script, 1, keys, 0, NULL));
    edge_redis_destroy (&redis);
}


static void
test_unreachable_sentinels_are_an_error_never_a_crash (void **state)
{
    (void) state;
    char url[128];
    snprintf (url, sizeof url, "redis-sentinel://127.0.0.1:%d,127.0.0.1:%d/x",
              edge_testutil_free_port (), edge_testutil_free_port ());
    edge_redis_t *redis = edge_redis_new (url, 200);
    assert_non_null (redis);
    assert_null (edge_redis_command (redis, "PING"));
    assert_false (edge_redis_is_connected (redis));
    assert_int_equal (edge_redis_replicated (redis, 100), -1);
    edge_redis_destroy (&redis);
    //  A sentinel that does not know the master's name
    snprintf (url, sizeof url, "redis-sentinel://127.0.0.1:%d/nosuchmaster",
              s_sentinels[1].port);
    redis = edge_redis_new (url, 500);
    assert_null (edge_redis_command (redis, "PING"));
    edge_redis_destroy (&redis);
}


int
main (void)
{
    edge_log_init ("test");
    if (system ("command -v redis-server >/dev/null 2>&1") != 0)
        return 77;
    const struct CMUnitTest parse[] = {
        cmocka_unit_test (test_sentinel_urls_parse_into_their_parts),
    };
    const struct CMUnitTest live[] = {
        cmocka_unit_test (
            test_the_master_is_found_and_a_replicated_write_survives_its_death),
        cmocka_unit_test (test_a_demoted_master_is_left_for_the_promoted_one),
        cmocka_unit_test (test_readonly_drops_the_connection),
        cmocka_unit_test (test_unreachable_sentinels_are_an_error_never_a_crash),
    };
    int failed = cmocka_run_group_tests (parse, NULL, NULL);
    return failed + cmocka_run_group_tests (live, s_setup, s_teardown);
}
