/*  test_wk_metrics - the worker's families: tasks by type and state,
    durations, unknown types as "other", bytes and slots; no-ops before
    setup.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "wk_metrics.h"
#include <stdbool.h>
#include <stdio.h>
#include "edge_testutil.h"
#include <stdlib.h>
#include <string.h>

static void
test_calls_before_setup_are_no_ops (void **state)
{
    (void) state;
    wk_metrics_task_started ("hello");
    wk_metrics_task_ended ("hello", "succeeded", 1);
    wk_metrics_downloaded (10);
    wk_metrics_slots (1, 2, 3);
}


static void
test_known_types_start_at_zero (void **state)
{
    (void) state;
    edge_metrics_t *metrics = edge_metrics_new ();
    wk_metrics_setup (metrics);
    char *text = edge_metrics_render (metrics);
    const char *types[] = {"hello", "dltar", "mkraw", "deploy"};
    for (size_t i = 0; i < 4; i++) {
        char line[128];
        snprintf (line, sizeof line,
                  "edge_worker_tasks_failed_total{type=\"%s\"} 0", types[i]);
        assert_true (edge_testutil_has_line (text, line));
    }
    assert_null (strstr (text, "type=\"other\""));
    free (text);
    wk_metrics_cleanup ();
    edge_metrics_destroy (&metrics);
}


static void
test_tasks_bytes_and_slots_are_counted (void **state)
{
    (void) state;
    edge_metrics_t *metrics = edge_metrics_new ();
    wk_metrics_setup (metrics);
    wk_metrics_task_started ("hello");
    wk_metrics_task_started ("hello");
    wk_metrics_task_started ("no-such-type");
    wk_metrics_task_ended ("hello", "succeeded", 0.02);
    wk_metrics_task_ended ("hello", "failed", 0.2);
    wk_metrics_task_ended ("no-such-type", "failed", 0.001);
    wk_metrics_downloaded (1000);
    wk_metrics_downloaded (24);
    wk_metrics_built (7);
    wk_metrics_published (1ull << 40);
    wk_metrics_slots (1, 3, 2);
    char *text = edge_metrics_render (metrics);
    assert_true (
        edge_testutil_has_line (text, "edge_worker_tasks_started_total{type=\"hello\"} 2"));
    assert_true (edge_testutil_has_line (
        text, "edge_worker_tasks_succeeded_total{type=\"hello\"} 1"));
    assert_true (
        edge_testutil_has_line (text, "edge_worker_tasks_failed_total{type=\"hello\"} 1"));
    assert_true (
        edge_testutil_has_line (text, "edge_worker_tasks_failed_total{type=\"other\"} 1"));
    assert_true (edge_testutil_has_line (
        text, "edge_worker_task_duration_seconds_count{type=\"hello\"} 2"));
    assert_true (edge_testutil_has_line (text, "edge_worker_task_duration_seconds_bucket{"
                                   "type=\"hello\",le=\"0.025\"} 1"));
    assert_true (edge_testutil_has_line (text, "edge_worker_task_duration_seconds_bucket{"
                                   "type=\"hello\",le=\"0.25\"} 2"));
    assert_true (edge_testutil_has_line (text, "edge_worker_bytes_downloaded_total 1024"));
    assert_true (edge_testutil_has_line (text, "edge_worker_bytes_built_total 7"));
    assert_true (
        edge_testutil_has_line (text, "edge_worker_bytes_published_total 1099511627776"));
    assert_true (edge_testutil_has_line (text, "edge_worker_slots_running 1"));
    assert_true (edge_testutil_has_line (text, "edge_worker_slots_free 3"));
    assert_true (edge_testutil_has_line (text, "edge_worker_backlog_jobs 2"));
    free (text);
    wk_metrics_cleanup ();
    edge_metrics_destroy (&metrics);
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_calls_before_setup_are_no_ops),
        cmocka_unit_test (test_known_types_start_at_zero),
        cmocka_unit_test (test_tasks_bytes_and_slots_are_counted),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
