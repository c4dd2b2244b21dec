/*  test_bk_queue - the broker's bounded, deduplicated FIFO of jobs.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "bk_queue.h"
#include "edge_log.h"


//  Push a new job for task; returns the result (destroys a refused job).
static bk_queue_result_t
s_push (bk_queue_t *queue, const char *task)
{
    proto_job_t *job = proto_job_new (task, "hello");
    bk_queue_result_t result = bk_queue_push (queue, &job);
    if (result == BK_QUEUE_ADDED)
        assert_null (job);
    else
        assert_non_null (job); //  the caller still owns a refused job
    proto_job_destroy (&job);
    return result;
}


//  Pop the front job and check its task.
static void
s_pop_expect (bk_queue_t *queue, const char *task)
{
    proto_job_t *job = bk_queue_pop (queue);
    assert_non_null (job);
    assert_string_equal (job->task, task);
    proto_job_destroy (&job);
}


static void
test_new_queue_is_empty_and_destroy_nulls_the_pointer (void **state)
{
    (void) state;
    bk_queue_t *queue = bk_queue_new (3);
    assert_non_null (queue);
    assert_int_equal (bk_queue_size (queue), 0);
    assert_null (bk_queue_pop (queue));
    assert_false (bk_queue_contains (queue, "t1"));
    bk_queue_destroy (&queue);
    assert_null (queue);
    bk_queue_destroy (&queue);
    assert_null (queue);
}


static void
test_jobs_come_out_in_arrival_order (void **state)
{
    (void) state;
    bk_queue_t *queue = bk_queue_new (10);
    assert_int_equal (s_push (queue, "t1"), BK_QUEUE_ADDED);
    assert_int_equal (s_push (queue, "t2"), BK_QUEUE_ADDED);
    assert_int_equal (s_push (queue, "t3"), BK_QUEUE_ADDED);
    assert_int_equal (bk_queue_size (queue), 3);
    s_pop_expect (queue, "t1");
    s_pop_expect (queue, "t2");
    assert_int_equal (s_push (queue, "t4"), BK_QUEUE_ADDED);
    s_pop_expect (queue, "t3");
    s_pop_expect (queue, "t4");
    assert_null (bk_queue_pop (queue));
    bk_queue_destroy (&queue);
}


static void
test_a_waiting_task_is_not_queued_twice (void **state)
{
    (void) state;
    bk_queue_t *queue = bk_queue_new (10);
    assert_int_equal (s_push (queue, "t1"), BK_QUEUE_ADDED);
    assert_int_equal (s_push (queue, "t2"), BK_QUEUE_ADDED);
    assert_int_equal (s_push (queue, "t1"), BK_QUEUE_DUPLICATE);
    assert_int_equal (bk_queue_size (queue), 2);
    assert_true (bk_queue_contains (queue, "t1"));
    s_pop_expect (queue, "t1");
    //  once dispatched, the same task may be queued again (a re-send)
    assert_false (bk_queue_contains (queue, "t1"));
    assert_int_equal (s_push (queue, "t1"), BK_QUEUE_ADDED);
    s_pop_expect (queue, "t2");
    s_pop_expect (queue, "t1");
    bk_queue_destroy (&queue);
}


static void
test_a_full_queue_refuses_the_newest_job (void **state)
{
    (void) state;
    bk_queue_t *queue = bk_queue_new (2);
    assert_int_equal (s_push (queue, "t1"), BK_QUEUE_ADDED);
    assert_int_equal (s_push (queue, "t2"), BK_QUEUE_ADDED);
    assert_int_equal (s_push (queue, "t3"), BK_QUEUE_FULL);
    assert_int_equal (bk_queue_size (queue), 2);
    assert_false (bk_queue_contains (queue, "t3"));
    s_pop_expect (queue, "t1");
    assert_int_equal (s_push (queue, "t3"), BK_QUEUE_ADDED);
    s_pop_expect (queue, "t2");
    s_pop_expect (queue, "t3");
    bk_queue_destroy (&queue);
}


static void
test_a_job_put_back_goes_to_the_front_even_when_full (void **state)
{
    (void) state;
    bk_queue_t *queue = bk_queue_new (2);
    assert_int_equal (s_push (queue, "t1"), BK_QUEUE_ADDED);
    assert_int_equal (s_push (queue, "t2"), BK_QUEUE_ADDED);
    proto_job_t *job = bk_queue_pop (queue);
    assert_int_equal (s_push (queue, "t3"), BK_QUEUE_ADDED); //  full again
    assert_int_equal (bk_queue_push_front (queue, &job), BK_QUEUE_ADDED);
    assert_null (job);
    assert_int_equal (bk_queue_size (queue), 3);
    assert_true (bk_queue_contains (queue, "t1"));
    s_pop_expect (queue, "t1");
    s_pop_expect (queue, "t2");
    s_pop_expect (queue, "t3");
    bk_queue_destroy (&queue);
}


static void
test_a_duplicate_put_back_is_destroyed (void **state)
{
    (void) state;
    bk_queue_t *queue = bk_queue_new (4);
    assert_int_equal (s_push (queue, "t1"), BK_QUEUE_ADDED);
    proto_job_t *job = proto_job_new ("t1", "hello");
    assert_int_equal (bk_queue_push_front (queue, &job), BK_QUEUE_DUPLICATE);
    assert_null (job); //  taken and destroyed (ASan checks for the leak)
    assert_int_equal (bk_queue_size (queue), 1);
    bk_queue_destroy (&queue); //  destroys the waiting job too
}


int
main (void)
{
    edge_log_threshold = EDGE_LOG_ERROR;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (
            test_new_queue_is_empty_and_destroy_nulls_the_pointer),
        cmocka_unit_test (test_jobs_come_out_in_arrival_order),
        cmocka_unit_test (test_a_waiting_task_is_not_queued_twice),
        cmocka_unit_test (test_a_full_queue_refuses_the_newest_job),
        cmocka_unit_test (test_a_job_put_back_goes_to_the_front_even_when_full),
        cmocka_unit_test (test_a_duplicate_put_back_is_destroyed),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
