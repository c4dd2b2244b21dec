/*  test_proto_done - the DONE codec:
    [1, 4, worker, task, state, free, last_seq].  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "proto_testutil.h"
#include "edge_log.h"
#include "proto_done.h"


//  True when the decoder refuses buf; destroys buf.
static bool
s_rejects (msgpack_sbuffer *buf)
{
    proto_done_t *done = proto_done_decode (buf->data, buf->size);
    bool is_rejected = done == NULL;
    proto_done_destroy (&done);
    msgpack_sbuffer_destroy (buf);
    return is_rejected;
}


static void
test_done_survives_a_round_trip (void **state)
{
    (void) state;
    proto_done_t *done = proto_done_new ("w1", "task_1", "succeeded");
    done->free = UINT32_MAX;
    done->last_seq = UINT64_MAX;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    proto_done_encode (done, &buf);
    assert_int_equal (proto_peek_type (buf.data, buf.size), PROTO_DONE);
    proto_done_t *copy = proto_done_decode (buf.data, buf.size);
    assert_non_null (copy);
    assert_string_equal (copy->worker, "w1");
    assert_string_equal (copy->task, "task_1");
    assert_string_equal (copy->state, "succeeded");
    assert_true (copy->free == UINT32_MAX);
    assert_true (copy->last_seq == UINT64_MAX);
    proto_done_destroy (&copy);
    proto_done_destroy (&done);
    msgpack_sbuffer_destroy (&buf);
}


static void
test_done_wire_format_is_the_documented_array (void **state)
{
    (void) state;
    msgpack_sbuffer buf;
    proto_testutil_build (&buf, "auusssuu", 7, 1, 4, "w1", "t1", "released", 3,
                          12);
    proto_done_t *done = proto_done_decode (buf.data, buf.size);
    assert_non_null (done);
    assert_string_equal (done->worker, "w1");
    assert_string_equal (done->task, "t1");
    assert_string_equal (done->state, "released");
    assert_int_equal (done->free, 3);
    assert_int_equal (done->last_seq, 12);
    proto_done_destroy (&done);
    msgpack_sbuffer_destroy (&buf);
}


static void
test_new_copies_strings_and_destroy_nulls_the_pointer (void **state)
{
    (void) state;
    char worker[] = "w1", task[] = "t1", done_state[] = "failed";
    proto_done_t *done = proto_done_new (worker, task, done_state);
    assert_non_null (done);
    worker[0] = task[0] = done_state[0] = 'X';
    assert_string_equal (done->worker, "w1");
    assert_string_equal (done->task, "t1");
    assert_string_equal (done->state, "failed");
    assert_int_equal (done->free, 0);
    assert_int_equal (done->last_seq, 0);
    proto_done_destroy (&done);
    assert_null (done);
    proto_done_destroy (&done);
    assert_null (done);
}


static void
test_every_truncated_done_is_rejected (void **state)
{
    (void) state;
    proto_done_t *done = proto_done_new ("w1", "task_1", "skipped");
    done->free = 2;
    done->last_seq = 70000;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    proto_done_encode (done, &buf);
    for (size_t len = 0; len < buf.size; len++) {
        assert_null (proto_done_decode (buf.data, len));
        assert_int_equal (proto_peek_type (buf.data, len), -1);
    }
    msgpack_sbuffer_write (&buf, "\x01", 1);
    assert_null (proto_done_decode (buf.data, buf.size));
    proto_done_destroy (&done);
    msgpack_sbuffer_destroy (&buf);
}


static void
test_wrong_version_or_type_is_rejected (void **state)
{
    (void) state;
    msgpack_sbuffer buf;
    proto_testutil_build (&buf, "auusssuu", 7, 3, 4, "w1", "t1", "failed", 1,
                          0);
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auusssuu", 7, 1, 3, "w1", "t1", "failed", 1,
                          0);
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auusssuu", 7, 1, 6, "w1", "t1", "failed", 1,
                          0);
    assert_true (s_rejects (&buf));
}


static void
test_wrong_field_types_or_counts_are_rejected (void **state)
{
    (void) state;
    msgpack_sbuffer buf;
    proto_testutil_build (&buf, "auussbuu", 7, 1, 4, "w1", "t1", "failed", 1,
                          0);
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auusnsuu", 7, 1, 4, "w1", "failed", 1, 0);
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auusssiu", 7, 1, 4, "w1", "t1", "failed", -1,
                          0);
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auusssUu", 7, 1, 4, "w1", "t1", "failed",
                          (uint64_t) UINT32_MAX + 1, 0);
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auussssu", 7, 1, 4, "w1", "t1", "failed", "1",
                          0);
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auusssun", 7, 1, 4, "w1", "t1", "failed", 1);
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auusssu", 6, 1, 4, "w1", "t1", "failed", 1);
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auusssuuu", 8, 1, 4, "w1", "t1", "failed", 1,
                          0, 0);
    assert_true (s_rejects (&buf));
}


static void
test_strings_must_be_short_nonempty_and_free_of_nul (void **state)
{
    (void) state;
    char name[PROTO_NAME_MAX + 2];
    memset (name, 's', sizeof name);
    name[PROTO_NAME_MAX + 1] = '\0';
    msgpack_sbuffer buf;
    proto_testutil_build (&buf, "auusssuu", 7, 1, 4, "w1", "t1", name, 1, 0);
    assert_true (s_rejects (&buf));
    name[PROTO_NAME_MAX] = '\0';
    proto_testutil_build (&buf, "auusssuu", 7, 1, 4, name, name, name, 1, 0);
    assert_false (s_rejects (&buf));
    proto_testutil_build (&buf, "auusssuu", 7, 1, 4, "w1", "", "failed", 1, 0);
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auuszsuu", 7, 1, 4, "w1", "\0t1", 3, "failed",
                          1, 0);
    assert_true (s_rejects (&buf));
}


int
main (void)
{
    //  Every rejected input logs a warning; keep the test output readable
    edge_log_threshold = EDGE_LOG_ERROR;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_done_survives_a_round_trip),
        cmocka_unit_test (test_done_wire_format_is_the_documented_array),
        cmocka_unit_test (
            test_new_copies_strings_and_destroy_nulls_the_pointer),
        cmocka_unit_test (test_every_truncated_done_is_rejected),
        cmocka_unit_test (test_wrong_version_or_type_is_rejected),
        cmocka_unit_test (test_wrong_field_types_or_counts_are_rejected),
        cmocka_unit_test (test_strings_must_be_short_nonempty_and_free_of_nul),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
