/*  test_nt_metrics - events consumed, attempts by outcome, the latency
    from an event to its 2xx, and the gauges sampled from a real Redis
    (consumer lag, pending entries, retries waiting).  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "edge_log.h"
#include "edge_testutil.h"
#include "edge_util.h"
#include "nt_metrics.h"
#include "nt_notifier.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static edge_testutil_redis_t s_server;

//  True when the registry's text holds exactly this line.
static bool
s_has_line (edge_metrics_t *registry, const char *line)
{
    char *text = edge_metrics_render (registry);
    size_t len = strlen (line);
    bool found = false;
    for (const char *p = text; !found && (p = strstr (p, line)); p += len)
        found = (p == text || p[-1] == '\n') && p[len] == '\n';
    free (text);
    return found;
}


//  A command that must succeed (hiredis format, so words split).
static void
s_check (redisReply *reply)
{
    assert_non_null (reply);
    assert_int_not_equal (reply->type, REDIS_REPLY_ERROR);
    freeReplyObject (reply);
}
#define S_COMMAND(redis, ...) s_check (edge_redis_command (redis, __VA_ARGS__))


static void
test_constructor_and_destroy_nulls (void **state)
{
    (void) state;
    edge_metrics_t *registry = edge_metrics_new ();
    nt_metrics_t *metrics = nt_metrics_new (registry);
    assert_non_null (metrics);
    nt_metrics_destroy (&metrics);
    assert_null (metrics);
    nt_metrics_destroy (&metrics);
    //  NULL metrics: every call is a no-op
    nt_metrics_consumed (NULL);
    nt_metrics_delivered (NULL, NT_STORE_SUCCEEDED, "1-0", 2);
    assert_int_equal (nt_metrics_sample (NULL, NULL, "g", 0, 0), 0);
    edge_metrics_destroy (&registry);
}


static void
test_outcomes_and_latency_are_counted (void **state)
{
    (void) state;
    edge_metrics_t *registry = edge_metrics_new ();
    nt_metrics_t *metrics = nt_metrics_new (registry);
    assert_true (s_has_line (
        registry, "edge_notifier_deliveries_total{outcome=\"failed\"} 0"));
    nt_metrics_consumed (metrics);
    nt_metrics_delivered (metrics, NT_STORE_RETRY, "1000-0", 1500);
    nt_metrics_delivered (metrics, NT_STORE_SUCCEEDED, "1000-0", 1040);
    nt_metrics_delivered (metrics, NT_STORE_SUCCEEDED, "1000-1", 4000);
    nt_metrics_delivered (metrics, NT_STORE_DISABLED, "1000-2", 4000);
    assert_true (
        s_has_line (registry, "edge_notifier_events_consumed_total 1"));
    assert_true (s_has_line (
        registry, "edge_notifier_deliveries_total{outcome=\"succeeded\"} 2"));
    assert_true (s_has_line (
        registry, "edge_notifier_deliveries_total{outcome=\"retry\"} 1"));
    assert_true (s_has_line (
        registry, "edge_notifier_deliveries_total{outcome=\"disabled\"} 1"));
    assert_true (s_has_line (
        registry,
        "edge_notifier_delivery_latency_seconds_bucket{le=\"0.05\"} 1"));
    assert_true (s_has_line (
        registry,
        "edge_notifier_delivery_latency_seconds_bucket{le=\"2.5\"} 1"));
    assert_true (s_has_line (
        registry, "edge_notifier_delivery_latency_seconds_bucket{le=\"5\"} 2"));
    assert_true (s_has_line (
        registry, "edge_notifier_delivery_latency_seconds_sum 3.04"));
    assert_true (s_has_line (registry,
                             "edge_notifier_delivery_latency_seconds_count 2"));
    nt_metrics_destroy (&metrics);
    edge_metrics_destroy (&registry);
}


static void
test_lag_pending_and_retries_are_sampled_from_redis (void **state)
{
    (void) state;
    edge_redis_t *redis = edge_redis_new (s_server.url, 3000);
    S_COMMAND (redis, "FLUSHALL");
    edge_metrics_t *registry = edge_metrics_new ();
    nt_metrics_t *metrics = nt_metrics_new (registry);
    //  No stream yet: nothing is set, no error
    assert_int_equal (nt_metrics_sample (metrics, redis, "notifiers", 0, 0), 0);
    S_COMMAND (redis, "XGROUP CREATE e:events notifiers 0 MKSTREAM");
    for (int i = 0; i < 5; i++)
        S_COMMAND (redis, "XADD e:events * taskName t type hello event x");
    //  One read (not acknowledged) by a consumer: lag 3, pending 2
    S_COMMAND (redis,
               "XREADGROUP GROUP notifiers c COUNT 2 STREAMS e:events >");
    //  Deliveries: 2 due in the past, 3 in the future (1 in flight here)
    S_COMMAND (redis, "ZADD e:deliveries:due 100 a 200 b 5000 c 6000 d 7000 e");
    assert_int_equal (nt_metrics_sample (metrics, redis, "notifiers", 1, 1000),
                      0);
    assert_true (s_has_line (registry, "edge_notifier_consumer_lag 3"));
    assert_true (s_has_line (registry, "edge_notifier_events_pending 2"));
    assert_true (s_has_line (registry, "edge_notifier_retries_pending 2"));
    assert_true (s_has_line (registry, "edge_notifier_deliveries_in_flight 1"));
    //  Another group's figures are not ours
    assert_int_equal (nt_metrics_sample (metrics, redis, "others", 0, 1000), 0);
    assert_true (s_has_line (registry, "edge_notifier_consumer_lag 3"));
    nt_metrics_destroy (&metrics);
    edge_metrics_destroy (&registry);
    edge_redis_destroy (&redis);
}


static void
test_the_notifier_counts_events_it_takes (void **state)
{
    (void) state;
    edge_redis_t *redis = edge_redis_new (s_server.url, 3000);
    S_COMMAND (redis, "FLUSHALL");
    edge_metrics_t *registry = edge_metrics_new ();
    nt_metrics_t *metrics = nt_metrics_new (registry);
    nt_notifier_opts_t opts = {"notifiers", "n1", 60000, 10, 60000};
    nt_notifier_t *notifier = nt_notifier_new (redis, &opts);
    nt_notifier_set_metrics (notifier, metrics);
    for (int i = 0; i < 3; i++)
        S_COMMAND (redis, "XADD e:events * taskName t type hello event x");
    int total = 0;
    for (int round = 0; round < 10 && total < 3; round++) {
        int count = nt_notifier_poll (notifier, 50);
        assert_true (count >= 0);
        total += count;
    }
    assert_int_equal (total, 3);
    assert_true (
        s_has_line (registry, "edge_notifier_events_consumed_total 3"));
    nt_notifier_destroy (&notifier);
    nt_metrics_destroy (&metrics);
    edge_metrics_destroy (&registry);
    edge_redis_destroy (&redis);
}


int
main (void)
{
    edge_log_threshold = EDGE_LOG_ERROR;
    int rc = edge_testutil_redis_open (&s_server, NULL, 0);
    if (rc)
        return rc;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_constructor_and_destroy_nulls),
        cmocka_unit_test (test_outcomes_and_latency_are_counted),
        cmocka_unit_test (test_lag_pending_and_retries_are_sampled_from_redis),
        cmocka_unit_test (test_the_notifier_counts_events_it_takes),
    };
    rc = cmocka_run_group_tests (tests, NULL, NULL);
    edge_testutil_redis_close (&s_server, NULL);
    return rc;
}
