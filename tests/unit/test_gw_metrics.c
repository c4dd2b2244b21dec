/*  test_gw_metrics - counting, histogram buckets, the exposition format
    and thread safety.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gw_metrics.h"
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include "edge_testutil.h"
#include <stdlib.h>
#include <string.h>

static const char *s_routes[] = {"healthz", "adm_hello"};


static gw_metrics_t *
s_new (void)
{
    return gw_metrics_new (s_routes, 2);
}


static void
test_constructor_and_destroy_nulls (void **state)
{
    (void) state;
    gw_metrics_t *metrics = s_new ();
    assert_non_null (metrics);
    gw_metrics_destroy (&metrics);
    assert_null (metrics);
    gw_metrics_destroy (&metrics);
    gw_metrics_destroy (NULL);
}


static void
test_requests_are_counted_per_route_method_status (void **state)
{
    (void) state;
    gw_metrics_t *metrics = s_new ();
    gw_metrics_observe (metrics, "healthz", "GET", 200, 0.0001);
    gw_metrics_observe (metrics, "healthz", "GET", 200, 0.0002);
    gw_metrics_observe (metrics, "adm_hello", "POST", 202, 0.01);
    gw_metrics_observe (metrics, "adm_hello", "POST", 400, 0.01);
    char *text = gw_metrics_render (metrics, "9.9.9");
    assert_true (edge_testutil_has_line (text, "edge_http_requests_total{route=\"healthz\","
                                   "method=\"GET\",status=\"200\"} 2"));
    assert_true (edge_testutil_has_line (text, "edge_http_requests_total{route="
                                   "\"adm_hello\",method=\"POST\",status="
                                   "\"202\"} 1"));
    assert_true (edge_testutil_has_line (text, "edge_http_requests_total{route="
                                   "\"adm_hello\",method=\"POST\",status="
                                   "\"400\"} 1"));
    assert_false (edge_testutil_has_line (text, "edge_http_requests_total{route="
                                    "\"healthz\",method=\"POST\",status="
                                    "\"200\"} 0"));
    assert_true (edge_testutil_has_line (text, "edge_build_info{version=\"9.9.9\"} 1"));
    free (text);
    gw_metrics_destroy (&metrics);
}


static void
test_unknown_route_and_method_are_folded (void **state)
{
    (void) state;
    gw_metrics_t *metrics = s_new ();
    gw_metrics_observe (metrics, NULL, "GET", 404, 0.001);
    gw_metrics_observe (metrics, "/random/path", "BREW", 405, 0.001);
    gw_metrics_observe (metrics, "healthz", "get", 999, 0.001);
    char *text = gw_metrics_render (metrics, "1");
    assert_true (edge_testutil_has_line (text, "edge_http_requests_total{route="
                                   "\"unmatched\",method=\"GET\",status="
                                   "\"404\"} 1"));
    assert_true (edge_testutil_has_line (text, "edge_http_requests_total{route="
                                   "\"unmatched\",method=\"OTHER\",status="
                                   "\"405\"} 1"));
    assert_true (edge_testutil_has_line (text, "edge_http_requests_total{route="
                                   "\"healthz\",method=\"OTHER\",status="
                                   "\"0\"} 1"));
    assert_null (strstr (text, "random"));
    assert_null (strstr (text, "BREW"));
    free (text);
    gw_metrics_destroy (&metrics);
}


static void
test_histogram_buckets_are_cumulative_and_inclusive (void **state)
{
    (void) state;
    gw_metrics_t *metrics = s_new ();
    gw_metrics_observe (metrics, "adm_hello", "POST", 202, 0.003);
    gw_metrics_observe (metrics, "adm_hello", "POST", 202, 0.3);
    gw_metrics_observe (metrics, "adm_hello", "POST", 202, 0.005);
    gw_metrics_observe (metrics, "adm_hello", "POST", 202, 10.0);
    char *text = gw_metrics_render (metrics, "1");
    const char *expect[][2] = {{".001", "0"}, {".005", "2"}, {".01", "2"},
                               {".025", "2"}, {".05", "2"},  {".1", "2"},
                               {".25", "2"},  {".5", "3"},   {"1", "3"},
                               {"2.5", "3"},  {"5", "3"},    {"+Inf", "4"}};
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        char line[160];
        snprintf (line, sizeof line,
                  "edge_http_request_duration_seconds_bucket{route="
                  "\"adm_hello\",le=\"%s\"} %s",
                  expect[i][0], expect[i][1]);
        if (!edge_testutil_has_line (text, line))
            fail_msg ("missing: %s\n%s", line, text);
    }
    assert_true (edge_testutil_has_line (text, "edge_http_request_duration_seconds_count"
                                   "{route=\"adm_hello\"} 4"));
    assert_true (edge_testutil_has_line (text, "edge_http_request_duration_seconds_sum"
                                   "{route=\"adm_hello\"} 10.308000"));
    //  Routes without requests still expose zeroed series
    assert_true (edge_testutil_has_line (text, "edge_http_request_duration_seconds_count"
                                   "{route=\"healthz\"} 0"));
    free (text);
    gw_metrics_destroy (&metrics);
}


//  Every line is a comment (# HELP / # TYPE) or "name{labels} value"; each
//  family's TYPE comes before its samples; the text ends with a newline.
static void
test_exposition_format_is_well_formed (void **state)
{
    (void) state;
    gw_metrics_t *metrics = s_new ();
    gw_metrics_observe (metrics, "healthz", "GET", 200, 0.02);
    char *text = gw_metrics_render (metrics, "0.1.0");
    size_t len = strlen (text);
    assert_true (len > 0 && text[len - 1] == '\n');
    const char *families[] = {"edge_http_requests_total",
                              "edge_http_request_duration_seconds",
                              "edge_redis_reconnects_total", "edge_build_info"};
    const char *types[] = {"counter", "histogram", "counter", "gauge"};
    for (size_t i = 0; i < 4; i++) {
        char line[128];
        snprintf (line, sizeof line, "# TYPE %s %s", families[i], types[i]);
        const char *type = strstr (text, line);
        assert_non_null (type);
        char sample[128];
        snprintf (sample, sizeof sample, "\n%s", families[i]);
        assert_true (strstr (text, sample) > type);
    }
    for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n")) {
        if (line[0] == '#') {
            assert_true (strncmp (line, "# HELP ", 7) == 0
                         || strncmp (line, "# TYPE ", 7) == 0);
            continue;
        }
        //  name{labels} value, or name value (no labels)
        char *brace = strchr (line, '{'), *close = strchr (line, '}');
        if (!brace)
            close = strchr (line, ' ') - 1;
        assert_non_null (close);
        assert_true (!brace || close > brace);
        assert_int_equal (close[1], ' ');
        char *end;
        strtod (close + 2, &end);
        assert_true (end > close + 2 && *end == 0);
    }
    free (text);
    gw_metrics_destroy (&metrics);
}


static void *
s_hammer (void *arg)
{
    gw_metrics_t *metrics = arg;
    for (int i = 0; i < 10000; i++)
        gw_metrics_observe (metrics, "healthz", "GET", 200, 0.0001);
    return NULL;
}


static void
test_concurrent_observations_are_all_counted (void **state)
{
    (void) state;
    gw_metrics_t *metrics = s_new ();
    pthread_t threads[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal (pthread_create (&threads[i], NULL, s_hammer, metrics),
                          0);
    for (int i = 0; i < 4; i++)
        pthread_join (threads[i], NULL);
    char *text = gw_metrics_render (metrics, "1");
    assert_true (edge_testutil_has_line (text, "edge_http_requests_total{route=\"healthz\","
                                   "method=\"GET\",status=\"200\"} 40000"));
    assert_true (edge_testutil_has_line (text, "edge_http_request_duration_seconds_count"
                                   "{route=\"healthz\"} 40000"));
    free (text);
    gw_metrics_destroy (&metrics);
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_constructor_and_destroy_nulls),
        cmocka_unit_test (test_requests_are_counted_per_route_method_status),
        cmocka_unit_test (test_unknown_route_and_method_are_folded),
        cmocka_unit_test (test_histogram_buckets_are_cumulative_and_inclusive),
        cmocka_unit_test (test_exposition_format_is_well_formed),
        cmocka_unit_test (test_concurrent_observations_are_all_counted),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
