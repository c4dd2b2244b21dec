/*  test_proto_job - the JOB codec: [1, 1, task, type, seq].  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "edge_log.h"
#include "proto_job.h"


//  Pack a message from a format: a = array header (int count), u = uint
//  (int), U = uint64_t, i = negative int (int), s = string, z = string with
//  length (const char *, int), b = bin (const char *), n = nil.
static void
s_build (msgpack_sbuffer *buf, const char *format, ...)
{
    msgpack_packer pk;
    msgpack_sbuffer_init (buf);
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    va_list args;
    va_start (args, format);
    for (const char *f = format; *f; f++) {
        if (*f == 'a')
            msgpack_pack_array (&pk, (size_t) va_arg (args, int));
        else if (*f == 'u')
            msgpack_pack_uint64 (&pk, (uint64_t) va_arg (args, int));
        else if (*f == 'U')
            msgpack_pack_uint64 (&pk, va_arg (args, uint64_t));
        else if (*f == 'i')
            msgpack_pack_int64 (&pk, va_arg (args, int));
        else if (*f == 's' || *f == 'b' || *f == 'z') {
            const char *text = va_arg (args, const char *);
            size_t len =
                *f == 'z' ? (size_t) va_arg (args, int) : strlen (text);
            if (*f == 'b') {
                msgpack_pack_bin (&pk, len);
                msgpack_pack_bin_body (&pk, text, len);
            }
            else {
                msgpack_pack_str (&pk, len);
                msgpack_pack_str_body (&pk, text, len);
            }
        }
        else if (*f == 'n')
            msgpack_pack_nil (&pk);
    }
    va_end (args);
}


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
    s_build (&buf, "auussu", 5, 1, 1, "t1", "hello", 7);
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
    s_build (&buf, "auussu", 5, 2, 1, "t1", "hello", 0);
    assert_true (s_rejects (&buf));
    s_build (&buf, "auussu", 5, 0, 1, "t1", "hello", 0);
    assert_true (s_rejects (&buf));
    s_build (&buf, "aiussu", 5, -1, 1, "t1", "hello", 0);
    assert_true (s_rejects (&buf));
    s_build (&buf, "auussu", 5, 1, 2, "t1", "hello", 0); //  READY
    assert_true (s_rejects (&buf));
    s_build (&buf, "auussu", 5, 1, 9, "t1", "hello", 0);
    assert_true (s_rejects (&buf));
    s_build (&buf, "ausssu", 5, 1, "1", "t1", "hello", 0);
    assert_true (s_rejects (&buf));
}


static void
test_wrong_field_types_or_counts_are_rejected (void **state)
{
    (void) state;
    msgpack_sbuffer buf;
    s_build (&buf, "auuusu", 5, 1, 1, 5, "hello", 0);
    assert_true (s_rejects (&buf));
    s_build (&buf, "auusbu", 5, 1, 1, "t1", "hello", 0);
    assert_true (s_rejects (&buf));
    s_build (&buf, "auusnu", 5, 1, 1, "t1", 0);
    assert_true (s_rejects (&buf));
    s_build (&buf, "auussi", 5, 1, 1, "t1", "hello", -1);
    assert_true (s_rejects (&buf));
    s_build (&buf, "auusss", 5, 1, 1, "t1", "hello", "0");
    assert_true (s_rejects (&buf));
    s_build (&buf, "auuss", 4, 1, 1, "t1", "hello");
    assert_true (s_rejects (&buf));
    s_build (&buf, "auussuu", 6, 1, 1, "t1", "hello", 0, 0);
    assert_true (s_rejects (&buf));
    s_build (&buf, "s", "not an array");
    assert_true (s_rejects (&buf));
    s_build (&buf, "n");
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
    s_build (&buf, "auussu", 5, 1, 1, name, "hello", 0); //  256 bytes
    assert_true (s_rejects (&buf));
    s_build (&buf, "auussu", 5, 1, 1, "", "hello", 0);
    assert_true (s_rejects (&buf));
    s_build (&buf, "auuszu", 5, 1, 1, "t1", "hel\0lo", 6, 0);
    assert_true (s_rejects (&buf));
    name[PROTO_NAME_MAX] = '\0'; //  255 bytes: the largest accepted
    s_build (&buf, "auussu", 5, 1, 1, name, name, 0);
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
