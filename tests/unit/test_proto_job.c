/*  test_proto_job - the JOB codec: [1, 1, task, type, seq].  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "proto_testutil.h"
#include "edge_log.h"
#include "proto_job.h"


//  True when the decoder refuses buf; destroys buf.
static bool
s_rejects (msgpack_sbuffer *buf)
{
    proto_job_t *job = proto_job_decode (buf->data, buf->size);
    bool is_rejected = job == NULL;
    proto_job_destroy (&job);
    msgpack_sbuffer_destroy (buf);
    return is_rejected;
}


static void
test_job_survives_a_round_trip (void **state)
{
    (void) state;
    proto_job_t *job =
        proto_job_new ("hello_20261127091208_0123456789", "hello");
    job->seq = UINT64_MAX;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    proto_job_encode (job, &buf);
    proto_job_t *copy = proto_job_decode (buf.data, buf.size);
    assert_non_null (copy);
    assert_string_equal (copy->task, job->task);
    assert_string_equal (copy->type, "hello");
    assert_true (copy->seq == UINT64_MAX);
    assert_int_equal (proto_peek_type (buf.data, buf.size), PROTO_JOB);
    proto_job_destroy (&copy);
    proto_job_destroy (&job);
    msgpack_sbuffer_destroy (&buf);
}


static void
test_job_wire_format_is_the_documented_array (void **state)
{
    (void) state;
    msgpack_sbuffer buf;
    proto_testutil_build (&buf, "auussu", 5, 1, 1, "t1", "hello", 7);
    proto_job_t *job = proto_job_decode (buf.data, buf.size);
    assert_non_null (job);
    assert_string_equal (job->task, "t1");
    assert_string_equal (job->type, "hello");
    assert_int_equal (job->seq, 7);
    proto_job_destroy (&job);
    msgpack_sbuffer_destroy (&buf);
}


static void
test_new_copies_strings_and_destroy_nulls_the_pointer (void **state)
{
    (void) state;
    char task[] = "task_1", type[] = "hello";
    proto_job_t *job = proto_job_new (task, type);
    assert_non_null (job);
    task[0] = type[0] = 'X';
    assert_string_equal (job->task, "task_1");
    assert_string_equal (job->type, "hello");
    assert_int_equal (job->seq, 0);
    proto_job_destroy (&job);
    assert_null (job);
    proto_job_destroy (&job);
    assert_null (job);
}


static void
test_every_truncated_job_is_rejected (void **state)
{
    (void) state;
    proto_job_t *job = proto_job_new ("task_1", "hello");
    job->seq = 1u << 20;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    proto_job_encode (job, &buf);
    for (size_t len = 0; len < buf.size; len++) {
        proto_job_t *copy = proto_job_decode (buf.data, len);
        assert_null (copy);
        assert_int_equal (proto_peek_type (buf.data, len), -1);
    }
    assert_null (proto_job_decode (NULL, 0));
    proto_job_destroy (&job);
    msgpack_sbuffer_destroy (&buf);
}


static void
test_trailing_bytes_are_rejected (void **state)
{
    (void) state;
    proto_job_t *job = proto_job_new ("task_1", "hello");
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    proto_job_encode (job, &buf);
    msgpack_sbuffer_write (&buf, "\x00", 1);
    assert_null (proto_job_decode (buf.data, buf.size));
    assert_int_equal (proto_peek_type (buf.data, buf.size), -1);
    proto_job_destroy (&job);
    msgpack_sbuffer_destroy (&buf);
}


static void
test_wrong_version_or_type_is_rejected (void **state)
{
    (void) state;
    msgpack_sbuffer buf;
    proto_testutil_build (&buf, "auussu", 5, 2, 1, "t1", "hello", 0);
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auussu", 5, 0, 1, "t1", "hello", 0);
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "aiussu", 5, -1, 1, "t1", "hello", 0);
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auussu", 5, 1, 2, "t1", "hello", 0); //  READY
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auussu", 5, 1, 9, "t1", "hello", 0);
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "ausssu", 5, 1, "1", "t1", "hello", 0);
    assert_true (s_rejects (&buf));
}


static void
test_wrong_field_types_or_counts_are_rejected (void **state)
{
    (void) state;
    msgpack_sbuffer buf;
    proto_testutil_build (&buf, "auuusu", 5, 1, 1, 5, "hello", 0);
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auusbu", 5, 1, 1, "t1", "hello", 0);
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auusnu", 5, 1, 1, "t1", 0);
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auussi", 5, 1, 1, "t1", "hello", -1);
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auusss", 5, 1, 1, "t1", "hello", "0");
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auuss", 4, 1, 1, "t1", "hello");
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auussuu", 6, 1, 1, "t1", "hello", 0, 0);
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "s", "not an array");
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "n");
    assert_true (s_rejects (&buf));
}


static void
test_strings_must_be_short_nonempty_and_free_of_nul (void **state)
{
    (void) state;
    char name[PROTO_NAME_MAX + 2];
    memset (name, 'a', sizeof name);
    name[PROTO_NAME_MAX + 1] = '\0';
    msgpack_sbuffer buf;
    proto_testutil_build (&buf, "auussu", 5, 1, 1, name, "hello",
                          0); //  256 bytes
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auussu", 5, 1, 1, "", "hello", 0);
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auuszu", 5, 1, 1, "t1", "hel\0lo", 6, 0);
    assert_true (s_rejects (&buf));
    name[PROTO_NAME_MAX] = '\0'; //  255 bytes: the largest accepted
    proto_testutil_build (&buf, "auussu", 5, 1, 1, name, name, 0);
    assert_false (s_rejects (&buf));
}


int
main (void)
{
    //  Every rejected input logs a warning; keep the test output readable
    edge_log_threshold = EDGE_LOG_ERROR;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_job_survives_a_round_trip),
        cmocka_unit_test (test_job_wire_format_is_the_documented_array),
        cmocka_unit_test (
            test_new_copies_strings_and_destroy_nulls_the_pointer),
        cmocka_unit_test (test_every_truncated_job_is_rejected),
        cmocka_unit_test (test_trailing_bytes_are_rejected),
        cmocka_unit_test (test_wrong_version_or_type_is_rejected),
        cmocka_unit_test (test_wrong_field_types_or_counts_are_rejected),
        cmocka_unit_test (test_strings_must_be_short_nonempty_and_free_of_nul),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
