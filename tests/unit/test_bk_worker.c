/*  test_bk_worker - the worker table and its credit bookkeeping.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "bk_worker.h"
#include "edge_log.h"

#define S_LOST_MS 3000 //  lost_after_ms used with bk_worker_report


//  Register a worker whose routing id is its id, described with capacity.
static bk_worker_t *
s_add (bk_worker_table_t *table,
       const char *id,
       uint32_t capacity,
       uint32_t free,
       uint64_t last_seq,
       int64_t now)
{
    bk_worker_t *worker =
        bk_worker_table_add (table, id, strlen (id), id, last_seq, now);
    assert_non_null (worker);
    bk_worker_describe (worker, "0.1.0", capacity);
    bk_worker_report (worker, free, last_seq, now, S_LOST_MS);
    return worker;
}


static void
test_new_table_is_empty_and_destroy_nulls_the_pointer (void **state)
{
    (void) state;
    bk_worker_table_t *table = bk_worker_table_new ();
    assert_non_null (table);
    assert_int_equal (bk_worker_table_size (table), 0);
    assert_null (bk_worker_table_first (table));
    assert_null (bk_worker_table_best (table));
    bk_worker_table_destroy (&table);
    assert_null (table);
    bk_worker_table_destroy (&table);
    assert_null (table);
}


static void
test_workers_are_found_by_binary_routing_id (void **state)
{
    (void) state;
    bk_worker_table_t *table = bk_worker_table_new ();
    const uint8_t routing[] = {0x00, 0x6b, 0x8b, 0x45, 0x67};
    bk_worker_t *worker =
        bk_worker_table_add (table, routing, sizeof routing, "w1", 7, 100);
    assert_string_equal (worker->id, "w1");
    assert_string_equal (worker->version, "unknown");
    assert_false (worker->is_described);
    assert_int_equal (worker->sent_seq, 7);
    assert_int_equal (worker->last_seq, 7);
    assert_ptr_equal (bk_worker_table_lookup (table, routing, sizeof routing),
                      worker);
    assert_null (bk_worker_table_lookup (table, routing, 4));
    assert_null (bk_worker_table_lookup (table, "w1", 2));
    assert_null (bk_worker_table_lookup (table, routing, 0));
    s_add (table, "w2", 1, 1, 0, 100);
    assert_int_equal (bk_worker_table_size (table), 2);
    bk_worker_table_remove (table, &worker);
    assert_null (worker);
    assert_null (bk_worker_table_lookup (table, routing, sizeof routing));
    assert_int_equal (bk_worker_table_size (table), 1);
    bk_worker_table_destroy (&table); //  frees w2 (ASan checks)
}


static void
test_credit_is_free_slots_minus_jobs_in_flight (void **state)
{
    (void) state;
    bk_worker_table_t *table = bk_worker_table_new ();
    //  registered from a message with last_seq 40: nothing in flight
    bk_worker_t *worker = s_add (table, "w1", 3, 3, 40, 100);
    assert_int_equal (bk_worker_credit (worker), 3);
    bk_worker_table_mark_sent (table, worker, 41, 110);
    bk_worker_table_mark_sent (table, worker, 42, 110);
    assert_int_equal (bk_worker_credit (worker), 1);
    //  a heartbeat sent before the jobs arrived changes nothing
    bk_worker_report (worker, 3, 40, 120, S_LOST_MS);
    assert_int_equal (bk_worker_credit (worker), 1);
    //  it got both and runs them
    bk_worker_report (worker, 1, 42, 130, S_LOST_MS);
    assert_int_equal (bk_worker_credit (worker), 1);
    bk_worker_table_mark_sent (table, worker, 43, 140);
    assert_int_equal (bk_worker_credit (worker), 0);
    bk_worker_report (worker, 3, 43, 150, S_LOST_MS); //  all done
    assert_int_equal (bk_worker_credit (worker), 3);
    bk_worker_table_destroy (&table);
}


static void
test_best_worker_has_most_credit_then_least_recent_use (void **state)
{
    (void) state;
    bk_worker_table_t *table = bk_worker_table_new ();
    bk_worker_t *w1 = s_add (table, "w1", 1, 1, 0, 100);
    bk_worker_t *w2 = s_add (table, "w2", 2, 2, 0, 100);
    bk_worker_t *w3 = s_add (table, "w3", 1, 1, 0, 100);
    assert_ptr_equal (bk_worker_table_best (table), w2);
    bk_worker_table_mark_sent (table, w2, 1, 100);
    //  all have 1: w1 joined first and was never used
    assert_ptr_equal (bk_worker_table_best (table), w1);
    bk_worker_table_mark_sent (table, w1, 1, 100);
    //  w3 (joined before w2 was last used) comes before w2
    assert_ptr_equal (bk_worker_table_best (table), w3);
    bk_worker_table_mark_sent (table, w3, 1, 100);
    assert_ptr_equal (bk_worker_table_best (table), w2);
    bk_worker_table_mark_sent (table, w2, 2, 100);
    assert_null (bk_worker_table_best (table));
    bk_worker_report (w1, 1, 1, 110, S_LOST_MS);
    assert_ptr_equal (bk_worker_table_best (table), w1);
    bk_worker_table_destroy (&table);
}


static void
test_a_worker_ahead_of_the_broker_is_believed (void **state)
{
    (void) state;
    bk_worker_table_t *table = bk_worker_table_new ();
    bk_worker_t *worker = s_add (table, "w1", 2, 2, 5, 100);
    bk_worker_report (worker, 2, 9, 110, S_LOST_MS);
    assert_int_equal (worker->sent_seq, 9);
    assert_int_equal (bk_worker_credit (worker), 2);
    bk_worker_table_destroy (&table);
}


static void
test_jobs_that_never_arrive_are_given_up (void **state)
{
    (void) state;
    bk_worker_table_t *table = bk_worker_table_new ();
    bk_worker_t *worker = s_add (table, "w1", 1, 1, 0, 1000);
    bk_worker_table_mark_sent (table, worker, 1, 1000);
    //  still missing shortly after: in flight, no credit
    bk_worker_report (worker, 1, 0, 1000 + S_LOST_MS - 1, S_LOST_MS);
    assert_int_equal (worker->sent_seq, 1);
    assert_int_equal (bk_worker_credit (worker), 0);
    //  still missing lost_after_ms after the send: lost, credit restored
    bk_worker_report (worker, 1, 0, 1000 + S_LOST_MS, S_LOST_MS);
    assert_int_equal (worker->sent_seq, 0);
    assert_int_equal (bk_worker_credit (worker), 1);
    bk_worker_table_destroy (&table);
}


static void
test_more_in_flight_than_capacity_means_a_restarted_worker (void **state)
{
    (void) state;
    bk_worker_table_t *table = bk_worker_table_new ();
    bk_worker_t *worker = s_add (table, "w1", 2, 2, 57, 100);
    bk_worker_table_mark_sent (table, worker, 58, 100);
    //  the same id comes back from a fresh process: last_seq 0
    bk_worker_describe (worker, "0.2.0", 2);
    bk_worker_report (worker, 2, 0, 101, S_LOST_MS);
    assert_string_equal (worker->version, "0.2.0");
    assert_int_equal (worker->sent_seq, 0);
    assert_int_equal (bk_worker_credit (worker), 2);
    bk_worker_table_destroy (&table);
}


static void
test_undescribed_worker_is_not_judged_by_capacity (void **state)
{
    (void) state;
    bk_worker_table_t *table = bk_worker_table_new ();
    //  registered by a DONE: capacity unknown (0)
    bk_worker_t *worker = bk_worker_table_add (table, "w1", 2, "w1", 3, 100);
    bk_worker_report (worker, 2, 3, 100, S_LOST_MS);
    assert_int_equal (bk_worker_credit (worker), 2);
    bk_worker_table_mark_sent (table, worker, 4, 100);
    bk_worker_report (worker, 2, 3, 101, S_LOST_MS);
    assert_int_equal (worker->sent_seq, 4);
    assert_int_equal (bk_worker_credit (worker), 1);
    bk_worker_table_destroy (&table);
}


static void
test_silent_workers_expire (void **state)
{
    (void) state;
    bk_worker_table_t *table = bk_worker_table_new ();
    s_add (table, "old", 1, 1, 0, 1000);
    s_add (table, "new", 1, 1, 0, 1500);
    assert_int_equal (bk_worker_table_expire (table, 4000, 3000), 0);
    assert_int_equal (bk_worker_table_expire (table, 4001, 3000), 1);
    assert_null (bk_worker_table_lookup (table, "old", 3));
    assert_non_null (bk_worker_table_lookup (table, "new", 3));
    assert_int_equal (bk_worker_table_expire (table, 4501, 3000), 1);
    assert_int_equal (bk_worker_table_size (table), 0);
    bk_worker_table_destroy (&table);
}


static void
test_missed_heartbeats_are_counted_once_each (void **state)
{
    (void) state;
    bk_worker_table_t *table = bk_worker_table_new ();
    bk_worker_t *worker = s_add (table, "w", 1, 1, 0, 1000);
    //  Heartbeat every 100 ms; late by less than half an interval: none
    assert_int_equal (bk_worker_table_missed (table, 1149, 100, 3), 0);
    assert_int_equal (bk_worker_table_missed (table, 1151, 100, 3), 1);
    assert_int_equal (bk_worker_table_missed (table, 1200, 100, 3), 0);
    assert_int_equal (bk_worker_table_missed (table, 1251, 100, 3), 1);
    //  at most max - 1 until silent for max intervals, then max in all
    assert_int_equal (bk_worker_table_missed (table, 1300, 100, 3), 0);
    assert_int_equal (bk_worker_table_missed (table, 1301, 100, 3), 1);
    assert_int_equal (bk_worker_table_missed (table, 9000, 100, 3), 0);
    //  a message starts the count again
    bk_worker_report (worker, 1, 0, 9000, S_LOST_MS);
    assert_int_equal (bk_worker_table_missed (table, 9100, 100, 3), 0);
    assert_int_equal (bk_worker_table_missed (table, 9400, 100, 3), 3);
    bk_worker_table_destroy (&table);
}


int
main (void)
{
    edge_log_threshold = EDGE_LOG_ERROR;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (
            test_new_table_is_empty_and_destroy_nulls_the_pointer),
        cmocka_unit_test (test_workers_are_found_by_binary_routing_id),
        cmocka_unit_test (test_credit_is_free_slots_minus_jobs_in_flight),
        cmocka_unit_test (
            test_best_worker_has_most_credit_then_least_recent_use),
        cmocka_unit_test (test_a_worker_ahead_of_the_broker_is_believed),
        cmocka_unit_test (test_jobs_that_never_arrive_are_given_up),
        cmocka_unit_test (
            test_more_in_flight_than_capacity_means_a_restarted_worker),
        cmocka_unit_test (test_undescribed_worker_is_not_judged_by_capacity),
        cmocka_unit_test (test_silent_workers_expire),
        cmocka_unit_test (test_missed_heartbeats_are_counted_once_each),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
