/*  test_edge_metrics - families, series, the exposition text (format
    0.0.4), label and help escaping, histogram buckets, collect hooks and
    increments from several threads at once.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "edge_metrics.h"
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include "edge_testutil.h"
#include <stdlib.h>
#include <string.h>

static void
test_constructor_and_destroy_nulls (void **state)
{
    (void) state;
    edge_metrics_t *metrics = edge_metrics_new ();
    assert_non_null (metrics);
    edge_metrics_destroy (&metrics);
    assert_null (metrics);
    edge_metrics_destroy (&metrics);
    edge_metrics_destroy (NULL);
}


static void
test_empty_registry_renders_nothing (void **state)
{
    (void) state;
    edge_metrics_t *metrics = edge_metrics_new ();
    edge_metrics_counter (metrics, "edge_x_total", "type", "Never used.");
    char *text = edge_metrics_render (metrics);
    assert_string_equal (text, "");
    free (text);
    edge_metrics_destroy (&metrics);
}


static void
test_counter_and_gauge_render_help_type_and_samples (void **state)
{
    (void) state;
    edge_metrics_t *metrics = edge_metrics_new ();
    edge_metrics_family_t *jobs =
        edge_metrics_counter (metrics, "edge_jobs_total", NULL, "Jobs.");
    edge_metrics_family_t *queued =
        edge_metrics_gauge (metrics, "edge_queued", NULL, "Queued jobs.");
    edge_metrics_series_t *j = edge_metrics_series (jobs);
    edge_metrics_add (j, 1);
    edge_metrics_add (j, 2);
    edge_metrics_set (edge_metrics_series (queued), 7);
    edge_metrics_add (edge_metrics_series (queued), -2.5);
    assert_true (edge_metrics_value (j) == 3);
    char *text = edge_metrics_render (metrics);
    assert_string_equal (text, "# HELP edge_jobs_total Jobs.\n"
                               "# TYPE edge_jobs_total counter\n"
                               "edge_jobs_total 3\n"
                               "# HELP edge_queued Queued jobs.\n"
                               "# TYPE edge_queued gauge\n"
                               "edge_queued 4.5\n");
    free (text);
    edge_metrics_destroy (&metrics);
}


static void
test_series_are_kept_per_label_values_in_creation_order (void **state)
{
    (void) state;
    edge_metrics_t *metrics = edge_metrics_new ();
    edge_metrics_family_t *tasks = edge_metrics_counter (
        metrics, "edge_tasks_total", "type,outcome", "Tasks.");
    edge_metrics_add (edge_metrics_series (tasks, "mkraw", "failed"), 1);
    edge_metrics_add (edge_metrics_series (tasks, "hello", "succeeded"), 1);
    edge_metrics_add (edge_metrics_series (tasks, "hello", "succeeded"), 1);
    edge_metrics_series (tasks, "hello", "failed"); //  declared, stays 0
    assert_ptr_equal (edge_metrics_series (tasks, "hello", "succeeded"),
                      edge_metrics_series (tasks, "hello", "succeeded"));
    char *text = edge_metrics_render (metrics);
    const char *a = strstr (text, "{type=\"mkraw\",outcome=\"failed\"} 1\n");
    const char *b = strstr (text, "{type=\"hello\",outcome=\"succeeded\"} 2\n");
    const char *c = strstr (text, "{type=\"hello\",outcome=\"failed\"} 0\n");
    assert_true (a && b && c && a < b && b < c);
    free (text);
    edge_metrics_destroy (&metrics);
}


static void
test_label_values_and_help_are_escaped (void **state)
{
    (void) state;
    edge_metrics_t *metrics = edge_metrics_new ();
    edge_metrics_family_t *info = edge_metrics_gauge (
        metrics, "edge_info", "v", "A \\ backslash\nand a \"quote\".");
    edge_metrics_set (edge_metrics_series (info, "a\"b\\c\nd"), 1);
    char *text = edge_metrics_render (metrics);
    assert_true (edge_testutil_has_line (
        text, "# HELP edge_info A \\\\ backslash\\nand a \"quote\"."));
    assert_true (edge_testutil_has_line (text, "edge_info{v=\"a\\\"b\\\\c\\nd\"} 1"));
    free (text);
    edge_metrics_destroy (&metrics);
}


static void
test_values_render_exactly (void **state)
{
    (void) state;
    edge_metrics_t *metrics = edge_metrics_new ();
    edge_metrics_family_t *g =
        edge_metrics_gauge (metrics, "edge_g", "k", "Values.");
    edge_metrics_set (edge_metrics_series (g, "big"), 1099511627776.0);
    edge_metrics_set (edge_metrics_series (g, "tenth"), 0.1);
    edge_metrics_set (edge_metrics_series (g, "neg"), -3);
    edge_metrics_set (edge_metrics_series (g, "inf"), INFINITY);
    char *text = edge_metrics_render (metrics);
    assert_true (edge_testutil_has_line (text, "edge_g{k=\"big\"} 1099511627776"));
    assert_true (edge_testutil_has_line (text, "edge_g{k=\"tenth\"} 0.1"));
    assert_true (edge_testutil_has_line (text, "edge_g{k=\"neg\"} -3"));
    assert_true (edge_testutil_has_line (text, "edge_g{k=\"inf\"} +Inf"));
    free (text);
    edge_metrics_destroy (&metrics);
}


static void
test_histogram_buckets_are_cumulative_with_sum_and_count (void **state)
{
    (void) state;
    edge_metrics_t *metrics = edge_metrics_new ();
    static const double bounds[] = {0.1, 1, 2.5};
    edge_metrics_family_t *h = edge_metrics_histogram (
        metrics, "edge_took_seconds", "type", "Durations.", bounds, 3);
    edge_metrics_series_t *s = edge_metrics_series (h, "hello");
    edge_metrics_observe (s, 0.05); //  le 0.1
    edge_metrics_observe (s, 0.1);  //  le 0.1 (bounds are inclusive)
    edge_metrics_observe (s, 2);    //  le 2.5
    edge_metrics_observe (s, 10);   //  +Inf only
    edge_metrics_observe (s, NAN);  //  NaN: ignored
    assert_true (edge_metrics_value (s) == 4);
    char *text = edge_metrics_render (metrics);
    assert_string_equal (
        text, "# HELP edge_took_seconds Durations.\n"
              "# TYPE edge_took_seconds histogram\n"
              "edge_took_seconds_bucket{type=\"hello\",le=\"0.1\"} 2\n"
              "edge_took_seconds_bucket{type=\"hello\",le=\"1\"} 2\n"
              "edge_took_seconds_bucket{type=\"hello\",le=\"2.5\"} 3\n"
              "edge_took_seconds_bucket{type=\"hello\",le=\"+Inf\"} 4\n"
              "edge_took_seconds_sum{type=\"hello\"} 12.15\n"
              "edge_took_seconds_count{type=\"hello\"} 4\n");
    free (text);
    edge_metrics_destroy (&metrics);
}


static void
test_histogram_without_labels (void **state)
{
    (void) state;
    edge_metrics_t *metrics = edge_metrics_new ();
    static const double bounds[] = {0.005};
    edge_metrics_family_t *h = edge_metrics_histogram (
        metrics, "edge_lat_seconds", NULL, "Latency.", bounds, 1);
    edge_metrics_series (h);
    char *text = edge_metrics_render (metrics);
    assert_true (edge_testutil_has_line (text, "edge_lat_seconds_bucket{le=\"0.005\"} 0"));
    assert_true (edge_testutil_has_line (text, "edge_lat_seconds_bucket{le=\"+Inf\"} 0"));
    assert_true (edge_testutil_has_line (text, "edge_lat_seconds_sum 0"));
    assert_true (edge_testutil_has_line (text, "edge_lat_seconds_count 0"));
    free (text);
    edge_metrics_destroy (&metrics);
}


static void
test_family_is_bounded_and_null_series_are_ignored (void **state)
{
    (void) state;
    edge_metrics_t *metrics = edge_metrics_new ();
    edge_metrics_family_t *c =
        edge_metrics_counter (metrics, "edge_c_total", "k", "Bounded.");
    for (int i = 0; i < EDGE_METRICS_SERIES_MAX; i++) {
        char value[16];
        snprintf (value, sizeof value, "v%d", i);
        assert_non_null (edge_metrics_series (c, value));
    }
    edge_metrics_series_t *extra = edge_metrics_series (c, "one-too-many");
    assert_null (extra);
    edge_metrics_add (extra, 1);
    edge_metrics_set (extra, 1);
    edge_metrics_observe (extra, 1);
    assert_true (edge_metrics_value (extra) == 0);
    assert_non_null (edge_metrics_series (c, "v0")); //  known values still work
    char *text = edge_metrics_render (metrics);
    assert_null (strstr (text, "one-too-many"));
    free (text);
    edge_metrics_destroy (&metrics);
}


static void
s_collect (edge_metrics_t *self, void *arg)
{
    (void) self;
    int *calls = arg;
    (*calls)++;
    edge_metrics_set ((edge_metrics_series_t *) NULL, 0);
}


static void
test_collect_hooks_run_before_each_render (void **state)
{
    (void) state;
    edge_metrics_t *metrics = edge_metrics_new ();
    int calls = 0;
    edge_metrics_on_collect (metrics, s_collect, &calls);
    free (edge_metrics_render (metrics));
    free (edge_metrics_render (metrics));
    assert_int_equal (calls, 2);
    edge_metrics_destroy (&metrics);
}


static void
test_process_families_hold_version_and_reconnects (void **state)
{
    (void) state;
    edge_metrics_t *metrics = edge_metrics_new ();
    edge_metrics_add_process (metrics, "1.2.3");
    char *text = edge_metrics_render (metrics);
    assert_true (edge_testutil_has_line (text, "# TYPE edge_build_info gauge"));
    assert_true (edge_testutil_has_line (text, "edge_build_info{version=\"1.2.3\"} 1"));
    assert_true (
        edge_testutil_has_line (text, "# TYPE edge_redis_reconnects_total counter"));
    assert_true (edge_testutil_has_line (text, "edge_redis_reconnects_total 0"));
    free (text);
    edge_metrics_destroy (&metrics);
}


#define S_THREADS 8
#define S_ROUNDS  20000

typedef struct {
    edge_metrics_family_t *counter;
    edge_metrics_family_t *histogram;
    int index;
} s_worker_arg_t;


static void *
s_increment (void *arg)
{
    s_worker_arg_t *w = arg;
    const char *type = w->index % 2 ? "odd" : "even";
    for (int i = 0; i < S_ROUNDS; i++) {
        edge_metrics_add (edge_metrics_series (w->counter, type), 1);
        edge_metrics_observe (edge_metrics_series (w->histogram, type), 0.5);
    }
    return NULL;
}


static void *
s_render_loop (void *arg)
{
    edge_metrics_t *metrics = arg;
    for (int i = 0; i < 200; i++)
        free (edge_metrics_render (metrics));
    return NULL;
}


static void
test_concurrent_increments_are_all_counted (void **state)
{
    (void) state;
    edge_metrics_t *metrics = edge_metrics_new ();
    static const double bounds[] = {1};
    s_worker_arg_t args[S_THREADS];
    edge_metrics_family_t *counter =
        edge_metrics_counter (metrics, "edge_n_total", "type", "Counted.");
    edge_metrics_family_t *histogram = edge_metrics_histogram (
        metrics, "edge_h_seconds", "type", "Observed.", bounds, 1);
    pthread_t threads[S_THREADS], renderer;
    pthread_create (&renderer, NULL, s_render_loop, metrics);
    for (int i = 0; i < S_THREADS; i++) {
        args[i] = (s_worker_arg_t){counter, histogram, i};
        pthread_create (&threads[i], NULL, s_increment, &args[i]);
    }
    for (int i = 0; i < S_THREADS; i++)
        pthread_join (threads[i], NULL);
    pthread_join (renderer, NULL);
    char *text = edge_metrics_render (metrics);
    char line[128];
    int each = S_THREADS / 2 * S_ROUNDS;
    snprintf (line, sizeof line, "edge_n_total{type=\"odd\"} %d", each);
    assert_true (edge_testutil_has_line (text, line));
    snprintf (line, sizeof line, "edge_n_total{type=\"even\"} %d", each);
    assert_true (edge_testutil_has_line (text, line));
    snprintf (line, sizeof line,
              "edge_h_seconds_bucket{type=\"odd\",le=\"1\"} %d", each);
    assert_true (edge_testutil_has_line (text, line));
    snprintf (line, sizeof line, "edge_h_seconds_sum{type=\"even\"} %d",
              each / 2);
    assert_true (edge_testutil_has_line (text, line));
    free (text);
    edge_metrics_destroy (&metrics);
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_constructor_and_destroy_nulls),
        cmocka_unit_test (test_empty_registry_renders_nothing),
        cmocka_unit_test (test_counter_and_gauge_render_help_type_and_samples),
        cmocka_unit_test (
            test_series_are_kept_per_label_values_in_creation_order),
        cmocka_unit_test (test_label_values_and_help_are_escaped),
        cmocka_unit_test (test_values_render_exactly),
        cmocka_unit_test (
            test_histogram_buckets_are_cumulative_with_sum_and_count),
        cmocka_unit_test (test_histogram_without_labels),
        cmocka_unit_test (test_family_is_bounded_and_null_series_are_ignored),
        cmocka_unit_test (test_collect_hooks_run_before_each_render),
        cmocka_unit_test (test_process_families_hold_version_and_reconnects),
        cmocka_unit_test (test_concurrent_increments_are_all_counted),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
