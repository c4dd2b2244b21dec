/*  test_wk_profile - preloads on hand-computed cases (one access, accesses
    after the whole stream arrived, zero bandwidth, identical traces), the
    fitted order's rules and tie-breaking, percentiles, folds and
    cross-validation.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "wk_profile.h"
#include "edge_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_B1  8000  //  bits per second: one byte per millisecond
#define S_B10 80000 //  ten bytes per millisecond


//  A manifest of one file made of chunks with these stored sizes.
static wk_manifest_t *
s_manifest (const uint32_t *sizes, size_t n)
{
    size_t cap = 256 + n * 256;
    char *text = edge_malloc (cap);
    size_t len = 0;
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += sizes[i];
    len += (size_t) snprintf (text + len, cap - len,
                              "{\"version\":1,\"files\":[{\"path\":\"f\","
                              "\"type\":\"file\",\"mode\":420,\"mtime\":0,"
                              "\"size\":%llu,\"chunks\":[",
                              (unsigned long long) total);
    uint64_t at = 0;
    for (size_t i = 0; i < n; i++) {
        len += (size_t) snprintf (text + len, cap - len, "%s[%zu,%llu,%u]",
                                  i ? "," : "", i, (unsigned long long) at,
                                  sizes[i]);
        at += sizes[i];
    }
    len += (size_t) snprintf (text + len, cap - len, "]}],\"chunks\":[");
    at = 0;
    for (size_t i = 0; i < n; i++) {
        len += (size_t) snprintf (
            text + len, cap - len,
            "%s{\"sha256\":\"%064zx\",\"size\":%u,\"storedSize\":%u,"
            "\"compression\":\"none\",\"segment\":0,\"offset\":%llu}",
            i ? "," : "", i + 1, sizes[i], sizes[i], (unsigned long long) at);
        at += sizes[i];
    }
    len += (size_t) snprintf (text + len, cap - len, "],\"loadOrder\":[");
    for (size_t i = 0; i < n; i++)
        len +=
            (size_t) snprintf (text + len, cap - len, "%s%zu", i ? "," : "", i);
    len += (size_t) snprintf (text + len, cap - len,
                              "],\"segments\":[{\"name\":\"seg_00000.bin\","
                              "\"size\":%llu}]}",
                              (unsigned long long) total);
    char err[256];
    wk_manifest_t *m = wk_manifest_decode (text, len, err, sizeof (err));
    if (!m)
        fprintf (stderr, "manifest: %s\n", err);
    assert_non_null (m);
    free (text);
    return m;
}


//  A trace from pairs {chunk, t_ms}; the caller destroys it.
static wk_trace_t *
s_trace (const char *id, const uint32_t (*touches)[2], size_t n)
{
    wk_trace_t *trace = edge_calloc (1, sizeof (*trace));
    trace->trace_id = edge_strdup (id);
    trace->touches = edge_calloc (n + 1, sizeof (wk_trace_touch_t));
    for (size_t i = 0; i < n; i++)
        trace->touches[i] = (wk_trace_touch_t){touches[i][0], touches[i][1]};
    trace->ntouches = n;
    return trace;
}


static void
s_add (wk_profile_t *profile,
       const char *id,
       const uint32_t (*touches)[2],
       size_t n)
{
    wk_trace_t *trace = s_trace (id, touches, n);
    assert_int_equal (wk_profile_add_trace (profile, trace), 0);
    wk_trace_destroy (&trace);
}


static const uint32_t s_sizes[] = {100, 200, 300};


static void
test_profile_new_and_destroy_null_the_pointer (void **state)
{
    (void) state;
    wk_manifest_t *m = s_manifest (s_sizes, 3);
    wk_profile_t *profile = wk_profile_new (m, NULL);
    assert_non_null (profile);
    assert_int_equal (wk_profile_nchunks (profile), 3);
    assert_int_equal (wk_profile_stream_size (profile), 600);
    wk_profile_destroy (&profile);
    assert_null (profile);
    wk_profile_destroy (&profile);
    wk_manifest_destroy (&m);
}


static void
test_one_access_needs_its_chunk_end_minus_what_arrived (void **state)
{
    (void) state;
    wk_manifest_t *m = s_manifest (s_sizes, 3);
    uint64_t *ends =
        wk_profile_stream_ends ((uint32_t[]){100, 200, 300}, 3, NULL, 0);
    assert_int_equal (ends[0], 100);
    assert_int_equal (ends[2], 600);
    wk_trace_t *trace = s_trace ("t", (const uint32_t[][2]){{2, 100}}, 1);
    //  chunk 2 ends at 600; 100 ms at 1 byte/ms brought 100 bytes
    assert_int_equal (wk_profile_preload (trace, ends, S_B1), 500);
    //  1 Mbit/s = 125 bytes/ms: 12500 bytes by then
    assert_int_equal (wk_profile_preload (trace, ends, 1000000), 0);
    //  12 kbit/s = 1.5 bytes/ms: 150 bytes
    assert_int_equal (wk_profile_preload (trace, ends, 12000), 450);
    //  7999 bit/s for 100 ms: 99.9875 bytes, floor 99, so 501 needed
    assert_int_equal (wk_profile_preload (trace, ends, 7999), 501);
    wk_trace_destroy (&trace);
    free (ends);
    wk_manifest_destroy (&m);
}


static void
test_accesses_after_the_stream_arrived_need_no_preload (void **state)
{
    (void) state;
    uint64_t *ends = wk_profile_stream_ends ((uint32_t[]){100, 200, 300}, 3,
                                             (uint32_t[]){2, 1, 0}, 3);
    assert_int_equal (ends[2], 300); //  reversed: 2 first
    assert_int_equal (ends[0], 600);
    wk_trace_t *late =
        s_trace ("t", (const uint32_t[][2]){{0, 600}, {1, 9000}}, 2);
    assert_int_equal (wk_profile_preload (late, ends, S_B1), 0);
    wk_trace_t *mixed =
        s_trace ("t", (const uint32_t[][2]){{2, 0}, {0, 700}}, 2);
    //  chunk 2 needed at once (300), chunk 0 after the end arrived (0)
    assert_int_equal (wk_profile_preload (mixed, ends, S_B1), 300);
    wk_trace_destroy (&mixed);
    wk_trace_destroy (&late);
    free (ends);
}


static void
test_zero_bandwidth_needs_the_last_touched_chunk_end (void **state)
{
    (void) state;
    uint64_t *ends =
        wk_profile_stream_ends ((uint32_t[]){100, 200, 300}, 3, NULL, 0);
    wk_trace_t *trace =
        s_trace ("t", (const uint32_t[][2]){{1, 0}, {0, 5000}}, 2);
    assert_int_equal (wk_profile_preload (trace, ends, 0), 300);
    wk_trace_t *none = s_trace ("t", NULL, 0);
    assert_int_equal (wk_profile_preload (none, ends, 0), 0);
    wk_trace_destroy (&none);
    wk_trace_destroy (&trace);
    free (ends);
}


static void
test_a_partial_order_is_followed_by_the_rest_in_index_order (void **state)
{
    (void) state;
    uint64_t *ends = wk_profile_stream_ends ((uint32_t[]){100, 200, 300}, 3,
                                             (uint32_t[]){1, 1, 7}, 3);
    assert_int_equal (ends[1], 200); //  repeats and unknown chunks skipped
    assert_int_equal (ends[0], 300);
    assert_int_equal (ends[2], 600);
    free (ends);
}


static void
test_identical_traces_fit_their_own_order (void **state)
{
    (void) state;
    wk_manifest_t *m = s_manifest ((uint32_t[]){10, 20, 30, 40, 50}, 5);
    wk_profile_t *profile = wk_profile_new (m, NULL);
    const uint32_t touches[][2] = {{4, 0}, {2, 10}, {3, 10}};
    char id[16];
    for (int i = 0; i < 10; i++) {
        snprintf (id, sizeof (id), "tr_%d", i);
        s_add (profile, id, touches, 3);
    }
    uint32_t *order = wk_profile_fit (profile, NULL);
    uint32_t want[] = {4, 2, 3, 0, 1}; //  2 before 3: same key, same count
    assert_memory_equal (order, want, sizeof (want));
    uint64_t *ends = wk_profile_ends (profile, order, 5);
    //  at 1 byte/ms: 4 ends at 50 (t 0), 2 at 80 (t 10), 3 at 120 (t 10)
    assert_int_equal (wk_profile_trace_preload (profile, 0, ends, S_B1), 110);
    assert_int_equal (wk_profile_oracle_preload (profile, 0, S_B1), 110);
    uint64_t bps[] = {0, S_B1, 80000000};
    uint64_t bytes[3];
    wk_profile_preload_table (profile, order, 5, bps, 3, bytes);
    assert_int_equal (bytes[0], 120);
    assert_int_equal (bytes[1], 110);
    assert_int_equal (bytes[2], 50); //  chunk 4 at t 0 always waits
    wk_profile_eval_t eval;
    assert_int_equal (wk_profile_evaluate (profile, NULL, 0, S_B1, &eval), 0);
    assert_int_equal (eval.folds, 5);
    assert_int_equal (eval.after.preload_bytes, 110);
    assert_true (eval.after.quality == 1.0);
    assert_true (eval.after.expected_time_to_play_ms == 110.0);
    //  file order: 3 ends at 100 (t 10), 4 at 150 (t 0)
    assert_int_equal (eval.before.preload_bytes, 150);
    assert_true (eval.before.quality == 1.0);
    assert_true (eval.is_better); //  (150 - 110) / 150 > 5 %
    free (ends);
    free (order);
    wk_profile_destroy (&profile);
    wk_manifest_destroy (&m);
}


static void
test_ties_go_to_more_traces_then_file_order (void **state)
{
    (void) state;
    uint32_t sizes[] = {1, 1, 1, 1, 1, 1, 1};
    wk_manifest_t *m = s_manifest (sizes, 7);
    wk_profile_t *profile = wk_profile_new (m, NULL);
    s_add (profile, "a", (const uint32_t[][2]){{3, 0}, {1, 0}, {4, 5}, {2, 5}},
           4);
    s_add (profile, "b", (const uint32_t[][2]){{3, 0}, {1, 0}, {2, 5}, {4, 5}},
           4);
    s_add (profile, "c", (const uint32_t[][2]){{6, 0}, {1, 0}}, 2);
    uint32_t *order = wk_profile_fit (profile, NULL);
    //  1 (3 traces) before 3 (2 traces) at key 0; 2 before 4 at key 5;
    //  6 has one trace only: after every reliable chunk; 0 and 5 untraced
    uint32_t want[] = {1, 3, 2, 4, 6, 0, 5};
    assert_memory_equal (order, want, sizeof (want));
    free (order);
    wk_profile_destroy (&profile);
    wk_manifest_destroy (&m);
}


static void
test_one_early_trace_cannot_pull_a_chunk_ahead (void **state)
{
    (void) state;
    uint32_t sizes[] = {1, 1, 1, 1};
    wk_manifest_t *m = s_manifest (sizes, 4);
    wk_profile_t *profile = wk_profile_new (m, NULL);
    //  chunk 2: once at 0, once at 1000; chunk 1 by all at 500; chunk 3
    //  once at 0 only
    s_add (profile, "a", (const uint32_t[][2]){{2, 0}, {3, 0}, {1, 500}}, 3);
    s_add (profile, "b", (const uint32_t[][2]){{1, 500}, {2, 1000}}, 2);
    s_add (profile, "c", (const uint32_t[][2]){{1, 500}}, 1);
    uint32_t *order = wk_profile_fit (profile, NULL);
    uint32_t want[] = {1, 2, 3, 0}; //  2's key is its 2nd time, 1000
    assert_memory_equal (order, want, sizeof (want));
    free (order);
    //  fitted on "a" alone: every chunk has one trace, in a's own order
    bool is_used[] = {true, false, false};
    order = wk_profile_fit (profile, is_used);
    uint32_t want_a[] = {2, 3, 1, 0};
    assert_memory_equal (order, want_a, sizeof (want_a));
    free (order);
    wk_profile_destroy (&profile);
    wk_manifest_destroy (&m);
}


static void
test_percentile_is_nearest_rank (void **state)
{
    (void) state;
    uint64_t values[10];
    for (int i = 0; i < 10; i++)
        values[i] = (uint64_t) (10 - i);
    assert_int_equal (wk_profile_percentile (values, 10, 90), 9);
    assert_int_equal (wk_profile_percentile (values, 10, 100), 10);
    assert_int_equal (wk_profile_percentile (values, 10, 50), 5);
    assert_int_equal (wk_profile_percentile (values, 10, 0), 1);
    assert_int_equal (wk_profile_percentile (values, 10, 91), 10);
    assert_int_equal (wk_profile_percentile (NULL, 0, 90), 0);
}


static void
test_bad_touches_are_refused (void **state)
{
    (void) state;
    wk_manifest_t *m = s_manifest (s_sizes, 3);
    wk_profile_t *profile = wk_profile_new (m, NULL);
    wk_trace_t *trace = s_trace ("x", (const uint32_t[][2]){{3, 0}}, 1);
    assert_int_equal (wk_profile_add_trace (profile, trace), -1);
    wk_trace_destroy (&trace);
    trace = s_trace ("x", (const uint32_t[][2]){{0, 5}, {1, 4}}, 2);
    assert_int_equal (wk_profile_add_trace (profile, trace), -1);
    wk_trace_destroy (&trace);
    assert_int_equal (wk_profile_count (profile), 0);
    wk_profile_eval_t eval;
    assert_int_equal (wk_profile_evaluate (profile, NULL, 0, S_B1, &eval), -1);
    s_add (profile, "only", (const uint32_t[][2]){{0, 0}}, 1);
    assert_int_equal (wk_profile_evaluate (profile, NULL, 0, S_B1, &eval), -1);
    wk_profile_destroy (&profile);
    wk_manifest_destroy (&m);
}


static void
s_add_many (wk_profile_t *profile, int n, bool is_reversed)
{
    for (int k = 0; k < n; k++) {
        int i = is_reversed ? n - 1 - k : k;
        char id[32];
        snprintf (id, sizeof (id), "tr_%04d", i);
        //  every trace needs chunks 9, 8, ... 0 in that order, a little
        //  later or earlier each
        uint32_t touches[10][2];
        for (uint32_t c = 0; c < 10; c++) {
            touches[c][0] = 9 - c;
            touches[c][1] = c * 100 + (uint32_t) i % 7;
        }
        s_add (profile, id, (const uint32_t (*)[2]) touches, 10);
    }
}


static void
test_folds_depend_on_the_ids_only (void **state)
{
    (void) state;
    uint32_t sizes[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    wk_manifest_t *m = s_manifest (sizes, 10);
    wk_profile_t *one = wk_profile_new (m, NULL);
    wk_profile_t *two = wk_profile_new (m, NULL);
    s_add_many (one, 23, false);
    s_add_many (two, 23, true);
    uint32_t folds_one[23], folds_two[23], sizes_of[5] = {0};
    wk_profile_folds (one, 5, folds_one);
    wk_profile_folds (two, 5, folds_two);
    for (int i = 0; i < 23; i++) {
        assert_string_equal (wk_profile_trace_id (one, (size_t) i),
                             wk_profile_trace_id (two, (size_t) (22 - i)));
        assert_int_equal (folds_one[i], folds_two[22 - i]);
        sizes_of[folds_one[i]]++;
    }
    for (int f = 0; f < 5; f++)
        assert_true (sizes_of[f] == 4 || sizes_of[f] == 5);
    wk_profile_eval_t a, b;
    assert_int_equal (wk_profile_evaluate (one, NULL, 0, S_B1, &a), 0);
    assert_int_equal (wk_profile_evaluate (two, NULL, 0, S_B1, &b), 0);
    assert_int_equal (a.before.preload_bytes, b.before.preload_bytes);
    assert_int_equal (a.after.preload_bytes, b.after.preload_bytes);
    assert_true (a.after.quality == b.after.quality);
    assert_true (a.after.expected_time_to_play_ms
                 == b.after.expected_time_to_play_ms);
    wk_profile_destroy (&two);
    wk_profile_destroy (&one);
    wk_manifest_destroy (&m);
}


static void
test_cross_validation_prefers_the_traced_order (void **state)
{
    (void) state;
    uint32_t sizes[10];
    for (int i = 0; i < 10; i++)
        sizes[i] = 1000;
    wk_manifest_t *m = s_manifest (sizes, 10);
    wk_profile_t *profile = wk_profile_new (m, NULL);
    s_add_many (profile, 12, false);
    wk_profile_eval_t eval;
    //  file order: chunk 0 (needed last, ~900 ms) is first; 9 (needed at
    //  0..6 ms) ends the stream at 10000: 10000 - 10 * (i % 7) needed.
    //  Fitted: 9, 8 ... 0, chunk k-th ends at 1000 (k + 1), needed at
    //  100 k + i % 7: 1000 - 10 * (i % 7) needed.
    assert_int_equal (wk_profile_evaluate (profile, NULL, 0, S_B10, &eval), 0);
    assert_int_equal (eval.folds, 5);
    assert_int_equal (eval.traces, 12);
    assert_int_equal (eval.bandwidth_bps, S_B10);
    assert_int_equal (eval.before.preload_bytes, 10000);
    assert_int_equal (eval.after.preload_bytes, 1000);
    assert_true (eval.after.preload_share == 0.1);
    assert_true (eval.is_better);
    //  judged against its own fitted order, nothing improves
    uint32_t *order = wk_profile_fit (profile, NULL);
    assert_int_equal (wk_profile_evaluate (profile, order, 10, S_B10, &eval),
                      0);
    assert_int_equal (eval.before.preload_bytes, eval.after.preload_bytes);
    assert_false (eval.is_better);
    free (order);
    wk_profile_destroy (&profile);
    wk_manifest_destroy (&m);
}


static void
test_improvement_needs_more_than_the_threshold (void **state)
{
    (void) state;
    wk_profile_figures_t before = {1000, 0.5, 0.80, 2000}, after = before;
    assert_false (wk_profile_is_better (&before, &after, 0.05));
    after.preload_bytes = 950; //  exactly 5 %
    assert_false (wk_profile_is_better (&before, &after, 0.05));
    after.preload_bytes = 949;
    assert_true (wk_profile_is_better (&before, &after, 0.05));
    //  one held-out trace of 12 less on time does not veto a gain ...
    after.quality = 0.72;
    assert_true (wk_profile_is_better (&before, &after, 0.05));
    //  ... but a longer expected time to play does
    after.expected_time_to_play_ms = 2101; //  + 5.05 %
    assert_false (wk_profile_is_better (&before, &after, 0.05));
    after.expected_time_to_play_ms = 2100; //  + 5 % exactly: tolerated
    assert_true (wk_profile_is_better (&before, &after, 0.05));
    after = before;
    after.quality = 0.86;
    assert_true (wk_profile_is_better (&before, &after, 0.05));
    before.preload_bytes = 0;
    after.preload_bytes = 0;
    before.expected_time_to_play_ms = after.expected_time_to_play_ms = 0;
    assert_true (wk_profile_is_better (&before, &after, 0.05));
    after.quality = before.quality;
    after.preload_bytes = 1;
    assert_false (wk_profile_is_better (&before, &after, 0.05));
    after.quality = 0.9; //  better on time, but now some wait
    after.expected_time_to_play_ms = 1;
    assert_false (wk_profile_is_better (&before, &after, 0.05));
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_profile_new_and_destroy_null_the_pointer),
        cmocka_unit_test (
            test_one_access_needs_its_chunk_end_minus_what_arrived),
        cmocka_unit_test (
            test_accesses_after_the_stream_arrived_need_no_preload),
        cmocka_unit_test (test_zero_bandwidth_needs_the_last_touched_chunk_end),
        cmocka_unit_test (
            test_a_partial_order_is_followed_by_the_rest_in_index_order),
        cmocka_unit_test (test_identical_traces_fit_their_own_order),
        cmocka_unit_test (test_ties_go_to_more_traces_then_file_order),
        cmocka_unit_test (test_one_early_trace_cannot_pull_a_chunk_ahead),
        cmocka_unit_test (test_percentile_is_nearest_rank),
        cmocka_unit_test (test_bad_touches_are_refused),
        cmocka_unit_test (test_folds_depend_on_the_ids_only),
        cmocka_unit_test (test_cross_validation_prefers_the_traced_order),
        cmocka_unit_test (test_improvement_needs_more_than_the_threshold),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
